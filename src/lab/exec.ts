/**
 * `calico-lab exec` and `ping`: commands run inside a host's or a pod's namespace. Inside a host,
 * `calicoctl` is on PATH and aimed at the lab's etcd, and `calicoctl node status` finds that
 * host's BIRD socket.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
import { usageError } from './lab-error.js';
import { netnsPath, type LabNames } from './names.js';
import { LAB_MARKER_VAR } from './processes.js';
import type { Output } from './progress.js';
import { runInNetns } from './run-command.js';
import type { LabState } from './state.js';
import { isIPv4, resolveTarget, type Target } from './targets.js';

/** The environment of a command run in a lab namespace. */
export function execEnv(names: LabNames, target: Target): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  env.PATH = `${names.binDir}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
  env.DATASTORE_TYPE = 'etcdv3';
  env.ETCD_ENDPOINTS = names.etcdEndpoint;
  // Marked as the lab's: `down` stops whatever is still running.
  env[LAB_MARKER_VAR] = names.dir;
  if (target.kind === 'host') {
    env.CALICO_BIRD_SOCKET = join(target.host.runDir, 'bird.ctl');
    env.CALICO_RUN_DIR = target.host.runDir;
    env.CALICO_STATE_DIR = target.host.stateDir;
    env.NODENAME = target.host.name;
  }
  return env;
}

function osSignal(sig: NodeJS.Signals): number {
  return constants.signals[sig] ?? 0;
}

/** Runs argv in the target's namespace with our terminal; resolves to its exit status. */
export function execIn(names: LabNames, state: LabState, ref: string, argv: string[]): Promise<number> {
  if (argv.length === 0) throw usageError('exec needs a command', 'e.g. calico-lab exec h1 -- ip route');
  const target = resolveTarget(state, ref);
  // Like system(3): Ctrl-C is the command's to handle (an interactive shell ignores it); we wait.
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  return new Promise<number>((resolve) => {
    const child = spawn('nsenter', [`--net=${netnsPath(target.netns)}`, ...argv], {
      stdio: 'inherit',
      env: execEnv(names, target),
    });
    child.once('error', (e) => {
      process.stderr.write(`calico-lab exec: ${e.message}\n`);
      resolve(127);
    });
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? osSignal(signal) : 0)));
  }).finally(() => {
    process.off('SIGINT', ignore);
    process.off('SIGQUIT', ignore);
  });
}

export interface PingResult {
  ok: boolean;
  from: string;
  to: string;
  ip: string;
  output: string;
}

/** `ping -n -c 3 -W 1` from a host or pod to a host, pod or address; prints nothing. */
export async function ping(state: LabState, fromRef: string, toRef: string): Promise<PingResult> {
  const from = resolveTarget(state, fromRef);
  let ip: string | undefined;
  if (isIPv4(toRef)) ip = toRef;
  else {
    const to = resolveTarget(state, toRef);
    ip = to.ip;
    if (!ip) throw usageError(`${toRef} has no address yet`);
  }
  const r = await runInNetns(from.netns, 'ping', ['-n', '-c', '3', '-W', '1', ip], { timeoutMs: 15_000 });
  return { ok: r.code === 0, from: fromRef, to: toRef, ip, output: (r.stdout + r.stderr).trimEnd() + '\n' };
}

export function printPing(r: PingResult, out: Output): void {
  out.write(r.output);
  out.write(`${r.ok ? 'OK' : 'FAILED'}: ${r.from} -> ${r.to} (${r.ip})\n`);
}
