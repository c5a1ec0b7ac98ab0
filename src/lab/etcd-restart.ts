/**
 * Stopping and starting a running lab's etcd, as an outage of the datastore would (the fault tests
 * use it; no CLI command yet). The new etcd is started exactly as `up` starts it: same namespace,
 * flags and data directory, so it comes back with every key and revision it had, and it is
 * recorded in the state file so `status` and `down` find it.
 */
import { rmSync } from 'node:fs';
import { etcdHealthy, startLabEtcd } from './lab-etcd.js';
import { LabError } from './lab-error.js';
import type { LabNames } from './names.js';
import { isLabProcess, pidAlive } from './processes.js';
import { requireState, withStateLock, writeState } from './state.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Sends `signal` (SIGKILL by default) to the lab's etcd and waits until it has gone; its PID. */
export async function stopLabEtcd(names: LabNames, signal: NodeJS.Signals = 'SIGKILL'): Promise<number> {
  const pid = requireState(names).etcd?.pid;
  if (pid === undefined || !isLabProcess(pid, names.dir)) {
    throw new LabError(`etcd of lab '${names.lab}' is not running (pid ${pid ?? 'none'})`);
  }
  process.kill(pid, signal);
  const deadline = Date.now() + 15_000;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) throw new LabError(`etcd (pid ${pid}) did not exit after ${signal}`);
    await sleep(20);
  }
  return pid;
}

/** Starts the lab's etcd again on its data directory; resolves with its PID once healthy. */
export async function startLabEtcdAgain(names: LabNames): Promise<number> {
  return withStateLock(names, async () => {
    const s = requireState(names);
    if (s.etcd !== undefined && isLabProcess(s.etcd.pid, names.dir)) {
      throw new LabError(`etcd of lab '${names.lab}' is already running (pid ${s.etcd.pid})`);
    }
    if (await etcdHealthy(names.etcdDir)) {
      throw new LabError(`another etcd answers on ${names.etcdEndpoint}`);
    }
    // A killed etcd leaves its unix socket file behind, and etcd will not listen over one.
    rmSync(names.etcdEndpoint.replace(/^unix:\/\//, ''), { force: true });
    const e = await startLabEtcd(names, (started) => {
      s.etcd = started;
      writeState(names, s);
    });
    return e.pid;
  });
}
