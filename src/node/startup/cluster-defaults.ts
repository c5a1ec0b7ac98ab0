/**
 * Cluster-wide objects every node makes sure of (Calico's ensureDefaultConfig). Each is created
 * only when missing, or has only unset fields filled, so concurrent nodes and repeat runs agree
 * and a second run writes nothing.
 */
import { API_VERSION, type Resource } from '../../api/index.js';
import { ensureInitialized, type Client } from '../../client/index.js';
import { isCalicoError } from '../../errors/index.js';
import type { NodeConfig } from '../config.js';
import type { StartupLog } from './log.js';

async function getOrUndefined(client: Client, kind: string, name: string): Promise<Resource | undefined> {
  try {
    return await client.get(kind, name);
  } catch (e) {
    if (isCalicoError(e, 'NOT_FOUND')) return undefined;
    throw e;
  }
}

/** Create, tolerating a racing node that created it first. */
async function createIfMissing(client: Client, r: Resource, log: StartupLog): Promise<boolean> {
  try {
    await client.create(r);
    log.info(`Created ${r.kind} ${r.metadata.name}`, { kind: r.kind, name: r.metadata.name });
    return true;
  } catch (e) {
    if (isCalicoError(e, 'ALREADY_EXISTS')) return false;
    throw e;
  }
}

/**
 * Fills unset spec fields of `kind/name`, creating the object if it is missing. Another writer
 * winning the race is fine: whatever it wrote stands.
 */
async function ensureFields(
  client: Client,
  kind: string,
  name: string,
  wanted: Record<string, unknown>,
  log: StartupLog,
): Promise<void> {
  const current = await getOrUndefined(client, kind, name);
  if (!current) {
    await createIfMissing(
      client,
      { apiVersion: API_VERSION, kind, metadata: { name }, spec: { ...wanted } },
      log,
    );
    return;
  }
  const spec = { ...(current.spec ?? {}) };
  const filled: string[] = [];
  for (const [k, v] of Object.entries(wanted)) {
    if (spec[k] === undefined || spec[k] === '') {
      spec[k] = v;
      filled.push(k);
    }
  }
  if (!filled.length) return;
  try {
    await client.update({ ...current, spec });
    log.info(`Set ${filled.join(', ')} on ${kind} ${name}`, { kind, name });
  } catch (e) {
    if (!isCalicoError(e, 'UPDATE_CONFLICT') && !isCalicoError(e, 'NOT_FOUND')) throw e;
  }
}

/** ClusterInformation and tiers, FelixConfiguration default and node.<name>, BGP and IPAM configuration. */
export async function ensureClusterDefaults(
  client: Client,
  cfg: NodeConfig,
  version: string,
  log: StartupLog,
): Promise<void> {
  await ensureInitialized(client, version, cfg.clusterType);
  await ensureFields(
    client,
    'FelixConfiguration',
    'default',
    { reportingInterval: '0s', logSeverityScreen: 'Info' },
    log,
  );
  // Only on etcd (our only datastore): workloads may reach their own host unless policy says otherwise.
  await ensureFields(
    client,
    'FelixConfiguration',
    `node.${cfg.nodeName}`,
    { defaultEndpointToHostAction: 'Return' },
    log,
  );
  if (!(await getOrUndefined(client, 'BGPConfiguration', 'default'))) {
    await createIfMissing(
      client,
      { apiVersion: API_VERSION, kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: {} },
      log,
    );
  }
  if (!(await getOrUndefined(client, 'IPAMConfiguration', 'default'))) {
    await createIfMissing(
      client,
      {
        apiVersion: API_VERSION,
        kind: 'IPAMConfiguration',
        metadata: { name: 'default' },
        spec: {
          autoAllocateBlocks: true,
          maxBlocksPerHost: 0,
          kubeVirtVMAddressPersistence: 'Enabled',
          strictAffinity: false,
        },
      },
      log,
    );
  }
}
