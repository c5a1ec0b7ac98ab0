/**
 * One calico-node per host, run as a real host runs it: inside the host's namespace, configured
 * through its environment, with its own run and state directories so several share one machine.
 * Started detached (they outlive `calico-lab up`) and asked for readiness with calico-node's own
 * probes (`-felix-ready`, `-bird-ready`), as a kubelet exec probe would.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FABRIC_PREFIX, netnsPath, type LabNames } from './names.js';
import { binPath, NODE_BIN } from './paths.js';
import { LAB_MARKER_VAR, startDetached } from './processes.js';
import { baseEnv, runInNetns, type CommandResult } from './run-command.js';
import type { HostState, LabMode } from './state.js';

export const HEALTH_PORT = 9099;

export function newHostState(names: LabNames, index: number, address: string): HostState {
  const dir = names.hostDir(index);
  return {
    index,
    name: names.hostName(index),
    address,
    dir,
    runDir: join(dir, 'run'),
    stateDir: join(dir, 'state'),
    logFile: join(dir, 'calico-node.log'),
  };
}

/** calico-node's environment on one host (also what its probes and `exec` need). */
export function nodeEnv(names: LabNames, host: HostState, mode: LabMode): NodeJS.ProcessEnv {
  const passThrough: Record<string, string> = {};
  // Felix knobs and the log level given to calico-lab reach every calico-node (for experiments).
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && (k.startsWith('FELIX_') || k === 'CALICO_LOG_LEVEL')) passThrough[k] = v;
  }
  return baseEnv({
    FELIX_IPV6SUPPORT: 'false',
    ...passThrough,
    [LAB_MARKER_VAR]: names.dir,
    NODENAME: host.name,
    IP: `${host.address}/${host.prefixLength ?? FABRIC_PREFIX}`,
    IP6: 'none',
    DATASTORE_TYPE: 'etcdv3',
    ETCD_ENDPOINTS: names.etcdEndpoint,
    CALICO_NETWORKING_BACKEND: mode === 'bgp' ? 'bird' : 'vxlan',
    CALICO_RUN_DIR: host.runDir,
    CALICO_STATE_DIR: host.stateDir,
    CALICO_LOG_DIR: join(host.dir, 'log'),
    CALICO_DISABLE_FILE_LOGGING: 'true',
    CALICO_CNI_AGENT_SOCKET: join(host.runDir, 'cni-agent.sock'),
    // The lab writes the pool itself (TEST-NET-3, small blocks) before any node starts.
    NO_DEFAULT_POOLS: 'true',
    FELIX_HEALTHENABLED: 'true',
    FELIX_HEALTHHOST: '127.0.0.1',
    FELIX_HEALTHPORT: String(HEALTH_PORT),
  });
}

export async function startCalicoNode(names: LabNames, host: HostState, mode: LabMode): Promise<number> {
  for (const d of [host.runDir, host.stateDir]) mkdirSync(d, { recursive: true });
  return startDetached({
    cmd: 'nsenter',
    args: [`--net=${netnsPath(host.name)}`, NODE_BIN, binPath('calico-node')],
    env: nodeEnv(names, host, mode),
    logFile: host.logFile,
    cwd: host.dir,
  });
}

export type NodeProbe = 'felix-ready' | 'bird-ready';

/** Runs calico-node's exec probes inside the host; exit 0 means every probe passed. */
export function probeNode(
  names: LabNames,
  host: HostState,
  mode: LabMode,
  probes: NodeProbe[],
): Promise<CommandResult> {
  return runInNetns(host.name, NODE_BIN, [binPath('calico-node'), ...probes.map((p) => `-${p}`)], {
    env: nodeEnv(names, host, mode),
    timeoutMs: 10_000,
  });
}

export function probesFor(mode: LabMode): NodeProbe[] {
  return mode === 'bgp' ? ['felix-ready', 'bird-ready'] : ['felix-ready'];
}
