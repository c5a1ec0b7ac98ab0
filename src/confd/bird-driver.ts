/**
 * Runs BIRD for one host and keeps its configuration current:
 *
 * - apply(text) installs a rendered bird.cfg only when it changed: BIRD's own parser checks it first
 *   (`bird -p -c`), then it replaces the old file atomically (temp + rename) and a running BIRD is told
 *   to re-read it (`birdc -s <sock> configure`). A configuration BIRD refuses is reported with BIRD's
 *   message and the previous file is put back, so BIRD and the file on disk agree.
 * - start() spawns `bird -f` as a child (in the current network namespace, or through a launcher
 *   such as `ip netns exec <ns>`), waits until its control socket answers, and restarts it with
 *   backoff whenever it dies (in graceful-restart recovery with gracefulRestartAfterCrash); stop()
 *   ends it by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { BirdControl } from './birdc.js';
import { BirdError } from './errors.js';
import { runTool } from './run-tool.js';

export interface BirdDriverOptions {
  /** Where bird.cfg lives (BIRD reads it from here at start and on configure). */
  configPath: string;
  socketPath: string;
  pidFile: string;
  birdBinary?: string;
  birdcBinary?: string;
  /** Command prefix for starting BIRD, e.g. `['ip', 'netns', 'exec', 'h1']`. It must exec BIRD. */
  launcher?: readonly string[];
  /** Pass `-R` so BIRD starts in graceful-restart recovery mode. */
  gracefulRestart?: boolean;
  /**
   * Pass `-R` to a BIRD started again after it died on its own: a dead BIRD leaves its routes in
   * the kernel and (no Cease sent) at graceful-restart peers, and the new one keeps them until its
   * sessions have resynced instead of flushing and re-learning them.
   */
  gracefulRestartAfterCrash?: boolean;
  restartBackoff?: { initialMs?: number; maxMs?: number; resetAfterMs?: number };
  /** Bound on waiting for BIRD's control socket after a start (default 10 s). */
  startTimeoutMs?: number;
  /** Bound on `bird -p` and `birdc configure` (default 10 s). */
  commandTimeoutMs?: number;
  onEvent?: (e: BirdDriverEvent) => void;
}

export type BirdDriverEvent =
  | { type: 'started'; pid: number }
  | { type: 'exited'; pid: number; code: number | null; signal: string | null; stderr: string[] }
  | { type: 'restarting'; delayMs: number; gracefulRestart: boolean }
  | { type: 'restartFailed'; error: Error }
  | { type: 'reconfigured' }
  | { type: 'rejected'; message: string };

/** `unchanged`: same text as installed; `written`: installed, BIRD not running; `reconfigured`: BIRD re-read it. */
export type ApplyResult = 'unchanged' | 'written' | 'reconfigured';

const STDERR_LINES = 50;

export class BirdDriver {
  private child: ChildProcess | undefined;
  private childReady: Promise<void> | undefined;
  private installed: string | undefined;
  private loaded = false;
  private stopping = false;
  private starting = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private startedAt = 0;
  private readonly stderr: string[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private exitWaiters: (() => void)[] = [];

  constructor(readonly options: BirdDriverOptions) {
    this.backoffMs = options.restartBackoff?.initialMs ?? 500;
  }

  /** PID of the running BIRD, if any. */
  get pid(): number | undefined {
    return this.child && this.child.exitCode === null && this.child.signalCode === null
      ? this.child.pid
      : undefined;
  }

  /** The last lines BIRD wrote to stderr (its log when rendered with `log stderr`). */
  stderrTail(): string[] {
    return [...this.stderr];
  }

  /** Installs `text` as bird.cfg if it differs from what is installed; reloads a running BIRD. */
  apply(text: string): Promise<ApplyResult> {
    const run = this.queue.then(() => this.applyNow(text));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async applyNow(text: string): Promise<ApplyResult> {
    const { configPath } = this.options;
    if (!this.loaded) {
      this.installed = await readFile(configPath, 'utf8').catch(() => undefined);
      this.loaded = true;
    }
    if (text === this.installed) return 'unchanged';
    const tmp = `${configPath}.tmp`;
    await writeAtomic(tmp, configPath, text, async () => {
      const check = await runTool(this.birdBinary(), ['-p', '-c', tmp], this.timeout());
      if (check.code !== 0) {
        const msg = (check.stderr || check.stdout).trim().split(tmp).join(configPath);
        this.emit({ type: 'rejected', message: msg });
        throw new BirdError('rejected', `BIRD rejected the configuration: ${msg}`, {
          hint: 'the previous configuration stays active',
        });
      }
    });
    const previous = this.installed;
    this.installed = text;
    if (this.pid === undefined) return 'written';
    await this.waitReady();
    try {
      await this.configure();
    } catch (e) {
      // Put the file back to what BIRD still runs, so a restart does not pick up the refused text.
      if (previous !== undefined) await writeAtomic(tmp, configPath, previous);
      else await rm(configPath, { force: true });
      this.installed = previous;
      throw e;
    }
    return 'reconfigured';
  }

  /** Asks the running BIRD to re-read its configuration file; throws with BIRD's words on refusal. */
  async configure(): Promise<void> {
    const r = await runTool(
      this.options.birdcBinary ?? 'birdc',
      ['-s', this.options.socketPath, 'configure'],
      this.timeout(),
    );
    const lines = r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/^BIRD .* ready\.$/.test(l) && !l.startsWith('Reading configuration from'));
    const ok = lines.some((l) => /^Reconfigur(ed|ation in progress)|queueing new config/i.test(l));
    if (r.code !== 0 || !ok) {
      const msg = [...lines, r.stderr.trim()].filter(Boolean).join('; ') || `birdc exited with ${r.code}`;
      this.emit({ type: 'rejected', message: msg });
      throw new BirdError('rejected', `BIRD refused to reconfigure: ${msg}`, {
        hint: 'the previous configuration stays active',
      });
    }
    this.emit({ type: 'reconfigured' });
  }

  /** Starts BIRD on the installed configuration and supervises it; resolves with its PID once ready. */
  async start(): Promise<number> {
    if (this.pid !== undefined) return this.pid;
    this.stopping = false;
    if (this.installed === undefined && !this.loaded) {
      this.installed = await readFile(this.options.configPath, 'utf8').catch(() => undefined);
      this.loaded = true;
    }
    if (this.installed === undefined) {
      throw new BirdError('spawn', `no BIRD configuration at ${this.options.configPath}`, {
        hint: 'apply() a rendered configuration before starting BIRD',
      });
    }
    if (await answers(this.options.socketPath)) {
      throw new BirdError('spawn', `another BIRD already answers on ${this.options.socketPath}`, {
        hint: 'stop it (by its PID) or use a different socket path',
      });
    }
    return this.spawnBird();
  }

  private async spawnBird(recover = this.options.gracefulRestart === true): Promise<number> {
    const o = this.options;
    const argv = [...(o.launcher ?? []), this.birdBinary()];
    argv.push('-s', o.socketPath, '-c', o.configPath, '-P', o.pidFile, '-f');
    if (recover) argv.push('-R');
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.starting = true;
    this.startedAt = Date.now();
    this.stderr.length = 0;
    let partial = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      const parts = (partial + d).split('\n');
      partial = parts.pop() ?? '';
      for (const l of parts) this.pushStderr(l);
    });
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (e) =>
          reject(new BirdError('spawn', `cannot start ${argv[0]}: ${e.message}`, { cause: e })),
        );
      });
      this.childReady = this.waitForSocket(child);
      await this.childReady;
    } catch (e) {
      await this.kill(child);
      throw e;
    } finally {
      this.starting = false;
    }
    this.emit({ type: 'started', pid: child.pid! });
    return child.pid!;
  }

  private pushStderr(line: string): void {
    this.stderr.push(line);
    if (this.stderr.length > STDERR_LINES) this.stderr.shift();
  }

  /** Polls the control socket until BIRD greets us; fails if BIRD exits first or takes too long. */
  private async waitForSocket(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 10_000);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new BirdError('spawn', `BIRD exited while starting: ${this.stderr.slice(-5).join(' / ')}`);
      }
      if (await answers(this.options.socketPath)) return;
      if (Date.now() > deadline) {
        throw new BirdError(
          'timeout',
          `BIRD's control socket ${this.options.socketPath} did not answer in time`,
        );
      }
      await sleep(100);
    }
  }

  private async waitReady(): Promise<void> {
    try {
      await this.childReady;
    } catch {
      // The start failed; configure then reports the socket as unreachable.
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: string | null): void {
    for (const w of this.exitWaiters.splice(0)) w();
    if (child !== this.child) return;
    this.emit({ type: 'exited', pid: child.pid ?? 0, code, signal, stderr: this.stderrTail() });
    // A failed start is reported by spawnBird's caller, which decides about another attempt.
    if (!this.stopping && !this.starting) this.scheduleRestart();
  }

  /** Next start after a backoff that doubles per failure and resets once BIRD ran for a while. */
  private scheduleRestart(): void {
    const b = this.options.restartBackoff ?? {};
    if (Date.now() - this.startedAt >= (b.resetAfterMs ?? 10_000)) this.backoffMs = b.initialMs ?? 500;
    const delayMs = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, b.maxMs ?? 30_000);
    const recover = this.options.gracefulRestartAfterCrash === true || this.options.gracefulRestart === true;
    this.emit({ type: 'restarting', delayMs, gracefulRestart: recover });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.spawnBird(recover).catch((error: Error) => {
        this.emit({ type: 'restartFailed', error });
        if (!this.stopping) this.scheduleRestart();
      });
    }, delayMs);
  }

  /** Stops supervising and ends BIRD by its PID (SIGTERM, then SIGKILL after 5 s). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.queue;
    if (this.child) await this.kill(this.child);
  }

  private async kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    process.kill(child.pid, 'SIGTERM');
    const t = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
    }, 5000);
    await exited;
    clearTimeout(t);
  }

  private birdBinary(): string {
    return this.options.birdBinary ?? 'bird';
  }

  private timeout(): number {
    return this.options.commandTimeoutMs ?? 10_000;
  }

  private emit(e: BirdDriverEvent): void {
    this.options.onEvent?.(e);
  }
}

/** Writes `text` to `tmp` (mode 0600: it may hold BGP passwords), runs `check`, renames over `dest`. */
async function writeAtomic(
  tmp: string,
  dest: string,
  text: string,
  check?: () => Promise<void>,
): Promise<void> {
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  try {
    await check?.();
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** True if a BIRD greets us on this socket. */
async function answers(socketPath: string): Promise<boolean> {
  try {
    const c = await BirdControl.connect(socketPath, { timeoutMs: 1000 });
    c.close();
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Ends a BIRD left behind by an earlier run, by the PID in its pid file, if that process is still a
 * BIRD. Returns the PID it signalled. SIGTERM (the default) is a clean shutdown: BIRD closes its
 * sessions with a Cease, so peers withdraw its routes at once; SIGKILL drops the sessions without
 * one, so graceful-restart peers keep the routes while a successor started with `-R` recovers.
 */
export async function stopBirdFromPidFile(
  pidFile: string,
  waitMs = 5000,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | undefined> {
  const text = await readFile(pidFile, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1 || (await processName(pid)) !== 'bird') return undefined;
  process.kill(pid, signal);
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if ((await processName(pid)) === undefined) return pid;
    await sleep(50);
  }
  process.kill(pid, 'SIGKILL');
  return pid;
}

/** The command name of a live (not zombie) process, from /proc/<pid>/stat. */
async function processName(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const m = /^\d+ \((.*)\) (\S)/.exec(stat);
  return m && m[2] !== 'Z' ? m[1] : undefined;
}
