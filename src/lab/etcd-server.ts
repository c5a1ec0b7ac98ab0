/**
 * A throwaway etcd for tests, the demo, benchmarks and the lab: the Debian etcd 3.4 binary on 127.0.0.1 with free ports, a
 * throwaway data dir and fast raft timers. Every etcd started here is stopped by PID, and an exit
 * hook kills any that a crashed or careless test left behind.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EtcdTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** PEM contents of the files above (the client certificate and key). */
  ca: string;
  cert: string;
  key: string;
}

export interface EtcdHandle {
  endpoints: string[];
  clientUrl: string;
  /**
   * `unix:///…/etcd.sock:2379` (plain etcd only): a filesystem socket reaches etcd from any network
   * namespace, so lab hosts and test namespaces use it without routes into the root namespace.
   */
  unixEndpoint?: string;
  dataDir: string;
  /** PID of the current etcd process (changes after restart()). */
  readonly pid: number;
  tls?: EtcdTlsFiles;
  /** Environment for child processes (calicoctl, calico-node): DATASTORE_TYPE, ETCD_ENDPOINTS, TLS files. */
  env(): Record<string, string>;
  etcdctl(args: string[]): Promise<{ stdout: string; stderr: string; code: number }>;
  /** Stop etcd (SIGTERM, then SIGKILL) and remove its temp dir. Idempotent. */
  stop(): Promise<void>;
  /**
   * SIGSTOP / SIGCONT: etcd keeps its sockets but answers nothing (a hung server). Both resolve once
   * every etcd thread is stopped / running again.
   */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** SIGKILL, keeping the data dir and ports for restart(). */
  kill(): Promise<void>;
  /** Start again on the same ports and data dir; resolves when healthy. */
  restart(): Promise<void>;
}

export interface StartEtcdOptions {
  tls?: boolean;
  /** How long to wait for etcd to report healthy (default 20 s). */
  startTimeoutMs?: number;
}

const ETCD_BIN = existsSync('/usr/bin/etcd') ? '/usr/bin/etcd' : 'etcd';
const ETCDCTL_BIN = existsSync('/usr/bin/etcdctl') ? '/usr/bin/etcdctl' : 'etcdctl';

// ---- leak protection: every live etcd is registered until stopped --------------------------------

const live = new Map<number, string>(); // pid -> temp dir
let hooksInstalled = false;

function killAllNow(): void {
  for (const [pid, dir] of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
  live.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      killAllNow();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig); // die the way the signal asked us to
    };
    process.on(sig, onSignal);
  }
}

// ---- small utilities -----------------------------------------------------------------------------

/** A port that was free a moment ago (etcd start is retried on the rare collision). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        env: opts.env,
        cwd: opts.cwd,
        timeout: opts.timeoutMs ?? 15_000,
        killSignal: 'SIGKILL',
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ stdout, stderr: stderr || (err ? err.message : ''), code });
      },
    );
  });
}

async function must(cmd: string, args: string[], cwd: string): Promise<void> {
  const r = await run(cmd, args, { cwd });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
}

/** The environment minus ETCD_* / ETCDCTL_*: etcd and etcdctl read those as flags. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('ETCD_') && !k.startsWith('ETCDCTL_')) env[k] = v;
  }
  return { ...env, ...extra };
}

const DIR_PREFIX = 'calico-ts-etcd-';

function baseDir(): string {
  reapOrphans();
  // The owner's PID in the name lets a later run find (and reap) what a killed run left behind.
  // tmpfs makes etcd's fsyncs cheap; fall back to the regular temp dir.
  const prefix = `${DIR_PREFIX}${process.pid}-`;
  try {
    return mkdtempSync(join('/dev/shm', prefix));
  } catch {
    return mkdtempSync(join(tmpdir(), prefix));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops etcds (by PID) whose owning process is gone — a test run killed with SIGKILL cannot run
 * its exit hook — and removes their data dirs. Only processes whose command line names one of
 * our orphaned data dirs are touched.
 */
export function reapOrphans(): void {
  const orphanDirs: string[] = [];
  for (const base of ['/dev/shm', tmpdir()]) {
    let names: string[] = [];
    try {
      names = readdirSync(base);
    } catch {
      continue;
    }
    for (const n of names) {
      const m = /^calico-ts-etcd-(\d+)-/.exec(n);
      if (m && !alive(Number(m[1]))) orphanDirs.push(join(base, n));
    }
  }
  if (orphanDirs.length === 0) return;
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    // no /proc: only remove the dirs
  }
  for (const pid of pids) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.split('\0')[0]?.endsWith('etcd')) continue;
    if (orphanDirs.some((d) => cmd.includes(d))) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const d of orphanDirs) rmSync(d, { recursive: true, force: true });
}

/** A throwaway CA, a server certificate for 127.0.0.1/localhost and a client certificate. */
export async function generateTestCerts(
  dir: string,
): Promise<EtcdTlsFiles & { serverCertFile: string; serverKeyFile: string }> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await must(
    'openssl',
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=calico-ts test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  writeFileSync(
    join(dir, 'server.ext'),
    // serverAuth only, on purpose: etcd 3.4's JSON gateway then cannot reach etcd, which the tests of
    // the HTTP client's fallback to gRPC rely on (those tests re-issue a clientAuth cert themselves).
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
  );
  writeFileSync(
    join(dir, 'client.ext'),
    'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
  );
  for (const who of ['server', 'client']) {
    await must(
      'openssl',
      [
        'req',
        '-new',
        ...ec,
        '-keyout',
        `${who}.key`,
        '-out',
        `${who}.csr`,
        '-subj',
        `/CN=${who === 'server' ? '127.0.0.1' : 'calico-ts-client'}`,
      ],
      dir,
    );
    await must(
      'openssl',
      [
        'x509',
        '-req',
        '-in',
        `${who}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '2',
        '-sha256',
        '-extfile',
        `${who}.ext`,
        '-out',
        `${who}.crt`,
      ],
      dir,
    );
  }
  const f = (n: string) => join(dir, n);
  return {
    caFile: f('ca.crt'),
    certFile: f('client.crt'),
    keyFile: f('client.key'),
    serverCertFile: f('server.crt'),
    serverKeyFile: f('server.key'),
    ca: readFileSync(f('ca.crt'), 'utf8'),
    cert: readFileSync(f('client.crt'), 'utf8'),
    key: readFileSync(f('client.key'), 'utf8'),
  };
}

function healthy(clientUrl: string, tls: EtcdTlsFiles | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const url = `${clientUrl}/health`;
    const onRes = (res: http.IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(body)));
    };
    const req = tls
      ? https.get(url, { agent: false, ca: tls.ca, cert: tls.cert, key: tls.key, timeout: 1000 }, onRes)
      : http.get(url, { agent: false, timeout: 1000 }, onRes);
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Signals reach a multi-threaded process asynchronously: wait until all its threads agree. */
async function waitThreads(pid: number, stopped: boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    let states: string[];
    try {
      states = readdirSync(`/proc/${pid}/task`).map((t) => {
        const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      });
    } catch {
      return; // gone, or no /proc: nothing more to wait for
    }
    if (states.every((st) => (st === 'T' || st === 't') === stopped)) return;
    await sleep(5);
  }
  throw new Error(`etcd (pid ${pid}) did not ${stopped ? 'stop' : 'continue'} within 5 s`);
}

// ---- the handle ----------------------------------------------------------------------------------

/** The unix listener's name, relative to the etcd dir (etcd wants a host:port shape). */
const UNIX_SOCKET = 'etcd.sock:2379';

class EtcdProcess implements EtcdHandle {
  endpoints: string[];
  tls?: EtcdTlsFiles;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    readonly dir: string,
    readonly clientUrl: string,
    private readonly peerUrl: string,
    private readonly serverTls: { certFile: string; keyFile: string } | undefined,
    tls: EtcdTlsFiles | undefined,
    private readonly startTimeoutMs: number,
  ) {
    this.endpoints = [clientUrl];
    this.tls = tls;
  }

  get unixEndpoint(): string | undefined {
    return this.serverTls ? undefined : `unix://${join(this.dir, UNIX_SOCKET)}`;
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get logFile(): string {
    return join(this.dir, 'etcd.log');
  }

  private args(): string[] {
    const a = [
      '--name=calico-ts-test',
      `--data-dir=${this.dataDir}`,
      `--listen-client-urls=${this.clientUrl}${this.serverTls ? '' : `,unix://${UNIX_SOCKET}`}`,
      `--advertise-client-urls=${this.clientUrl}`,
      `--listen-peer-urls=${this.peerUrl}`,
      `--initial-advertise-peer-urls=${this.peerUrl}`,
      `--initial-cluster=calico-ts-test=${this.peerUrl}`,
      '--initial-cluster-state=new',
      '--heartbeat-interval=10',
      '--election-timeout=100',
      '--logger=zap',
      '--log-outputs=stderr',
      '--log-level=warn',
    ];
    if (this.serverTls && this.tls) {
      a.push(
        `--cert-file=${this.serverTls.certFile}`,
        `--key-file=${this.serverTls.keyFile}`,
        `--trusted-ca-file=${this.tls.caFile}`,
        '--client-cert-auth',
      );
    }
    return a;
  }

  /** Spawns etcd and waits until /health says true; throws (with the log tail) otherwise. */
  async launch(): Promise<void> {
    installHooks();
    // A killed etcd leaves its unix socket file behind; a restart must not trip over it.
    rmSync(join(this.dir, UNIX_SOCKET), { force: true });
    const fd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      // cwd = our dir: etcd names a unix listener's socket file relative to it.
      child = spawn(ETCD_BIN, this.args(), { env: cleanEnv(), stdio: ['ignore', fd, fd], cwd: this.dir });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    let gone = false;
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        gone = true;
        if (child.pid !== undefined) live.delete(child.pid);
        resolve();
      });
      child.once('error', () => {
        gone = true;
        resolve();
      });
    });
    if (child.pid !== undefined) live.set(child.pid, this.dir);
    // A forgotten stop() must not keep the test process alive; the exit hook still kills etcd.
    child.unref();

    const deadline = Date.now() + this.startTimeoutMs;
    while (Date.now() < deadline) {
      if (gone) throw new Error(`etcd exited during start (${this.clientUrl}):\n${logTail(this.logFile)}`);
      if (await healthy(this.clientUrl, this.tls)) return;
      await sleep(25);
    }
    await this.terminate();
    throw new Error(
      `etcd did not become healthy within ${this.startTimeoutMs} ms:\n${logTail(this.logFile)}`,
    );
  }

  env(): Record<string, string> {
    const e: Record<string, string> = { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: this.endpoints.join(',') };
    if (this.tls) {
      e.ETCD_CA_CERT_FILE = this.tls.caFile;
      e.ETCD_CERT_FILE = this.tls.certFile;
      e.ETCD_KEY_FILE = this.tls.keyFile;
    }
    return e;
  }

  etcdctl(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    const flags = [`--endpoints=${this.clientUrl}`, '--dial-timeout=3s', '--command-timeout=10s'];
    if (this.tls)
      flags.push(`--cacert=${this.tls.caFile}`, `--cert=${this.tls.certFile}`, `--key=${this.tls.keyFile}`);
    return run(ETCDCTL_BIN, [...flags, ...args], { env: cleanEnv({ ETCDCTL_API: '3' }), timeoutMs: 20_000 });
  }

  async pause(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    process.kill(pid, 'SIGSTOP');
    await waitThreads(pid, true);
  }

  async resume(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    process.kill(pid, 'SIGCONT');
    await waitThreads(pid, false);
  }

  private async terminate(): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      await this.exited;
      return;
    }
    const pid = child.pid;
    child.ref(); // keep the loop alive until we have seen it exit
    try {
      process.kill(pid, 'SIGCONT'); // a paused etcd cannot act on SIGTERM
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 5000)));
    const outcome = await Promise.race([this.exited.then(() => 'exited' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await this.exited;
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.ref();
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await this.exited;
  }

  async restart(): Promise<void> {
    if (this.stopped) throw new Error('etcd was stopped; start a new one');
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.terminate();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startEtcd(opts: StartEtcdOptions = {}): Promise<EtcdHandle> {
  const dir = baseDir();
  try {
    let tls: (EtcdTlsFiles & { serverCertFile: string; serverKeyFile: string }) | undefined;
    if (opts.tls) tls = await generateTestCerts(dir);
    let lastErr: unknown;
    // Ports are picked then released, so another process can grab one first: retry a few times.
    for (let attempt = 0; attempt < 3; attempt++) {
      const [cp, pp] = [await freePort(), await freePort()];
      const scheme = tls ? 'https' : 'http';
      const p = new EtcdProcess(
        dir,
        `${scheme}://127.0.0.1:${cp}`,
        `http://127.0.0.1:${pp}`,
        tls && { certFile: tls.serverCertFile, keyFile: tls.serverKeyFile },
        tls && {
          caFile: tls.caFile,
          certFile: tls.certFile,
          keyFile: tls.keyFile,
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
        },
        opts.startTimeoutMs ?? 20_000,
      );
      try {
        await p.launch();
        return p;
      } catch (e) {
        lastErr = e;
        await p.kill();
        rmSync(p.dataDir, { recursive: true, force: true });
        if (!/address already in use/.test(String(e))) break;
      }
    }
    throw lastErr;
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
