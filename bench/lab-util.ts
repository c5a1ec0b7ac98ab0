/**
 * Helpers shared by the lab benchmarks (lab-net, lab-join, lab-rss): driving `calico-lab` as a
 * user would, always removing the lab afterwards (also on Ctrl-C), iperf3 between namespaces, and
 * reading process memory and start times from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { LabNames } from '../src/lab/names.js';
import { deleteNetns, listNetns } from '../src/lab/netns.js';
import { baseEnv, runCommand } from '../src/lab/run-command.js';
import { readState, type LabState } from '../src/lab/state.js';

/** dist/bench → dist/bin */
const LAB_BIN = fileURLToPath(new URL('../bin/calico-lab.js', import.meta.url));

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export { sleep };

/** Runs `calico-lab ARGS --name LAB`; a non-zero exit is an Error with its output. */
export async function labCli(lab: string, args: string[], timeoutMs = 240_000): Promise<string> {
  const r = await runCommand(process.execPath, [LAB_BIN, ...args, '--name', lab], {
    env: baseEnv(),
    timeoutMs,
  });
  if (r.code !== 0) {
    throw new Error(
      `calico-lab ${args.join(' ')} --name ${lab} failed (exit ${r.code}):\n${r.stdout}${r.stderr}`,
    );
  }
  return r.stdout;
}

export function labState(lab: string): LabState {
  const s = readState(new LabNames(lab));
  if (!s) throw new Error(`lab '${lab}' has no state file`);
  return s;
}

/**
 * `up`, then `fn`, then `down` whatever happened (a failed `up` leaves the lab for inspection, so
 * it is removed here too). SIGINT/SIGTERM remove the lab and exit 130.
 */
export async function withLab<T>(
  lab: string,
  upArgs: string[],
  fn: (s: LabState) => Promise<T>,
  /** Also run on SIGINT/SIGTERM (`fn`'s own finally blocks do not run then). */
  onInterrupt?: () => Promise<void>,
): Promise<T> {
  let downing: Promise<unknown> | undefined;
  const down = (): Promise<unknown> => (downing ??= labCli(lab, ['down'], 60_000));
  const onSignal = (): void => {
    process.stderr.write(`\nremoving lab ${lab} ...\n`);
    void stopLive()
      .then(() => onInterrupt?.())
      .catch(() => undefined)
      .then(down)
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await labCli(lab, ['down'], 60_000); // leftovers of a crashed run
    await labCli(lab, ['up', ...upArgs]);
    return await fn(labState(lab));
  } finally {
    await down().catch((e: unknown) => process.stderr.write(`lab ${lab}: down failed: ${String(e)}\n`));
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Adds pods with `pod add --no-wait`, `batch` commands at a time; returns name → IP. */
export async function addPods(
  lab: string,
  pods: { name: string; node: number }[],
  batch = 10,
): Promise<Map<string, string>> {
  for (let i = 0; i < pods.length; i += batch) {
    await Promise.all(
      pods
        .slice(i, i + batch)
        .map((p) => labCli(lab, ['pod', 'add', p.name, '--node', String(p.node), '--no-wait'], 60_000)),
    );
  }
  const s = labState(lab);
  return new Map(s.pods.map((p) => [p.name, p.ip ?? '']));
}

/** Removes namespaces whose names start with `prefix` (what a crashed run left). */
export async function deleteNetnsPrefixed(prefix: string): Promise<void> {
  for (const ns of listNetns()) if (ns.startsWith(prefix)) await deleteNetns(ns);
}

/** iperf3 processes running now: stopped (and reaped) on SIGINT/SIGTERM before the clean-up. */
const live = new Set<ChildProcess>();

function tracked(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    live.add(child);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', () => undefined);
    child.once('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code: code ?? 1, stdout });
    });
  });
}

async function stopLive(): Promise<void> {
  const waits = [...live].map((c) => new Promise((r) => c.once('close', r)));
  for (const c of live) c.kill('SIGKILL');
  await Promise.race([Promise.all(waits), sleep(2000)]);
}

/**
 * iperf3 under `chrt -f <prio>` (SCHED_FIFO) when `prio` > 0: other work on a shared machine (and
 * the lab's own daemons) then preempts the stream less, so runs vary less. Bounded anyway: every
 * run is killed after its time, and the kernel keeps 5% of each CPU for other tasks.
 */
function iperfCmd(ns: string, prio: number, cpu: string | undefined, args: string[]): string[] {
  const rt = prio > 0 ? ['chrt', '-f', String(prio)] : [];
  const pin = cpu ? ['taskset', '-c', cpu] : [];
  return ['netns', 'exec', ns, ...pin, ...rt, 'iperf3', ...args];
}

/**
 * One iperf3 TCP stream from `clientNs` to `serverIp` in `serverNs`: receiver Gbit/s. `rtPrio`:
 * real-time priority of client and server (0: normal scheduling). `cpu`: a `taskset -c` list both
 * are pinned to; on one CPU the whole path (copies, forwarding softirqs) shares that CPU, so the
 * figure tracks the path's CPU cost per byte rather than how the scheduler spread the work.
 */
export async function iperfGbps(
  clientNs: string,
  serverNs: string,
  serverIp: string,
  seconds: number,
  rtPrio = 0,
  cpu?: string,
): Promise<number> {
  const srv = tracked(
    'ip',
    iperfCmd(serverNs, rtPrio, cpu, ['-s', '-1', '-B', serverIp]),
    (seconds + 20) * 1000,
  );
  // Wait until the server listens (connecting earlier fails the run).
  for (let i = 0; i < 100; i++) {
    const r = await runCommand('ip', ['netns', 'exec', serverNs, 'ss', '-Hltn', 'sport = :5201']);
    if (r.stdout.includes('LISTEN')) break;
    await sleep(20);
  }
  const r = await tracked(
    'ip',
    iperfCmd(clientNs, rtPrio, cpu, ['-c', serverIp, '-t', String(seconds), '-J']),
    (seconds + 15) * 1000,
  );
  await srv;
  let bps: number | undefined;
  let error: string | undefined;
  try {
    const j = JSON.parse(r.stdout) as {
      error?: string;
      end?: { sum_received?: { bits_per_second?: number } };
    };
    bps = j.end?.sum_received?.bits_per_second;
    error = j.error;
  } catch {
    bps = undefined;
  }
  if (!bps)
    throw new Error(`iperf3 ${clientNs} -> ${serverIp} gave no throughput (exit ${r.code}): ${error ?? ''}`);
  return bps / 1e9;
}

/** A `Vm*` field of /proc/<pid>/status in KiB (VmRSS, VmHWM), or undefined if the process is gone. */
export function vmKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Direct children of a process (every thread's `children` list). */
export function childPids(pid: number): number[] {
  const out = new Set<number>();
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  for (const t of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/)) {
        if (c) out.add(Number(c));
      }
    } catch {
      // thread gone
    }
  }
  return [...out];
}

export function procName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The 1/5/15-minute load averages (the machine is shared; recorded with every result). */
export function loadAverage(): number[] {
  return loadavg().map((x) => Math.round(x * 100) / 100);
}
