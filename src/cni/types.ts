/**
 * The shapes the CNI plugins exchange with whoever runs them: the `calico` / `calico-ipam` bins
 * (one process per call) or a long-running agent serving a thin plugin over a socket. Nothing here
 * touches process-global state, so one process can serve many requests.
 */
import type { Client } from '../client/client.js';
import type { IPAM } from '../ipam/ipam-interface.js';
import type { Dataplane } from './dataplane/dataplane.js';
import type { DatastoreSettings } from './netconf.js';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'STATUS' | 'GC';
export type PluginName = 'calico' | 'calico-ipam';

export interface CniRequest {
  command: CniCommand;
  /** The plugin's environment: CNI_* variables (and ETCD_* / DATASTORE_TYPE fallbacks). */
  env: Record<string, string>;
  /** The network configuration as the runtime wrote it to stdin. */
  stdin: string;
  plugin: PluginName;
}

export interface CniResponse {
  stdout: string;
  exitCode: number;
  /** Log lines (the bin writes them to stderr). */
  stderr?: string;
}

/** The datastore clients one request works with. */
export interface CniDatastore {
  client: Client;
  ipam: IPAM;
  /**
   * Long-lived connections (the agent): reuse a `datastoreReady: true` answer for this long.
   * Only success is reused; the request's own reads and CAS writes still reach the datastore.
   */
  readyCacheMs?: number;
}

/** Runs another CNI plugin (a non-Calico IPAM plugin named in `ipam.type`). */
export type PluginExec = (
  path: string,
  env: Record<string, string>,
  stdin: string,
) => Promise<{ stdout: string; exitCode: number; stderr: string }>;

/** Everything a request needs from its surroundings; tests pass fakes. */
export interface CniDeps {
  /**
   * Connected clients for a datastore configuration. Implementations cache them per configuration,
   * so a long-running agent reuses its connections across requests.
   */
  datastore(settings: DatastoreSettings): Promise<CniDatastore>;
  /** Wires and unwires pods in the kernel. */
  dataplane: Dataplane;
  /** Reads a small file (nodename, MTU); undefined when it does not exist. */
  readFile(path: string): string | undefined;
  /** The OS host name (the last resort for the node name). */
  hostname(): string;
  /** Runs a delegated IPAM plugin found on CNI_PATH. */
  execPlugin?: PluginExec;
  /** Finds an executable by name on CNI_PATH; undefined when absent. */
  findPlugin?(name: string, cniPath: string): string | undefined;
  now?(): Date;
  /** Test-only hooks (the bins install them only when asked to through their environment). */
  hooks?: CniHooks;
}

export interface CniHooks {
  /** Called by ADD after IPAM assigned addresses and before anything else is done with them. */
  afterIpamAssigned?(ips: string[]): Promise<void>;
}
