/**
 * Two "hosts" for the `node status` end-to-end test: network namespaces joined by a veth pair
 * (198.51.100.1/2 and 2001:db8:100::1/2), a real BIRD 2 in each with Calico-style protocol names,
 * and a stand-in calico-node process (a script named calico-node.js). Everything is named with
 * the `ctlnode-` prefix; what a crashed run left behind is found by that prefix and removed, and
 * processes are only ever stopped by the PIDs we recorded, after checking their command line.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BirdControl } from '../../../../src/confd/birdc.js';

const run = promisify(execFile);
const NS_PREFIX = 'ctlnode-';
const DIR_PREFIX = 'ctlnode-e2e-';

export async function ip(...args: string[]): Promise<string> {
  return (await run('ip', args, { timeout: 10_000 })).stdout;
}

/** Why the lab cannot run here, or undefined. */
export async function labUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of ['ip', 'bird']) {
    try {
      await run(tool, tool === 'ip' ? ['-V'] : ['--version'], { timeout: 5000 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return `${tool} is not installed`;
    }
  }
  return undefined;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** SIGKILLs `pid` if it is still a process of ours: its command line names our lab directory. */
function killOurs(pid: number, dir: string): void {
  if (Number.isInteger(pid) && pid > 1 && cmdline(pid).includes(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function ownerAlive(pid: number): boolean {
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && cmdline(pid) !== '';
}

/** Removes leftovers of an earlier run that crashed: processes (by pid file), namespaces, dirs. */
export async function cleanupLeftovers(): Promise<void> {
  const base = tmpdir();
  for (const d of (await readdir(base)).filter((n) => n.startsWith(DIR_PREFIX))) {
    const dir = join(base, d);
    // A lab whose owner still runs is another test run's, not a leftover.
    if (ownerAlive(Number((await readFile(join(dir, 'owner'), 'utf8').catch(() => '')).trim()))) continue;
    for (const f of (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.pid'))) {
      killOurs(Number((await readFile(join(dir, f), 'utf8').catch(() => '')).trim()), dir);
    }
    await rm(dir, { recursive: true, force: true });
  }
  for (const line of (await ip('netns', 'list')).split('\n')) {
    const name = line.split(' ')[0];
    const owner = Number(/-(\d+)$/.exec(name)?.[1]);
    if (name.startsWith(NS_PREFIX) && !ownerAlive(owner))
      await ip('netns', 'del', name).catch(() => undefined);
  }
}

export interface LabHost {
  ns: string;
  v4: string;
  v6: string;
  socket: string;
  pid?: number;
}

export interface BirdLab {
  dir: string;
  a: LabHost;
  b: LabHost;
  /** Stops one host's BIRD (SIGTERM by PID) and waits for it to exit. */
  stopBird(h: LabHost): Promise<void>;
  destroy(): Promise<void>;
}

const underscored = (addr: string) => addr.replace(/[.:]/g, '_');

/** BIRD 2 config: v4 and v6 mesh sessions to `peer`, plus a global peer on port 1179 that nobody answers. */
function birdConfig(self: LabHost, peer: LabHost): string {
  return `router id ${self.v4};
protocol device { scan time 2; }
protocol direct { ipv4; ipv6; interface "eth0"; }
protocol bgp Mesh_${underscored(peer.v4)} {
  local ${self.v4} as 64512;
  neighbor ${peer.v4} as 64512;
  connect delay time 1; connect retry time 2; error wait time 1, 5;
  ipv4 { import all; export none; };
}
protocol bgp Mesh_${underscored(peer.v6)} {
  local ${self.v6} as 64512;
  neighbor ${peer.v6} as 64512;
  connect delay time 1; connect retry time 2; error wait time 1, 5;
  ipv6 { import all; export none; };
}
protocol bgp Global_198_51_100_3_port_1179 {
  local ${self.v4} as 64512;
  neighbor 198.51.100.3 port 1179 as 64513;
  ipv4 { import none; export none; };
}
`;
}

async function waitForSocket(path: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      (await BirdControl.connect(path, { timeoutMs: 1000 })).close();
      return;
    } catch (e) {
      if (Date.now() > deadline)
        throw new Error(`BIRD socket ${path} did not answer in ${ms} ms: ${String(e)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function createBirdLab(): Promise<BirdLab> {
  const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  await writeFile(join(dir, 'owner'), `${process.pid}\n`);
  const host = (n: number): LabHost => ({
    ns: `${NS_PREFIX}${n === 1 ? 'a' : 'b'}-${process.pid}`,
    v4: `198.51.100.${n}`,
    v6: `2001:db8:100::${n}`,
    socket: join(dir, `bird-${n}.ctl`),
  });
  const a = host(1);
  const b = host(2);
  const pids: number[] = [];

  // Synchronous, so it also runs from process.on('exit') when a test crashes the runner.
  const destroySync = () => {
    for (const pid of pids) killOurs(pid, dir);
    for (const h of [a, b]) {
      try {
        execFileSync('ip', ['netns', 'del', h.ns], { stdio: 'ignore' });
      } catch {
        // not created or already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', destroySync);

  const startChild = async (name: string, argv: string[]): Promise<number> => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    pids.push(child.pid!);
    await writeFile(join(dir, `${name}.pid`), `${child.pid}\n`);
    return child.pid!;
  };

  const lab: BirdLab = {
    dir,
    a,
    b,
    stopBird: async (h) => {
      if (h.pid === undefined) return;
      process.kill(h.pid, 'SIGTERM');
      const deadline = Date.now() + 5000;
      while (cmdline(h.pid) !== '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      killOurs(h.pid, dir);
    },
    destroy: async () => {
      process.removeListener('exit', destroySync);
      destroySync();
    },
  };

  try {
    for (const h of [a, b]) {
      await ip('netns', 'add', h.ns);
      await ip('-n', h.ns, 'link', 'set', 'lo', 'up');
    }
    await ip('-n', a.ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', b.ns);
    for (const h of [a, b]) {
      await ip('-n', h.ns, 'addr', 'add', `${h.v4}/24`, 'dev', 'eth0');
      await ip('-n', h.ns, '-6', 'addr', 'add', `${h.v6}/64`, 'dev', 'eth0', 'nodad');
      await ip('-n', h.ns, 'link', 'set', 'eth0', 'up');
    }
    for (const [self, peer, n] of [[a, b, 1] as const, [b, a, 2] as const]) {
      const cfg = join(dir, `bird-${n}.conf`);
      await writeFile(cfg, birdConfig(self, peer));
      // `ip netns exec` execs BIRD in place: the PID we get is BIRD's, and its argv[0] is `bird`.
      self.pid = await startChild(`bird-${n}`, [
        'ip',
        'netns',
        'exec',
        self.ns,
        'bird',
        '-s',
        self.socket,
        '-c',
        cfg,
        '-P',
        join(dir, `bird-${n}.bird-pid`),
        '-f',
      ]);
    }
    await Promise.all([waitForSocket(a.socket, 10_000), waitForSocket(b.socket, 10_000)]);
    // The calico-node stand-in: `node <dir>/calico-node.js`, as our calico-node runs.
    const script = join(dir, 'calico-node.js');
    await writeFile(script, 'setInterval(() => undefined, 1 << 30);\n');
    await startChild('calico-node', [process.execPath, script, '-felix']);
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return lab;
}
