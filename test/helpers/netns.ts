/**
 * Network namespaces for tests: every test host and pod is one. Names are `cts-<pid>-<label>` so a
 * run can recognise (and remove) what a crashed earlier run left behind, and everything this
 * process created is deleted on exit, even after a failure. Commands run inside with
 * `nsenter --net` (not `ip netns exec`, which remounts /sys and hides the cgroup tree).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type RunResult } from '../../src/cni/dataplane/run.js';

export type { RunResult };

export const NETNS_PREFIX = 'cts-';
const NETNS_DIR = '/run/netns';

const live = new Set<string>();
let hooksInstalled = false;
let staleCleaned = false;

function deleteNow(name: string): void {
  spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  live.delete(name);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const n of [...live]) deleteNow(n);
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      for (const n of [...live]) deleteNow(n);
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A temp dir named `<prefix><pid>-XXXXXX`; first removes same-prefix dirs whose process is gone
 * (what a crashed run left behind).
 */
export function makeTempDir(prefix: string): string {
  const base = tmpdir();
  for (const name of readdirSync(base)) {
    const m = new RegExp(`^${prefix}(\\d+)-`).exec(name);
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) {
      rmSync(join(base, name), { recursive: true, force: true });
    }
  }
  return mkdtempSync(join(base, `${prefix}${process.pid}-`));
}

/** Deletes `cts-<pid>-*` namespaces whose creating process is gone (a crashed or killed run). */
export function cleanupStaleNetns(): string[] {
  if (!existsSync(NETNS_DIR)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(NETNS_DIR)) {
    const m = /^cts-(\d+)-/.exec(name);
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    deleteNow(name);
    removed.push(name);
  }
  return removed;
}

export class Netns {
  readonly path: string;

  constructor(readonly name: string) {
    this.path = `${NETNS_DIR}/${name}`;
  }

  /** Runs a command inside the namespace. */
  run(
    cmd: string,
    args: string[] = [],
    opts: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<RunResult> {
    return run('nsenter', [`--net=${this.path}`, cmd, ...args], opts);
  }

  /** Like run() but throws (with stderr) on a non-zero exit; returns stdout. */
  async must(cmd: string, args: string[] = [], opts: { stdin?: string; env?: Record<string, string> } = {}) {
    const r = await this.run(cmd, args, opts);
    if (r.code !== 0) {
      throw new Error(`in ${this.name}: ${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
    }
    return r.stdout;
  }

  /** `ip <args>` inside the namespace (stdout). */
  ip(...args: string[]): Promise<string> {
    return this.must('ip', args);
  }

  /** `ip -batch` of several commands in one process. */
  ipBatch(lines: string[]): Promise<string> {
    return this.must('ip', ['-batch', '-'], { stdin: lines.join('\n') + '\n' });
  }

  /** JSON from `ip -j <args>`. */
  async ipJson<T = Record<string, unknown>>(...args: string[]): Promise<T[]> {
    const out = await this.must('ip', ['-j', ...args]);
    return out.trim() ? (JSON.parse(out) as T[]) : [];
  }

  /** A sysctl value as this namespace sees it, e.g. `net/ipv4/conf/eth0/proxy_arp`. */
  async sysctl(key: string): Promise<string> {
    return (await this.must('cat', [`/proc/sys/${key}`])).trim();
  }

  async setSysctl(key: string, value: string): Promise<void> {
    await this.must('sh', ['-c', 'echo "$2" > "/proc/sys/$1"', 'sh', key, value]);
  }

  async delete(): Promise<void> {
    if (!live.has(this.name) && !existsSync(this.path)) return;
    deleteNow(this.name);
  }
}

/** A new empty namespace (loopback up), deleted at exit if the test does not delete it first. */
export async function createNetns(label: string): Promise<Netns> {
  installHooks();
  if (!staleCleaned) {
    staleCleaned = true;
    cleanupStaleNetns();
  }
  if (!/^[a-zA-Z0-9_.-]+$/.test(label)) throw new Error(`bad netns label ${label}`);
  const name = `${NETNS_PREFIX}${process.pid}-${label}`;
  if (existsSync(`${NETNS_DIR}/${name}`)) deleteNow(name);
  execFileSync('ip', ['netns', 'add', name], { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(name);
  const ns = new Netns(name);
  await ns.ip('link', 'set', 'lo', 'up');
  return ns;
}

export interface HostNetnsOptions {
  /** Underlay address of the host's uplink (198.51.100.0/24 or 203.0.113.0/24 only). */
  uplink4?: string;
  gateway4?: string;
  uplink6?: string;
  gateway6?: string;
}

/**
 * A "host" for the CNI plugin: forwarding on, and an uplink (a veth pair whose both ends stay in
 * the namespace) carrying the default routes. Proxy ARP answers for 169.254.1.1 only because the
 * route to it leaves through another interface than the pod's veth, as on a real host.
 */
export async function createHostNetns(label: string, opts: HostNetnsOptions = {}): Promise<Netns> {
  const ns = await createNetns(label);
  const up4 = opts.uplink4 ?? '198.51.100.2/24';
  const gw4 = opts.gateway4 ?? '198.51.100.1';
  const up6 = opts.uplink6 ?? '2001:db8:100::2/64';
  const gw6 = opts.gateway6 ?? '2001:db8:100::1';
  await ns.setSysctl('net/ipv4/ip_forward', '1');
  await ns.setSysctl('net/ipv6/conf/all/forwarding', '1');
  await ns.ipBatch([
    'link add uplink type veth peer name uplink-peer',
    `addr add ${up4} dev uplink`,
    `addr add ${up6} dev uplink nodad`,
    'link set uplink up',
    'link set uplink-peer up',
    `route add default via ${gw4} dev uplink onlink`,
    `route add ::/0 via ${gw6} dev uplink onlink`,
  ]);
  return ns;
}

/** Deletes every namespace this process created. */
export function deleteAllNetns(): void {
  for (const n of [...live]) deleteNow(n);
}

/** Names of this process's namespaces still present (for leak checks). */
export function liveNetns(): string[] {
  return [...live].filter((n) => existsSync(`${NETNS_DIR}/${n}`));
}

// ---- reaching a root-namespace TCP service (etcd) from inside a test namespace -------------------

/** Runs inside the namespace: 127.0.0.1:<port> → the unix socket (argv: port, socket path). */
const NS_RELAY = `
const net = require('node:net');
const [port, sock] = process.argv.slice(1);
net.createServer((c) => {
  const u = net.connect(sock);
  c.pipe(u); u.pipe(c);
  const end = () => { c.destroy(); u.destroy(); };
  c.on('error', end); u.on('error', end); c.on('close', end); u.on('close', end);
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\\n'));
process.stdin.on('end', () => process.exit(0)).resume();
`;

export interface NetnsRelay {
  close(): Promise<void>;
}

/**
 * Makes 127.0.0.1:<port> inside `ns` reach 127.0.0.1:<port> of this process's namespace, so a
 * plugin running in a test host namespace talks to the test's etcd at the very same URL. Nothing in
 * the root namespace's addresses or routes changes: the path is a unix socket between a relay in
 * this process and one node process inside the namespace (which exits when its stdin closes).
 */
export async function relayTcpIntoNetns(ns: Netns, port: number): Promise<NetnsRelay> {
  const dir = makeTempDir('cts-relay-');
  const sock = join(dir, 'relay.sock');
  const conns = new Set<net.Socket>();
  const server = net.createServer((c) => {
    const t = net.connect(port, '127.0.0.1');
    conns.add(c).add(t);
    c.pipe(t);
    t.pipe(c);
    const end = (): void => {
      c.destroy();
      t.destroy();
      conns.delete(c);
      conns.delete(t);
    };
    for (const s of [c, t]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(sock, resolve));
  const child = spawn('nsenter', [`--net=${ns.path}`, process.execPath, '-e', NS_RELAY, String(port), sock], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('netns relay did not start within 10 s')), 10_000);
      child.stdout.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`netns relay exited (${code})`));
      });
    });
  } catch (e) {
    child.kill('SIGKILL');
    server.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    async close(): Promise<void> {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
      child.stdout.destroy();
      for (const c of conns) c.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
