/**
 * A tiny lab for confd's end-to-end tests: "hosts" are network namespaces with an `eth0` on a Linux
 * bridge that lives in its own namespace (nothing is created in the root namespace). Hosts get
 * TEST-NET-2 addresses 198.51.100.1N/24. Everything carries the `ctsc-` prefix so that leftovers of a
 * crashed run (namespaces, BIRD processes, temp dirs) can be found and removed first.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stopBirdFromPidFile } from '../../../src/confd/index.js';

const run = promisify(execFile);
export const PREFIX = 'ctsc-';
const TMP_PREFIX = 'ctsc-e2e-';

export async function ip(...args: string[]): Promise<string> {
  const { stdout } = await run('ip', args, { timeout: 10_000 });
  return stdout;
}

/** True when this process can build namespaces and BIRD is installed. */
export async function canRunLab(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of [
    ['ip', '-V'],
    ['bird', '--version'],
    ['birdc', '--version'],
  ]) {
    try {
      await run(tool[0], tool.slice(1), { timeout: 5000 });
    } catch (e) {
      // birdc --version exits non-zero on some builds but prints its version: only ENOENT counts.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return `${tool[0]} is not installed`;
    }
  }
  return undefined;
}

/**
 * Removes what an earlier, crashed run of the lab `tag` left: BIRDs (by the PIDs in their pid
 * files), namespaces, temp dirs. Other tags (another test file's lab) are left alone.
 */
export async function cleanupLeftovers(tag: string): Promise<void> {
  const base = tmpdir();
  for (const d of (await readdir(base)).filter((n) => n.startsWith(`${TMP_PREFIX}${tag}-`))) {
    const dir = join(base, d);
    for (const f of (await readdir(dir).catch(() => [])).filter((n) => n.endsWith('.pid'))) {
      await stopBirdFromPidFile(join(dir, f)).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  }
  const list = await ip('netns', 'list');
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0];
    if (name.startsWith(`${PREFIX}${tag}-`)) await ip('netns', 'del', name).catch(() => undefined);
  }
}

export interface LabHost {
  name: string;
  ns: string;
  ip: string;
}

export interface Lab {
  dir: string;
  tag: string;
  hosts: LabHost[];
  destroy(): Promise<void>;
}

/** `count` hosts on one bridge; `tag` keeps parallel labs (different test files) apart. */
export async function createLab(tag: string, count: number): Promise<Lab> {
  const dir = await mkdtemp(join(tmpdir(), `${TMP_PREFIX}${tag}-`));
  const fab = `${PREFIX}${tag}-fab`;
  const created: string[] = [];
  const lab: Lab = {
    dir,
    tag,
    hosts: [],
    destroy: async () => {
      for (const ns of created.reverse()) await ip('netns', 'del', ns).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await ip('netns', 'add', fab);
    created.push(fab);
    await ip('-n', fab, 'link', 'set', 'lo', 'up');
    await ip('-n', fab, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', fab, 'link', 'set', 'br0', 'up');
    for (let i = 1; i <= count; i++) {
      const ns = `${PREFIX}${tag}-h${i}`;
      const host: LabHost = { name: `h${i}`, ns, ip: `198.51.100.${10 + i}` };
      await ip('netns', 'add', ns);
      created.push(ns);
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      // Create the pair in the fabric and move one end into the host as eth0.
      await ip('-n', fab, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      await ip('-n', fab, 'link', 'set', `v${i}`, 'master', 'br0', 'up');
      await ip('-n', ns, 'addr', 'add', `${host.ip}/24`, 'dev', 'eth0');
      await ip('-n', ns, 'link', 'set', 'eth0', 'up');
      lab.hosts.push(host);
    }
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return lab;
}

export interface KernelRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  metric?: number;
  type?: string;
}

/** Routes in a host's main table that BIRD wrote (`proto bird`). */
export async function birdRoutes(ns: string): Promise<KernelRoute[]> {
  return JSON.parse(await ip('-j', '-n', ns, 'route', 'show', 'proto', 'bird')) as KernelRoute[];
}

/** Polls `check` until it returns true; fails with the last state after `ms`. */
export async function eventually(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<number> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return Date.now() - start;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > ms)
      throw new Error(`${what}: not reached in ${ms} ms${last ? ` (${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
