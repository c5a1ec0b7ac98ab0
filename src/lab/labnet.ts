/**
 * labnet (tools/labnet/main.go): the server each Kubernetes pod of the lab runs on its container
 * ports, and the client `probe` and `matrix` run inside the source pod. A small Go program, so a
 * probe costs a fork and an exec rather than a Node.js start (the matrix runs dozens at once). It
 * is built on first use with Debian's Go (stdlib only, offline) into dist/tools/labnet, and built
 * again whenever its source is newer than the binary.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabError } from './lab-error.js';
import { netnsPath, type LabNames } from './names.js';
import { LAB_MARKER_VAR, logTail, pidAlive, startDetached } from './processes.js';
import { baseEnv, runCommand, runInNetns } from './run-command.js';

/** The Go source (in the repository, beside dist/). */
export const LABNET_SRC_DIR = fileURLToPath(new URL('../../../tools/labnet/', import.meta.url));
/** The built binary (dist/tools/labnet). */
export const LABNET_BIN = fileURLToPath(new URL('../../tools/labnet', import.meta.url));

export type Protocol = 'tcp' | 'udp';

function mtime(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Is the binary missing or older than its source? */
export function labnetStale(): boolean {
  const bin = mtime(LABNET_BIN);
  if (bin === undefined) return true;
  const src = mtime(join(LABNET_SRC_DIR, 'main.go'));
  return src !== undefined && src > bin;
}

let building: Promise<string> | undefined;

/** Builds labnet if needed (a few seconds the first time); returns the binary's path. */
export function ensureLabnet(): Promise<string> {
  if (!labnetStale()) return Promise.resolve(LABNET_BIN);
  // One build per process, however many pods start at once.
  building ??= build().finally(() => (building = undefined));
  return building;
}

async function build(): Promise<string> {
  if (!existsSync(join(LABNET_SRC_DIR, 'main.go'))) {
    throw new LabError(
      `labnet is not built and its source is missing (${LABNET_SRC_DIR}main.go)`,
      'run calico-lab from a calico-ts checkout (the pods’ servers are built from tools/labnet)',
    );
  }
  const which = await runCommand('sh', ['-c', 'command -v go'], { timeoutMs: 5000 });
  if (which.code !== 0) {
    throw new LabError(
      'the pods’ servers (tools/labnet) need Go to build, and `go` is not installed',
      'install Debian’s golang-go (scripts/bootstrap does), then run the command again',
    );
  }
  const outDir = dirname(LABNET_BIN);
  mkdirSync(outDir, { recursive: true });
  // Built beside the target and renamed: a concurrent calico-lab never runs a half-written file.
  const tmp = `${LABNET_BIN}.${process.pid}.tmp`;
  const r = await runCommand('go', ['build', '-o', tmp, '.'], {
    cwd: LABNET_SRC_DIR,
    timeoutMs: 180_000,
    env: baseEnv({
      // Offline: stdlib only, no module downloads.
      GOFLAGS: '-mod=mod',
      GOPROXY: 'off',
      GOCACHE: join(outDir, '.gocache'),
      GOPATH: join(outDir, '.gopath'),
      CGO_ENABLED: '0',
    }),
  });
  if (r.code !== 0) {
    rmSync(tmp, { force: true });
    throw new LabError(`building labnet failed: ${(r.stderr || r.stdout).trim()}`);
  }
  renameSync(tmp, LABNET_BIN);
  return LABNET_BIN;
}

export interface ServerSpec {
  /** What the server sends back: the pod's `<namespace>/<name>`. */
  podName: string;
  netns: string;
  tcp: number[];
  udp: number[];
  logFile: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Starts `labnet serve` detached inside the pod's namespace (nsenter execs it in place, so the PID
 * is the server's) and waits until it says every port is bound.
 */
export async function startServer(names: LabNames, spec: ServerSpec): Promise<number> {
  const bin = await ensureLabnet();
  mkdirSync(dirname(spec.logFile), { recursive: true });
  rmSync(spec.logFile, { force: true });
  const pid = await startDetached({
    cmd: 'nsenter',
    args: [
      `--net=${netnsPath(spec.netns)}`,
      bin,
      'serve',
      '--name',
      spec.podName,
      '--tcp',
      spec.tcp.join(','),
      '--udp',
      spec.udp.join(','),
    ],
    env: baseEnv({ [LAB_MARKER_VAR]: names.dir }),
    logFile: spec.logFile,
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (logTail(spec.logFile, 1).startsWith('ready:')) return pid;
    if (!pidAlive(pid)) {
      throw new LabError(`the server of pod ${spec.podName} exited: ${logTail(spec.logFile)}`);
    }
    await sleep(10);
  }
  throw new LabError(`the server of pod ${spec.podName} did not start within 10 s: ${logTail(spec.logFile)}`);
}

export interface ProbeResult {
  ip: string;
  ok: boolean;
  /** Why not (timeout, connection refused ...). */
  reason?: string;
}

function parseProbeLines(out: string): Map<string, ProbeResult> {
  const m = new Map<string, ProbeResult>();
  for (const line of out.split('\n')) {
    const [ip, verdict, ...rest] = line.trim().split(' ');
    if (!ip || !verdict) continue;
    m.set(ip, { ip, ok: verdict === 'ok', ...(verdict === 'ok' ? {} : { reason: rest.join(' ') }) });
  }
  return m;
}

/**
 * Probes several addresses from inside `netns` at once (one labnet process). An address the
 * output does not mention counts as not connected.
 */
export async function probeFrom(
  netns: string,
  ips: string[],
  port: number,
  protocol: Protocol,
  timeoutMs = 1000,
): Promise<ProbeResult[]> {
  const bin = await ensureLabnet();
  const r = await runInNetns(
    netns,
    bin,
    [
      'probe-many',
      '--to',
      ips.join(','),
      '--port',
      String(port),
      '--protocol',
      protocol,
      '--timeout',
      `${timeoutMs}ms`,
    ],
    { timeoutMs: timeoutMs + 10_000 },
  );
  if (r.code !== 0)
    throw new LabError(`labnet probe in ${netns} failed (exit ${r.code}): ${r.stderr.trim()}`);
  const seen = parseProbeLines(r.stdout);
  return ips.map((ip) => seen.get(ip) ?? { ip, ok: false, reason: 'no answer from labnet' });
}
