/**
 * calico-node startup, in Calico's order: the Node resource (addresses, AS, orchestrator ref),
 * host directories, default IP pools, cluster defaults, the nodename file, and tunnel addresses
 * last. Every step reads before it writes, so a second run over an unchanged host writes nothing.
 */
import { existsSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { API_VERSION, type NodeSpec, type Resource } from '../../api/index.js';
import type { Client } from '../../client/index.js';
import { isCalicoError } from '../../errors/index.js';
import type { IPAM } from '../../ipam/ipam-interface.js';
import type { IPAddr, IPFamily } from '../../net/index.js';
import { VERSION } from '../../version.js';
import type { NodeConfig } from '../config.js';
import type { AutodetectIO } from './autodetect/autodetect.js';
import { allHostAddresses, type Iface } from './autodetect/iface.js';
import { ensureClusterDefaults } from './cluster-defaults.js';
import { checkConflicts } from './conflicts.js';
import { ensureDefaultPools } from './default-pools.js';
import { StartupError } from './errors.js';
import type { HostFiles } from './host-files.js';
import type { StartupLog } from './log.js';
import { configureAddresses } from './node-addresses.js';
import { reconcileTunnelAddresses, type TunnelKind } from './tunnel-addresses.js';

export interface StartupDeps {
  client: Client;
  /** Tunnel addresses are reconciled only when IPAM is given. */
  ipam?: IPAM;
  /** The host's interfaces, as `ip -j addr show` lists them. */
  interfaces(): Promise<Iface[]>;
  /** Source address of the kernel's route to `destination` (can-reach). */
  routeGet(destination: string, family: IPFamily): Promise<string | undefined>;
  log: StartupLog;
  /** Whether the kernel has IPv6 (default: /proc/sys/net/ipv6 exists). */
  ipv6Supported?(): Promise<boolean>;
  /** Randomness for the IPv6 ULA pool (default: crypto). */
  randomBytes?(n: number): Uint8Array;
  /** The version recorded in ClusterInformation (default: this build's). */
  version?: string;
  /** Host directories and the nodename file; skipped when absent. */
  files?: HostFiles;
}

export interface StartupResult {
  nodeName: string;
  /** The Node as stored after the node step (before tunnel addresses). */
  node?: Resource;
  nodeWrite: 'created' | 'updated' | 'unchanged';
  ipv4Address?: string;
  ipv6Address?: string;
  poolsCreated: string[];
  /** Present when IPAM was given. */
  tunnelAddresses?: Partial<Record<TunnelKind, string>>;
}

/** Drops undefined members so specs compare (and store) the same however they were built. */
function clean<T>(v: T): T {
  return JSON.parse(JSON.stringify(v ?? {})) as T;
}

async function getNode(client: Client, name: string): Promise<Resource | undefined> {
  try {
    return await client.get('Node', name);
  } catch (e) {
    if (isCalicoError(e, 'NOT_FOUND')) return undefined;
    throw e;
  }
}

/** Removes our own conflicting, autodetected addresses so another node may have them. */
async function clearAddresses(
  client: Client,
  node: Resource,
  v4: boolean,
  v6: boolean,
  log: StartupLog,
): Promise<void> {
  const spec = clean(node.spec ?? {}) as NodeSpec;
  if (!spec.bgp || (!v4 && !v6)) return;
  if (v4) delete spec.bgp.ipv4Address;
  if (v6) delete spec.bgp.ipv6Address;
  if (Object.keys(spec.bgp).length === 0) delete spec.bgp;
  try {
    await client.update({ ...node, spec: spec as Record<string, unknown> });
    log.warn('Cleared conflicting autodetected addresses from this Node', { ipv4: v4, ipv6: v6 });
  } catch (e) {
    log.warn('Could not clear conflicting addresses from this Node', { error: (e as Error).message });
  }
}

async function configureNode(
  cfg: NodeConfig,
  deps: StartupDeps,
  io: AutodetectIO,
): Promise<Pick<StartupResult, 'node' | 'nodeWrite'>> {
  const { client, log } = deps;
  for (let attempt = 0; ; attempt++) {
    const existing = await getNode(client, cfg.nodeName);
    const before = clean(existing?.spec ?? {}) as NodeSpec;
    const spec = clean(before);

    if (cfg.networkingBackend !== 'none') {
      const out = await configureAddresses(cfg, spec, io, log);
      const bgp = { ...(spec.bgp ?? {}), ipv4Address: out.ipv4Address, ipv6Address: out.ipv6Address };
      if (cfg.asNumber !== undefined) {
        if (bgp.asNumber !== cfg.asNumber)
          log.info(`Using AS number ${cfg.asNumber} from the environment`, { asNumber: cfg.asNumber });
        bgp.asNumber = cfg.asNumber;
      } else if (bgp.asNumber === undefined) {
        log.info('No AS number configured on the Node, using the global value');
      }
      spec.bgp = clean(bgp);
      spec.interfaces = out.interfaces;

      const addressChanged =
        out.ipv4Address !== before.bgp?.ipv4Address || out.ipv6Address !== before.bgp?.ipv6Address;
      const ifacesChanged = !isDeepStrictEqual(clean(out.interfaces), clean(before.interfaces));
      if (before.bgp?.ipv4Address && out.ipv4Address !== before.bgp.ipv4Address) {
        log.warn('Node IPv4 address changed', { from: before.bgp.ipv4Address, to: out.ipv4Address });
      }
      if ((addressChanged || ifacesChanged) && !cfg.disableNodeIPCheck) {
        const c = await checkConflicts(client, cfg.nodeName, out.ipv4Address, out.ipv6Address);
        if (c.v4 || c.v6) {
          if (existing) {
            await clearAddresses(
              client,
              existing,
              cfg.ipv4.mode === 'autodetect' && c.v4 !== undefined,
              cfg.ipv6.mode === 'autodetect' && c.v6 !== undefined,
              log,
            );
          }
          const what = [
            c.v4 ? `IPv4 address ${out.ipv4Address} is already in use by node ${c.v4}` : '',
            c.v6 ? `IPv6 address ${out.ipv6Address} is already in use by node ${c.v6}` : '',
          ].filter(Boolean);
          throw new StartupError('ipConflict', `conflicting node detected: ${what.join('; ')}`, {
            hint: `give this host another address (IP / IP_AUTODETECTION_METHOD), delete the stale Node if that host is gone, or set DISABLE_NODE_IP_CHECK=true`,
          });
        }
      }
    }

    if (cfg.k8sNodeRef) spec.orchRefs = [{ nodeName: cfg.k8sNodeRef, orchestrator: 'k8s' }];
    const desired = clean(spec);
    try {
      if (!existing) {
        const node = await client.create({
          apiVersion: API_VERSION,
          kind: 'Node',
          metadata: { name: cfg.nodeName },
          spec: desired as Record<string, unknown>,
        });
        log.info(`Created Node ${cfg.nodeName}`, { node: cfg.nodeName });
        return { node, nodeWrite: 'created' };
      }
      if (isDeepStrictEqual(desired, before)) return { node: existing, nodeWrite: 'unchanged' };
      const node = await client.update({ ...existing, spec: desired as Record<string, unknown> });
      log.info(`Updated Node ${cfg.nodeName}`, { node: cfg.nodeName });
      return { node, nodeWrite: 'updated' };
    } catch (e) {
      // Felix or a re-run may write the Node between our read and write: read again.
      if ((isCalicoError(e, 'UPDATE_CONFLICT') || isCalicoError(e, 'ALREADY_EXISTS')) && attempt < 4)
        continue;
      throw new StartupError(
        'nodeWrite',
        `Unable to set node resource configuration: ${(e as Error).message}`,
        {
          code: isCalicoError(e) ? e.code : 'DATASTORE',
          cause: e,
        },
      );
    }
  }
}

async function ensureHostDirectories(cfg: NodeConfig, files: HostFiles, log: StartupLog): Promise<void> {
  if (cfg.networkingBackend === 'bird' && (await files.ensureDir('/var/run/calico'))) {
    log.warn('Expected /var/run/calico to exist (it is where BIRD puts its control socket); created it');
  }
  await files.ensureDir('/var/lib/calico');
  if (!cfg.disableFileLogging) await files.ensureDir('/var/log/calico');
}

export async function runStartup(cfg: NodeConfig, deps: StartupDeps): Promise<StartupResult> {
  const { client, log } = deps;
  log.info(`Starting node ${cfg.nodeName} with version ${deps.version ?? VERSION}`, {
    node: cfg.nodeName,
    nameFrom: cfg.nodeNameSource,
  });
  for (const w of cfg.warnings) log.warn(w);

  // One interface listing per run: every decision sees the same host.
  let ifaces: Promise<Iface[]> | undefined;
  const io: AutodetectIO = {
    interfaces: () => (ifaces ??= deps.interfaces()),
    routeGet: (dst, family) => deps.routeGet(dst, family),
  };

  const nodeStep = await configureNode(cfg, deps, io);
  const nodeSpec = (nodeStep.node?.spec ?? {}) as NodeSpec;

  if (deps.files) await ensureHostDirectories(cfg, deps.files, log);

  const poolsCreated = await ensureDefaultPools(cfg, {
    client,
    log,
    randomBytes: deps.randomBytes,
    hostAddresses: async (): Promise<IPAddr[]> => allHostAddresses(await io.interfaces(), 4).map((a) => a.ip),
    ipv6Supported: deps.ipv6Supported ?? (async () => existsSync('/proc/sys/net/ipv6')),
  });

  await ensureClusterDefaults(client, cfg, deps.version ?? VERSION, log);

  if (deps.files) await deps.files.writeFile(cfg.nodenameFile, cfg.nodeName);
  log.info(`Using node name: ${cfg.nodeName}`, { node: cfg.nodeName });

  let tunnelAddresses: StartupResult['tunnelAddresses'];
  if (deps.ipam) tunnelAddresses = await reconcileTunnelAddresses(cfg, { client, ipam: deps.ipam, log });
  else log.info('No IPAM client given: tunnel addresses not reconciled');

  return {
    nodeName: cfg.nodeName,
    ...nodeStep,
    ipv4Address: nodeSpec.bgp?.ipv4Address,
    ipv6Address: nodeSpec.bgp?.ipv6Address,
    poolsCreated,
    tunnelAddresses,
  };
}
