/**
 * A long-lived `nft -i` in the backend's namespace for fast passes. A new `nft` process costs
 * ~30 ms at 15k rules (start-up and a fresh cache read); a line to a running one about half that.
 * One line is one transaction: commands joined by `;` commit together or not at all. Each is
 * followed, on its own line, by a marker nft always rejects as a syntax error (no command starts
 * with `=`; a parse error costs no kernel round trip, unlike listing a table that does not exist):
 * its error on stderr ends the transaction's output, and any error before it means nft refused the
 * transaction and committed nothing. A process that dies or stalls mid-transaction leaves the
 * outcome unknown: the caller must re-read the kernel, and the next transaction starts a new one.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { DataplaneError } from '../../errors.js';
import type { Runner } from '../runner.js';

/**
 * Longer scripts go through `nft -f -`: nft's line reader slows down with the line's length (at
 * 15k rules, ~100 commands in one line, ~13 KB, cost as much as a new process; 400 cost 3x more).
 */
export const SESSION_MAX_LINE = 8 * 1024;

const ERROR_MAX = 2000;

type Spawn = NonNullable<Runner['spawn']>;

interface Waiter {
  marker: RegExp;
  resolve: (stderr: string) => void;
  reject: (e: Error) => void;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * nft's error report: each `Error:` line, then the input line it concerns and a line of carets
 * under the culprit. Input lines can be many KB: keep each error with the text around its carets.
 */
export function describeNftErrors(stderr: string): string {
  const lines = stderr.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('Error:')) continue;
    let msg = lines[i];
    const input = lines[i + 1] ?? '';
    const carets = /\^+/.exec(lines[i + 2] ?? '');
    if (carets) {
      const from = Math.max(0, carets.index - 160);
      const to = Math.min(input.length, carets.index + carets[0].length + 60);
      const near = input.slice(from, to).trim();
      msg += `: ${from > 0 ? '…' : ''}${near}${to < input.length ? '…' : ''}`;
      i += 2;
    }
    out.push(msg);
  }
  const text = out.length ? out.join('; ') : stderr.trim();
  return text.length > ERROR_MAX ? `${text.slice(0, ERROR_MAX)}…` : text;
}

export class NftSession {
  private child?: ChildProcessWithoutNullStreams;
  private stderr = '';
  private waiter?: Waiter;
  private seq = 0;
  /** close() was called: a queued warm-up does not start a process. */
  private closing = false;
  /** Transactions run one at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly spawn: Spawn,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Whether a process is running (for tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Starts the process (if it is not running) and has it answer one marker, so the first
   * transaction does not pay for nft's start-up. Never throws: a failure surfaces at the next
   * transaction.
   */
  warm(): void {
    if (this.child) return;
    this.closing = false;
    this.queue = this.queue.then(() => (this.closing ? undefined : this.run(''))).catch(() => undefined);
  }

  /**
   * Applies the commands (nft script lines) as one transaction; throws a DataplaneError with nft's
   * message when it refused them ('command': nothing committed) or when the outcome is unknown
   * ('timeout', 'spawn', or 'command' for a process that died).
   */
  transact(commands: readonly string[]): Promise<void> {
    const line = commands.join('; ');
    if (line.includes('\n')) {
      return Promise.reject(new DataplaneError('command', 'an nft command contains a newline'));
    }
    const next = this.queue.then(() => this.run(line));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private start(): ChildProcessWithoutNullStreams {
    const child = this.spawn('nft', ['-i']);
    this.child = child;
    this.stderr = '';
    child.stdout.on('data', () => undefined);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      this.check();
    });
    child.stdin.on('error', () => undefined);
    const gone = (why: string, cause?: unknown) => {
      if (this.child !== child) return;
      this.child = undefined;
      const w = this.waiter;
      this.waiter = undefined;
      w?.reject(
        new DataplaneError(
          cause ? 'spawn' : 'command',
          `nft -i ${why} during a transaction; its outcome is unknown${this.stderr ? `: ${describeNftErrors(this.stderr)}` : ''}`,
          { cause },
        ),
      );
    };
    child.once('error', (e) => gone(`could not run (${e.message})`, e));
    child.once('exit', (code, signal) => gone(`exited (${signal ?? `code ${code}`})`));
    return child;
  }

  private check(): void {
    const w = this.waiter;
    if (!w) return;
    const m = w.marker.exec(this.stderr);
    if (!m) return;
    const before = this.stderr.slice(0, m.index);
    this.stderr = this.stderr.slice(m.index + m[0].length);
    this.waiter = undefined;
    w.resolve(before);
  }

  private async run(line: string): Promise<void> {
    const child = this.child ?? this.start();
    const marker = `= calico-end-${++this.seq}`;
    const stderr = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        this.kill(child);
        reject(
          new DataplaneError(
            'timeout',
            `nft -i did not finish a transaction within ${this.timeoutMs} ms; its outcome is unknown`,
          ),
        );
      }, this.timeoutMs);
      this.waiter = {
        marker: new RegExp(`(?:^|\\n)Error: [^\\n]*\\n${escapeRegExp(marker)}\\n[ ^]*\\n`),
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      child.stdin.write(line ? `${line}\n${marker}\n` : `${marker}\n`);
      this.check();
    });
    if (/(?:^|\n)Error:/.test(stderr)) {
      throw new DataplaneError('command', `nft refused the transaction: ${describeNftErrors(stderr)}`);
    }
  }

  private kill(child: ChildProcessWithoutNullStreams): void {
    if (this.child === child) this.child = undefined;
    child.kill('SIGKILL');
  }

  /** Ends the process (after the transaction in progress) and waits for it to exit. */
  async close(): Promise<void> {
    // A warm-up still queued is dropped rather than started.
    this.closing = true;
    await this.queue;
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}
