/**
 * Podman as a real CNI caller, fenced off from the machine (lab-reference REPORT §7):
 * root, runc, cgroupfs, file events, lowered ulimits (no CAP_SYS_RESOURCE here), the CNI backend
 * with a private network_config_dir and plugin dir, private storage, and podman itself running
 * inside a "host" network namespace entered with `nsenter --net` (not `ip netns exec`, which
 * remounts /sys and hides the cgroup mounts). Nothing appears in the root namespace.
 *
 * Every lab lives in /tmp/calico-ts-podman-<prefix>-*; removePodmanLeftovers(prefix) tears down
 * what a crashed run left (containers, images, overlay mounts, namespaces, libcni's cache files).
 */
import { execFile } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const BASE = '/tmp';
const LIBCNI_CACHE = '/var/lib/cni';
const BUSYBOX_APPLETS = [
  'sh',
  'ip',
  'ping',
  'sleep',
  'cat',
  'ls',
  'ifconfig',
  'route',
  'echo',
  'true',
  'hostname',
];

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command, never rejecting; a timeout kills it (SIGKILL) and reports code 124. */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      {
        env: opts.env ?? process.env,
        timeout: opts.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        maxBuffer: 64 << 20,
      },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        const code = !e ? 0 : e.killed ? 124 : typeof e.code === 'number' ? e.code : 127;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) + (e && !stderr ? e.message : '') });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

async function must(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r;
}

function which(name: string): string | undefined {
  for (const d of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (d && existsSync(join(d, name))) return join(d, name);
  }
  for (const d of ['/usr/sbin', '/usr/bin', '/sbin', '/bin'])
    if (existsSync(join(d, name))) return join(d, name);
  return undefined;
}

/** Why podman cannot be used here, or undefined when it can (the packages come from scripts/bootstrap). */
export function podmanUnusableReason(): string | undefined {
  if (process.getuid?.() !== 0)
    return 'podman tests need root (rootless podman cannot work here: /dev/net/tun is 0600)';
  for (const tool of ['podman', 'runc', 'nsenter', 'ip']) {
    if (!which(tool)) return `${tool} is not installed (run scripts/bootstrap)`;
  }
  if (!existsSync('/bin/busybox')) return 'busybox-static is not installed (run scripts/bootstrap)';
  return undefined;
}

/** The environment plugins and podman run with: this VM's NODE_EXTRA_CA_CERTS costs ~35 ms per node start. */
export function runtimeEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  return env;
}

export interface PodmanLabOptions {
  /** Short (≤ 8 chars, [a-z0-9]): names the work dirs, the host namespace and the image. */
  prefix: string;
  /** Files for the CNI plugin dir (name → content), made executable: wrappers for our plugins. */
  plugins?: Record<string, string>;
  /** Added to the environment podman (and so every CNI plugin it runs) gets. */
  env?: Record<string, string>;
}

export interface PodmanLab {
  readonly prefix: string;
  readonly work: string;
  /** The "host" namespace podman runs in, under /run/netns. */
  readonly hostNs: string;
  /** The host's address on its uplink (a TEST-NET-1 address inside the host namespace only). */
  readonly hostAddress: string;
  readonly image: string;
  readonly pluginDir: string;
  readonly confDir: string;
  podman(args: string[], opts?: { timeoutMs?: number; env?: Record<string, string> }): Promise<RunResult>;
  /** `ip` inside the host namespace. */
  ip(args: string[]): Promise<RunResult>;
  /** Writes a network conflist podman will find (name must start with the prefix). */
  addNetwork(conflist: { name: string } & Record<string, unknown>): void;
  writePlugin(name: string, content: string): void;
  /**
   * Records a process we started for this lab (e.g. an agent), so a later run can stop it if this
   * one crashes: it is killed only while its command line still names this lab's work dir.
   */
  recordPid(pid: number): void;
  close(): Promise<void>;
}

interface LabFiles {
  work: string;
  hostNs: string;
}

function confEnv(work: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return runtimeEnv({
    CONTAINERS_CONF: join(work, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: join(work, 'storage.conf'),
    TMPDIR: join(work, 'tmp'),
    ...extra,
  });
}

function readNetworks(work: string): string[] {
  try {
    return readFileSync(join(work, 'networks'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Removes libcni's cached results and host-local state for our networks (kept outside the work dir). */
function removeLibcniCache(networks: string[]): void {
  for (const net of networks) {
    rmSync(join(LIBCNI_CACHE, 'networks', net), { recursive: true, force: true });
    const results = join(LIBCNI_CACHE, 'results');
    if (!existsSync(results)) continue;
    for (const f of readdirSync(results))
      if (f.startsWith(`${net}-`)) rmSync(join(results, f), { force: true });
  }
  // libcni creates these on first use; leave them only if someone else keeps files there.
  for (const d of ['networks', 'results', '']) {
    try {
      rmdirSync(join(LIBCNI_CACHE, d));
    } catch {
      // not empty, or absent
    }
  }
}

/** SIGKILLs the processes recorded for this lab that still carry the work dir in their command line. */
function killRecorded(work: string): void {
  let pids: number[] = [];
  try {
    pids = readFileSync(join(work, 'pids'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return;
  }
  for (const pid of pids) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // gone
    }
    if (!cmdline.includes(work)) continue; // the PID was reused by someone else
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
}

async function teardown(files: LabFiles): Promise<void> {
  const { work, hostNs } = files;
  const nsPath = `/run/netns/${hostNs}`;
  killRecorded(work);
  if (existsSync(join(work, 'containers.conf'))) {
    const env = confEnv(work);
    // Containers are removed from inside the host namespace, so their CNI DEL runs where ADD did.
    if (existsSync(nsPath)) {
      await run('nsenter', [`--net=${nsPath}`, 'podman', 'rm', '-a', '-f', '-t', '0'], {
        env,
        timeoutMs: 60_000,
      });
    }
    await run('podman', ['rmi', '-a', '-f'], { env, timeoutMs: 60_000 });
  }
  if (existsSync(nsPath)) await run('ip', ['netns', 'del', hostNs]);
  // Overlay and shm mounts an interrupted podman left under the work dir, deepest first.
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m): m is string => !!m && (m === work || m.startsWith(work + '/')))
    .sort()
    .reverse();
  for (const m of mounts) await run('umount', ['-l', m]);
  removeLibcniCache(readNetworks(work));
  rmSync(work, { recursive: true, force: true });
}

/** Tears down every lab with this prefix left by an earlier (crashed) run. */
export async function removePodmanLeftovers(prefix: string): Promise<void> {
  const stem = `calico-ts-podman-${prefix}-`;
  for (const name of readdirSync(BASE)) {
    if (!name.startsWith(stem)) continue;
    const work = join(BASE, name);
    let hostNs = `${prefix}-host`;
    try {
      hostNs = readFileSync(join(work, 'hostns'), 'utf8').trim() || hostNs;
    } catch {
      // the lab died before naming its namespace
    }
    await teardown({ work, hostNs });
  }
  if (existsSync(`/run/netns/${prefix}-host`)) await run('ip', ['netns', 'del', `${prefix}-host`]);
}

function hardLimit(flag: '-Hn' | '-Hu'): Promise<number> {
  return run('sh', ['-c', `ulimit ${flag}`]).then((r) => Number(r.stdout.trim()) || 1024);
}

/** Creates a lab: private podman config and storage, the host namespace, the busybox image. */
export async function startPodmanLab(opts: PodmanLabOptions): Promise<PodmanLab> {
  if (!/^[a-z0-9]{1,8}$/.test(opts.prefix)) throw new Error(`bad lab prefix ${opts.prefix}`);
  await removePodmanLeftovers(opts.prefix);
  const work = mkdtempSync(join(BASE, `calico-ts-podman-${opts.prefix}-`));
  const hostNs = `${opts.prefix}-host`;
  const files: LabFiles = { work, hostNs };
  const pluginDir = join(work, 'cni-bin');
  const confDir = join(work, 'net.d');
  const image = `localhost/${opts.prefix}-busybox:latest`;
  const hostAddress = '192.0.2.11';
  try {
    writeFileSync(join(work, 'hostns'), hostNs);
    for (const d of ['root', 'runroot', 'tmp', 'libpod-tmp', 'rootfs', 'cni-bin', 'net.d'])
      mkdirSync(join(work, d));
    // conmon runs with hard nofile 20000 and nproc 32768 here and root lacks CAP_SYS_RESOURCE:
    // podman's default rlimits would fail in runc's setrlimit.
    const nofile = await hardLimit('-Hn');
    const nproc = Math.min(await hardLimit('-Hu'), 32768);
    writeFileSync(
      join(work, 'containers.conf'),
      [
        '[containers]',
        `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
        '[engine]',
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        `events_logfile_path = "${join(work, 'events.log')}"`,
        'runtime = "runc"',
        `tmp_dir = "${join(work, 'libpod-tmp')}"`,
        '[network]',
        'network_backend = "cni"',
        `cni_plugin_dirs = ["${pluginDir}", "/usr/lib/cni"]`,
        `network_config_dir = "${confDir}"`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(work, 'storage.conf'),
      `[storage]\ndriver = "overlay"\ngraphroot = "${join(work, 'root')}"\nrunroot = "${join(work, 'runroot')}"\n`,
    );
    for (const [name, content] of Object.entries(opts.plugins ?? {})) writePlugin(pluginDir, name, content);

    // The host namespace: an uplink with a default route (proxy ARP answers for 169.254.1.1 only
    // when the host has a route to it that is not through the pod's own interface), forwarding on.
    await must('ip', ['netns', 'add', hostNs]);
    const ipn = (args: string[]) => must('ip', ['-n', hostNs, ...args]);
    await ipn(['link', 'set', 'lo', 'up']);
    await ipn(['link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'uplink-peer']);
    await ipn(['addr', 'add', `${hostAddress}/24`, 'dev', 'uplink']);
    await ipn(['link', 'set', 'uplink', 'up']);
    await ipn(['link', 'set', 'uplink-peer', 'up']);
    await ipn(['route', 'add', 'default', 'via', '192.0.2.1', 'dev', 'uplink']);
    await must('nsenter', [`--net=/run/netns/${hostNs}`, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);

    // A busybox rootfs imported as an image (no registry needed).
    const rootfs = join(work, 'rootfs');
    for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'run', 'root']) mkdirSync(join(rootfs, d));
    copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
    chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
    for (const a of BUSYBOX_APPLETS) symlinkSync('busybox', join(rootfs, 'bin', a));
    await must('tar', ['-C', rootfs, '-cf', join(work, 'rootfs.tar'), '.']);
    await must('podman', ['import', join(work, 'rootfs.tar'), image], {
      env: confEnv(work),
      timeoutMs: 120_000,
    });
  } catch (e) {
    await teardown(files);
    throw e;
  }

  let closed = false;
  return {
    prefix: opts.prefix,
    work,
    hostNs,
    hostAddress,
    image,
    pluginDir,
    confDir,
    podman: (args, o = {}) =>
      run('nsenter', [`--net=/run/netns/${hostNs}`, 'podman', ...args], {
        env: confEnv(work, { ...opts.env, ...o.env }),
        timeoutMs: o.timeoutMs ?? 120_000,
      }),
    ip: (args) => run('ip', ['-n', hostNs, ...args]),
    addNetwork(conflist) {
      if (!conflist.name.startsWith(opts.prefix))
        throw new Error(`network ${conflist.name} lacks the lab prefix`);
      writeFileSync(join(work, 'networks'), [...readNetworks(work), conflist.name].join('\n') + '\n');
      writeFileSync(join(confDir, `50-${conflist.name}.conflist`), JSON.stringify(conflist, null, 2));
    },
    writePlugin: (name, content) => writePlugin(pluginDir, name, content),
    recordPid(pid) {
      appendFileSync(join(work, 'pids'), `${pid}\n`);
    },
    async close() {
      if (closed) return;
      closed = true;
      await teardown(files);
    },
  };
}

function writePlugin(dir: string, name: string, content: string): void {
  writeFileSync(join(dir, name), content);
  chmodSync(join(dir, name), 0o755);
}
