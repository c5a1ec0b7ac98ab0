/**
 * The lab's daemons outlive the command that starts them, so they are found again through /proc:
 * every process the lab starts carries `CALICO_LAB_DIR=<state dir>` in its environment (children
 * such as BIRD inherit it, and name the state dir on their command line too). Nothing is stopped
 * unless /proc says it is still ours: a recycled PID is left alone.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { netnsPath } from './names.js';

export const LAB_MARKER_VAR = 'CALICO_LAB_DIR';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

/** Running (a zombie has exited: it only waits for its parent to notice). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const s = procStat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

function nulList(path: string): string[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\0')
      .filter((s) => s !== '');
  } catch {
    return [];
  }
}

export function cmdline(pid: number): string[] {
  return nulList(`/proc/${pid}/cmdline`);
}

/** Does this process belong to the lab whose state dir is `dir`? */
export function isLabProcess(pid: number, dir: string): boolean {
  if (!pidAlive(pid)) return false;
  if (nulList(`/proc/${pid}/environ`).includes(`${LAB_MARKER_VAR}=${dir}`)) return true;
  return cmdline(pid).some((a) => a === dir || a.includes(`${dir}/`));
}

/** The inode of a named network namespace (what /proc/<pid>/ns/net points at), if it exists. */
export function netnsInode(name: string): number | undefined {
  try {
    return statSync(netnsPath(name)).ino;
  } catch {
    return undefined;
  }
}

function processNetnsInode(pid: number): number | undefined {
  try {
    const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** This process and its ancestors: never ours to stop, whatever their environment says. */
function selfAndAncestors(): Set<number> {
  const out = new Set<number>();
  let pid = process.pid;
  while (pid > 1 && !out.has(pid)) {
    out.add(pid);
    pid = procStat(pid)?.ppid ?? 0;
  }
  return out;
}

/**
 * Processes of the lab: marked with its state dir, or running inside one of its namespaces
 * (commands a user started with `calico-lab exec`, pings, a BIRD whose parent died).
 */
export function findLabProcesses(dir: string, netnsInodes: ReadonlySet<number>): number[] {
  const skip = selfAndAncestors();
  const out: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (skip.has(pid) || !pidAlive(pid)) continue;
    const ino = netnsInodes.size > 0 ? processNetnsInode(pid) : undefined;
    if ((ino !== undefined && netnsInodes.has(ino)) || isLabProcess(pid, dir)) out.push(pid);
  }
  return out;
}

/**
 * SIGTERM, then SIGKILL for whatever still runs after `graceMs`. Resolves when all are gone (or
 * after a bounded wait for processes stuck in the kernel).
 */
export async function stopProcesses(pids: readonly number[], graceMs = 10_000): Promise<number[]> {
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // gone already
    }
  };
  let left = pids.filter(pidAlive);
  for (const pid of left) {
    signal(pid, 'SIGCONT'); // a stopped process cannot act on SIGTERM
    signal(pid, 'SIGTERM');
  }
  const deadline = Date.now() + graceMs;
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50);
    left = left.filter(pidAlive);
  }
  for (const pid of left) signal(pid, 'SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (left.length > 0 && Date.now() < killDeadline) {
    await sleep(20);
    left = left.filter(pidAlive);
  }
  return left;
}

let spawnsBlocked = false;

/** After this, startDetached refuses: an interrupted `up` must not start daemons behind its teardown. */
export function blockSpawns(): void {
  spawnsBlocked = true;
}

export interface DetachedSpec {
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** stdout and stderr go here (appended). */
  logFile: string;
  cwd?: string;
}

/**
 * Starts a daemon in its own session, detached from us: it keeps running after calico-lab exits
 * and a Ctrl-C in the terminal does not reach it. Returns its PID once the exec has succeeded.
 */
export async function startDetached(spec: DetachedSpec): Promise<number> {
  if (spawnsBlocked) throw new Error(`not starting ${spec.cmd}: the lab is being torn down`);
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.cmd, spec.args, {
      env: spec.env,
      cwd: spec.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`${spec.cmd} did not start`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** The last lines of a log file, for error messages. */
export function logTail(file: string, lines = 12): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
