/**
 * Removing a lab, whatever state it is in: a finished `up`, one killed half-way (SIGKILL, a power
 * cut of the terminal), or one whose state file is gone. The state file names the PIDs; /proc
 * finds what it does not name (processes marked with the lab's state dir or running in its
 * namespaces); the namespace list finds namespaces by the lab's prefix. Order: calico-nodes (so
 * they stop BIRD and Felix themselves), the ToR, stragglers, etcd last, then namespaces and files.
 */
import { rmSync } from 'node:fs';
import { LabError } from './lab-error.js';
import type { LabNames } from './names.js';
import { deleteNetns, listNetns } from './netns.js';
import { cmdline, findLabProcesses, isLabProcess, netnsInode, pidAlive, stopProcesses } from './processes.js';
import { readState, type LabState } from './state.js';

export interface TeardownReport {
  processes: number;
  namespaces: number;
  hadState: boolean;
}

function ownNamespaces(names: LabNames, state: LabState | undefined): string[] {
  const recorded = state
    ? [
        ...state.pods.map((p) => p.netns),
        ...state.hosts.map((h) => h.name),
        ...(state.tor ? [state.tor.netns] : []),
        state.fabricNetns,
      ]
    : [];
  const found = listNetns().filter((n) => names.ownsNetns(n));
  // Pods before hosts before the fabric: leaves first.
  const rank = (n: string): number =>
    n.includes('-p-') || n.includes('-k-') ? 0 : n.endsWith('-fab') ? 2 : 1;
  return [...new Set([...recorded, ...found])].sort((a, b) => rank(a) - rank(b));
}

/** A `calico-lab up` still at work on this lab (another terminal): asked to stop first. */
async function stopRunningUp(state: LabState | undefined): Promise<void> {
  if (!state || state.phase === 'ready' || state.upPid === process.pid || !pidAlive(state.upPid)) return;
  const argv = cmdline(state.upPid);
  if (!argv.some((a) => a.endsWith('calico-lab.js') || a.endsWith('calico-lab'))) return;
  await stopProcesses([state.upPid], 15_000);
}

export async function teardown(names: LabNames): Promise<TeardownReport> {
  let state: LabState | undefined;
  try {
    state = readState(names);
  } catch {
    state = undefined; // a damaged file: /proc and the namespace list still find everything
  }
  await stopRunningUp(state);
  let stopped = 0;
  const stop = async (pids: number[], graceMs: number): Promise<void> => {
    const ours = pids.filter((p) => isLabProcess(p, names.dir));
    stopped += ours.length;
    await stopProcesses(ours, graceMs);
  };
  if (state) {
    await stop(
      state.hosts.map((h) => h.nodePid ?? 0),
      10_000,
    );
    if (state.tor?.pid) await stop([state.tor.pid], 5000);
  }
  const namespaces = ownNamespaces(names, state);
  const inodes = new Set(namespaces.map(netnsInode).filter((i): i is number => i !== undefined));
  const etcdPid = state?.etcd?.pid ?? 0;
  const stragglers = findLabProcesses(names.dir, inodes).filter((p) => p !== etcdPid);
  stopped += stragglers.length;
  await stopProcesses(stragglers, 3000);
  if (etcdPid) await stop([etcdPid], 5000);
  // Anything that appeared meanwhile (a child forked during the sweep).
  const late = findLabProcesses(names.dir, inodes);
  stopped += late.length;
  const stuck = await stopProcesses(late, 2000);

  const undeleted: string[] = [];
  for (const ns of namespaces) if (!(await deleteNetns(ns))) undeleted.push(ns);
  rmSync(names.dir, { recursive: true, force: true });
  if (stuck.length > 0 || undeleted.length > 0) {
    throw new LabError(
      `could not remove everything of lab '${names.lab}'` +
        (stuck.length ? `; processes still running: ${stuck.join(', ')}` : '') +
        (undeleted.length ? `; namespaces left: ${undeleted.join(', ')}` : ''),
      'run calico-lab down again; if it persists, stop those processes and run `ip netns del` yourself',
    );
  }
  return { processes: stopped, namespaces: namespaces.length, hadState: state !== undefined };
}
