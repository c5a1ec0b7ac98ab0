/**
 * Stopping and starting one host's calico-node in a running lab, as a crash and a supervisor's
 * restart would (the fault tests use it; no CLI command yet). The new process is started exactly
 * as `up` starts it (same environment, same namespace, detached) and recorded in the state file,
 * so `status` and `down` find it.
 */
import { LabError } from './lab-error.js';
import type { LabNames } from './names.js';
import { probeNode, probesFor, startCalicoNode, type NodeProbe } from './calico-nodes.js';
import { isLabProcess, logTail, pidAlive } from './processes.js';
import { requireState, withStateLock, writeState, type HostState } from './state.js';
import { requireHost } from './targets.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Sends `signal` (SIGKILL by default) to the host's calico-node and waits until it has gone.
 * Returns the PID it had. BIRD and anything else it started are left as they are.
 */
export async function killCalicoNode(
  names: LabNames,
  hostRef: string,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<number> {
  const host = requireHost(requireState(names), hostRef);
  const pid = host.nodePid;
  if (pid === undefined || !isLabProcess(pid, names.dir)) {
    throw new LabError(`calico-node of ${host.name} is not running (pid ${pid ?? 'none'})`);
  }
  process.kill(pid, signal);
  const deadline = Date.now() + 15_000;
  while (pidAlive(pid)) {
    if (Date.now() > deadline)
      throw new LabError(`calico-node of ${host.name} (pid ${pid}) did not exit after ${signal}`);
    await sleep(20);
  }
  return pid;
}

/**
 * Starts the host's calico-node again and waits until its readiness probes pass (Felix only, or
 * Felix and BIRD in BGP mode, unless `probes` says otherwise). Refuses while one still runs.
 */
export async function startHostNode(
  names: LabNames,
  hostRef: string,
  opts: { readyTimeoutMs?: number; probes?: NodeProbe[] } = {},
): Promise<number> {
  let host!: HostState;
  const state = await withStateLock(names, async () => {
    const s = requireState(names);
    host = requireHost(s, hostRef);
    if (host.nodePid !== undefined && isLabProcess(host.nodePid, names.dir)) {
      throw new LabError(`calico-node of ${host.name} is already running (pid ${host.nodePid})`);
    }
    host.nodePid = await startCalicoNode(names, host, s.mode);
    writeState(names, s);
    return s;
  });
  const pid = host.nodePid!;
  const probes = opts.probes ?? probesFor(state.mode);
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (!pidAlive(pid)) throw new LabError(`calico-node of ${host.name} exited: ${logTail(host.logFile)}`);
    if ((await probeNode(names, host, state.mode, probes)).code === 0) return pid;
    if (Date.now() > deadline) {
      throw new LabError(
        `calico-node of ${host.name} not ready (${probes.join(', ')}): ${logTail(host.logFile)}`,
      );
    }
    await sleep(250);
  }
}
