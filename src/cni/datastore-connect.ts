/**
 * Connects to the datastore a network configuration names. Loaded with a dynamic import so that
 * VERSION and configuration errors never pay for the etcd client (~75 ms of module loading).
 */
import { createBackend, loadDatastoreConfig } from '../datastore/config.js';
import { Client } from '../client/client.js';
import { IPAMClient } from '../ipam/ipam-client.js';
import type { DatastoreSettings } from './netconf.js';
import type { CniDatastore } from './types.js';

export interface ConnectOptions {
  dialTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export interface ConnectedDatastore extends CniDatastore {
  close(): Promise<void>;
}

/** The settings as the environment variables Calico's client reads (the CNI never reads calicoctl.cfg). */
function settingsEnv(s: DatastoreSettings): Record<string, string> {
  const env: Record<string, string> = { DATASTORE_TYPE: s.datastoreType };
  const put = (k: string, v: string | undefined): void => {
    if (v) env[k] = v;
  };
  put('ETCD_ENDPOINTS', s.etcdEndpoints);
  put('ETCD_DISCOVERY_SRV', s.etcdDiscoverySrv);
  put('ETCD_KEY_FILE', s.etcdKeyFile);
  put('ETCD_CERT_FILE', s.etcdCertFile);
  put('ETCD_CA_CERT_FILE', s.etcdCACertFile);
  put('ETCD_USERNAME', s.etcdUsername);
  put('ETCD_PASSWORD', s.etcdPassword);
  return env;
}

export async function connectDatastore(
  s: DatastoreSettings,
  opts: ConnectOptions = {},
): Promise<ConnectedDatastore> {
  const cfg = await loadDatastoreConfig({
    env: settingsEnv(s),
    // A path that never exists: configuration comes from the netconf only.
    configFile: '/nonexistent/calico-ts-cni/calicoctl.cfg',
    explicitConfigFile: false,
  });
  const backend = createBackend(cfg, opts);
  const client = new Client(backend);
  // The agent keeps this client: reuse config, pools, reservations and node labels for 2 s.
  const ipam = new IPAMClient(client, { cacheTtlMs: 2_000 });
  // Pool and node deletes through this client then clean IPAM up, as everywhere else.
  client.ipamHooks = ipam.clientHooks();
  // Readiness flips only around upgrades and restores: a 2 s old answer is good enough.
  return { client, ipam, readyCacheMs: 2_000, close: () => client.close() };
}
