import { Client } from '../client/index.js';
import { isCalicoError } from '../errors/index.js';
import { VERSION } from '../version.js';
import { CommandError, type CtlIO } from './io.js';

export const DEFAULT_CONFIG = '/etc/calico/calicoctl.cfg';

export interface GlobalOptions {
  config?: string;
  allowVersionMismatch?: boolean;
}

/** Opens the datastore the way calicoctl does: config file if present, otherwise environment. */
export async function openClient(io: CtlIO, opts: GlobalOptions): Promise<Client> {
  // Loaded on demand: the etcd client costs ~400 ms to load, and validate/version --client need none of it.
  const { createBackend, loadDatastoreConfig } = await import('../datastore/config.js');
  const explicit = opts.config !== undefined && opts.config !== DEFAULT_CONFIG;
  const cfg = await loadDatastoreConfig({
    configFile: opts.config ?? DEFAULT_CONFIG,
    explicitConfigFile: explicit,
    env: io.env,
  });
  const backend = createBackend(cfg);
  const client = new Client(backend);
  // Pool and node deletes release IPAM data through these hooks (the client cannot import IPAM).
  const { IPAMClient } = await import('../ipam/ipam-client.js');
  client.ipamHooks = new IPAMClient(backend, client).clientHooks();
  return client;
}

/** Strips `v` and anything after the first `-`, as calicoctl's mismatch check does. */
function comparable(v: string): string {
  return v.replace(/^v/, '').split('-')[0];
}

export async function checkVersion(client: Client, opts: GlobalOptions): Promise<void> {
  if (opts.allowVersionMismatch) return;
  let clusterVersion: string | undefined;
  try {
    const ci = await client.get('ClusterInformation', 'default');
    clusterVersion = (ci.spec as { calicoVersion?: string } | undefined)?.calicoVersion;
  } catch (e) {
    if (isCalicoError(e, 'NOT_FOUND')) return;
    throw new CommandError(
      `unable to get Cluster Information to verify version mismatch: ${(e as Error).message}\nUse --allow-version-mismatch to override`,
    );
  }
  if (!clusterVersion || comparable(clusterVersion) === comparable(VERSION)) return;
  throw new CommandError(
    `version mismatch.\nClient Version:   ${VERSION}\nCluster Version:  ${clusterVersion}\nUse --allow-version-mismatch to override`,
  );
}
