/**
 * A lab for calico-node daemon tests: hosts are network namespaces (`cts-<pid>-nd-h<i>`, from
 * test/helpers/netns.ts) with an `eth0` on a bridge in a fabric namespace, 198.51.100.1<i>/24.
 * etcd runs in the root namespace on 127.0.0.1 and also listens on a unix socket: daemons inside
 * the host namespaces use `ETCD_ENDPOINTS=unix://…` (a filesystem socket reaches across network
 * namespaces), the test itself the TCP endpoint; nothing is added to the root namespace.
 *
 * Daemons run as `nsenter --net=<ns> node dist/bin/calico-node.js` children, each with its own
 * CALICO_RUN_DIR/CALICO_STATE_DIR under a temp dir `ctnd-<pid>-…`. Their PIDs and BIRD's pid
 * files live there, so a later run reaps what a crashed run left (daemons and BIRDs, by PID),
 * and this process's exit hook kills its own daemons and BIRDs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createNetns, makeTempDir, type Netns } from '../../../helpers/netns.js';
import { startEtcd, type EtcdHandle } from '../../../helpers/etcd.js';

const DIR_PREFIX = 'ctnd-';
export const NODE_BIN = resolve('dist/bin/calico-node.js');
export const CALICOCTL_BIN = resolve('dist/bin/calicoctl.js');

export interface LabHost {
  name: string;
  ns: Netns;
  ip: string;
  runDir: string;
  stateDir: string;
}

export interface DaemonLab {
  dir: string;
  etcd: EtcdHandle;
  hosts: LabHost[];
  /** Environment for a daemon on `host` (datastore, node name, IP, state dirs). */
  env(host: LabHost, extra?: Record<string, string>): Record<string, string>;
  destroy(): Promise<void>;
}

export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const p of ['/usr/bin/nsenter', '/usr/bin/etcd']) if (!existsSync(p)) return `${p} is missing`;
  if (!existsSync(NODE_BIN)) return 'dist/bin/calico-node.js is missing (build first)';
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The argv of a live process (not a zombie), or undefined. */
function cmdline(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z/.test(stat)) return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/** Kills the process in a pid file if it still is what we started (calico-node.js or bird). */
function killFromPidFile(file: string): number | undefined {
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  const argv = cmdline(pid);
  if (!argv || !argv.some((a) => a.endsWith('calico-node.js') || /(^|\/)bird$/.test(a))) return undefined;
  try {
    process.kill(pid, 'SIGKILL');
    return pid;
  } catch {
    return undefined;
  }
}

function pidFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...pidFiles(p));
    else if (e.name.endsWith('.pid')) out.push(p);
  }
  return out;
}

/** Kills daemons and BIRDs recorded in a lab dir (a crashed run's, or ours at exit). */
function reapDir(dir: string): number[] {
  const killed: number[] = [];
  for (const f of pidFiles(dir)) {
    try {
      const pid = killFromPidFile(f);
      if (pid) killed.push(pid);
    } catch {
      // unreadable: nothing to kill
    }
  }
  return killed;
}

/** Reaps labs whose test process is gone (their namespaces are removed by helpers/netns.ts). */
export function reapStaleLabs(): number[] {
  const killed: number[] = [];
  for (const name of readdirSync(tmpdir())) {
    const m = new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(name);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    killed.push(...reapDir(join(tmpdir(), name)));
  }
  return killed;
}

const labDirs = new Set<string>();
let exitHook = false;

export async function createDaemonLab(count: number): Promise<DaemonLab> {
  reapStaleLabs();
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const d of labDirs) {
        reapDir(d);
        rmSync(d, { recursive: true, force: true });
      }
    });
  }
  const dir = makeTempDir(DIR_PREFIX);
  labDirs.add(dir);
  const made: Netns[] = [];
  let etcd: EtcdHandle | undefined;
  const destroy = async (): Promise<void> => {
    reapDir(dir);
    for (const ns of made.splice(0).reverse()) await ns.delete();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
    labDirs.delete(dir);
  };
  try {
    etcd = await startEtcd();
    if (!etcd.unixEndpoint) throw new Error('the test etcd has no unix endpoint');
    const endpoint = etcd.unixEndpoint;
    const fabric = await createNetns('nd-fab');
    made.push(fabric);
    await fabric.ipBatch(['link add br0 type bridge', 'link set br0 up']);
    const hosts: LabHost[] = [];
    for (let i = 1; i <= count; i++) {
      const ns = await createNetns(`nd-h${i}`);
      made.push(ns);
      const ip = `198.51.100.${10 + i}`;
      await fabric.ipBatch([
        `link add vh${i} type veth peer name eth0 netns ${ns.name}`,
        `link set vh${i} master br0 up`,
      ]);
      await ns.ipBatch([`addr add ${ip}/24 dev eth0`, 'link set eth0 up']);
      const runDir = join(dir, `h${i}`, 'run');
      const stateDir = join(dir, `h${i}`, 'lib');
      mkdirSync(runDir, { recursive: true });
      mkdirSync(stateDir, { recursive: true });
      hosts.push({ name: `h${i}`, ns, ip, runDir, stateDir });
    }
    const etcdEnv = { ...etcd.env(), ETCD_ENDPOINTS: endpoint };
    return {
      dir,
      etcd,
      hosts,
      env: (host, extra = {}) => ({
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        ...etcdEnv,
        NODENAME: host.name,
        IP: `${host.ip}/24`,
        CALICO_RUN_DIR: host.runDir,
        CALICO_STATE_DIR: host.stateDir,
        CALICO_LOG_DIR: join(host.stateDir, 'log'),
        CALICO_IPV4POOL_CIDR: '10.244.0.0/16',
        CALICO_IPV6POOL_CIDR: 'none',
        FELIX_IPV6SUPPORT: 'false',
        FELIX_PROMETHEUSMETRICSENABLED: 'true',
        ...extra,
      }),
      destroy,
    };
  } catch (e) {
    await destroy();
    throw e;
  }
}

export interface DaemonProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** stderr lines so far (JSON log lines). */
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** SIGTERM, then waits (SIGKILL after `ms`, which fails the wait). */
  terminate(ms?: number): Promise<{ code: number | null; signal: string | null }>;
  kill9(): Promise<void>;
  /** Log lines parsed, for assertions. */
  entries(): Record<string, unknown>[];
}

/** Starts `calico-node <args>` inside the host's namespace; records its PID in the lab dir. */
export function spawnDaemon(
  lab: DaemonLab,
  host: LabHost,
  env: Record<string, string>,
  args: string[] = [],
): DaemonProcess {
  const child = spawn('nsenter', [`--net=${host.ns.path}`, process.execPath, NODE_BIN, ...args], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('calico-node did not start');
  const pid = child.pid;
  const pidFile = join(lab.dir, `daemon-${host.name}-${pid}.pid`);
  writeFileSync(pidFile, String(pid));
  const lines: string[] = [];
  let partial = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
    if (process.env.CTS_NODE_LOG) for (const l of parts) if (l) process.stderr.write(`[${host.name}] ${l}\n`);
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
    child.once('exit', (code, signal) => {
      rmSync(pidFile, { force: true });
      r({ code, signal });
    }),
  );
  return {
    pid,
    child,
    lines,
    exited,
    terminate: async (ms = 20_000) => {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
      const r = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (r === 'late') {
        process.kill(pid, 'SIGKILL');
        await exited;
        throw new Error(
          `calico-node (pid ${pid}) did not stop within ${ms} ms:\n${lines.slice(-20).join('\n')}`,
        );
      }
      return r;
    },
    kill9: async () => {
      process.kill(pid, 'SIGKILL');
      await exited;
    },
    entries: () =>
      lines.flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
  };
}

/** GET a URL from inside a namespace (a short-lived node child there). */
export async function nsGet(ns: Netns, url: string): Promise<{ status: number; body: string }> {
  const script =
    'fetch(process.argv[1], { signal: AbortSignal.timeout(5000) })' +
    '.then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })))' +
    '.catch((e) => process.stdout.write(JSON.stringify({ status: 0, body: String(e && e.cause || e) })))';
  const r = await ns.run(process.execPath, ['-e', script, url], { timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`fetch in ${ns.name} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { status: number; body: string };
}

/** Polls until `check` returns a value (not undefined); fails with the last error after `ms`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms = 30_000,
): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > ms)
      throw new Error(`${what}: not reached in ${ms} ms${last ? ` (${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** True while a process with this PID exists (zombies excluded). */
export function processAlive(pid: number): boolean {
  return cmdline(pid) !== undefined;
}

/** PIDs of BIRDs whose command line names `socketPath`. */
export function birdsOn(socketPath: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const argv = cmdline(Number(e));
    if (argv && /(^|\/)bird$/.test(argv[0]) && argv.includes(socketPath)) out.push(Number(e));
  }
  return out;
}
