/**
 * Which processes `calicoctl node status` looks for, and reading them from /proc.
 *
 * Calico (Go) treats a process as calico-node when its argv[0] is `calico-felix` or its argv is
 * `calico-node -felix`. Ours runs on Node.js, so argv[0] is `node` and the program is a script
 * argument (`node /…/dist/bin/calico-node.js [mode]`), or a wrapper/binary named `calico-node`.
 * So we match on path basenames anywhere in argv instead of on fixed positions.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** One process's argument vector (empty for kernel threads and zombies). */
export type Argv = readonly string[];

/** Lists the argv of every process; injected in tests. */
export type ProcessLister = () => Promise<Argv[]>;

const CALICO_NAMES = new Set(['calico-felix', 'calico-node', 'calico-node.js']);
const BIRD_NAMES = new Set(['bird', 'bird6']);

/**
 * True when some argv element's basename is exactly `calico-felix`, `calico-node` or
 * `calico-node.js` (so `/usr/bin/calico-node -felix`, `node dist/bin/calico-node.js -startup` and
 * `calico-felix` match; `calico-node-helper`, `mycalico-node` and `calico-node.test.js` do not).
 * Any position counts, as in Calico's position-wise compare, so an interpreter's options may come
 * before the script.
 */
export function isCalicoNodeProcess(argv: Argv): boolean {
  return argv.some((a) => a !== '' && CALICO_NAMES.has(basename(a)));
}

/**
 * True when argv[0]'s basename is `bird` or `bird6`. Calico compares argv[0] exactly; the basename
 * also accepts a BIRD started by absolute path (`/usr/sbin/bird -f …`). `ip netns exec NS bird …`
 * execs BIRD in place, so its argv[0] is `bird` too.
 */
export function isBirdProcess(argv: Argv): boolean {
  return argv.length > 0 && BIRD_NAMES.has(basename(argv[0]));
}

/** Reads /proc/<pid>/cmdline (NUL-separated) for every numeric entry; vanished processes are skipped. */
export async function listProcArgv(procRoot = '/proc'): Promise<Argv[]> {
  const pids = (await readdir(procRoot)).filter((n) => /^\d+$/.test(n));
  const all = await Promise.all(
    pids.map(async (pid) => {
      const raw = await readFile(join(procRoot, pid, 'cmdline'), 'utf8').catch(() => '');
      // The kernel ends every argument with a NUL; a process that rewrote its title may not.
      const parts = raw.split('\0');
      if (parts[parts.length - 1] === '') parts.pop();
      return parts;
    }),
  );
  return all.filter((argv) => argv.length > 0);
}
