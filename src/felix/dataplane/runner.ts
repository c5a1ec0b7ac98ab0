/**
 * How drivers reach the kernel: a few tools run in one network namespace. `ip` and `bridge` take
 * `-n NAME` (iproute2 ≥ 4.x has it for both); `nft` and `sh` (sysctls) have no such flag and run
 * under `nsenter --net=/run/netns/NAME`, which also makes /proc/sys/net that namespace's.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { DataplaneError } from '../errors.js';

export type Tool =
  | 'ip'
  | 'bridge'
  | 'nft'
  | 'sh'
  | 'ipset'
  | 'conntrack'
  | 'iptables-legacy-save'
  | 'iptables-legacy-restore'
  | 'ip6tables-legacy-save'
  | 'ip6tables-legacy-restore'
  | 'iptables-nft-save'
  | 'iptables-nft-restore'
  | 'ip6tables-nft-save'
  | 'ip6tables-nft-restore';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Runner {
  /** Runs the tool with `args` (and `stdin`); resolves whatever the exit status. */
  run(tool: Tool, args: readonly string[], stdin?: string): Promise<RunResult>;
  /**
   * Optional: starts `tool args` in the runner's namespace with piped stdio and hands the child to
   * the caller (a long-lived `nft -i`, or a script written while it is still being rendered). The
   * caller handles its 'error' event and ends it. Runners without it (test fakes) get run().
   */
  spawn?(tool: Tool, args: readonly string[]): ChildProcessWithoutNullStreams;
  /** How long run() lets a tool take; streamed runs use the same bound. */
  readonly timeoutMs?: number;
}

export interface KernelRunnerOptions {
  /** A name under /run/netns; absent = this process's namespace. */
  netns?: string;
  timeoutMs?: number;
}

/** The argv that runs `tool args` in the namespace. */
export function commandLine(tool: Tool, args: readonly string[], netns?: string): string[] {
  if (!netns) return [tool, ...args];
  if (tool === 'ip' || tool === 'bridge') return [tool, '-n', netns, ...args];
  return ['nsenter', `--net=/run/netns/${netns}`, tool, ...args];
}

export function kernelRunner(opts: KernelRunnerOptions = {}): Runner {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return {
    timeoutMs,
    spawn(tool, args) {
      const [cmd, ...argv] = commandLine(tool, args, opts.netns);
      return spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    },
    run(tool, args, stdin) {
      const [cmd, ...argv] = commandLine(tool, args, opts.netns);
      return new Promise((resolve, reject) => {
        const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(
            new DataplaneError('timeout', `${cmd} ${argv.join(' ')} did not finish within ${timeoutMs} ms`),
          );
        }, timeoutMs);
        child.once('error', (e) => {
          clearTimeout(timer);
          reject(
            new DataplaneError('spawn', `cannot run ${cmd}: ${e.message}`, {
              cause: e,
              hint: 'install iproute2, nftables and util-linux (nsenter)',
            }),
          );
        });
        child.once('close', (code) => {
          clearTimeout(timer);
          resolve({ code: code ?? -1, stdout, stderr });
        });
        // A tool that exits before reading stdin (bad flag) must not crash us with EPIPE.
        child.stdin.on('error', () => undefined);
        child.stdin.end(stdin ?? '');
      });
    },
  };
}

/** Runs and throws a DataplaneError (with stderr) on a non-zero exit; returns stdout. */
export async function mustRun(
  runner: Runner,
  tool: Tool,
  args: readonly string[],
  stdin?: string,
): Promise<string> {
  const r = await runner.run(tool, args, stdin);
  if (r.code !== 0) {
    throw new DataplaneError(
      'command',
      `${tool} ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`,
    );
  }
  return r.stdout;
}

/** JSON from a tool's stdout (`[]` for empty output, which `ip -j` prints for nothing). */
export function parseJSONOutput<T>(what: string, text: string): T {
  const t = text.trim();
  if (!t) return [] as T;
  try {
    return JSON.parse(t) as T;
  } catch (e) {
    throw new DataplaneError('parse', `cannot parse the JSON ${what} printed: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/**
 * Runs a batch (`ip -force -batch -`, `bridge -force -batch -`): every line is tried, and a failure
 * names the failed lines. Returns how many lines ran.
 */
export async function runBatch(
  runner: Runner,
  tool: 'ip' | 'bridge',
  lines: readonly string[],
): Promise<number> {
  if (lines.length === 0) return 0;
  const r = await runner.run(tool, ['-force', '-batch', '-'], lines.join('\n') + '\n');
  if (r.code !== 0) {
    const failed = [...r.stderr.matchAll(/Command failed -:(\d+)/g)].map((m) => lines[Number(m[1]) - 1]);
    const detail = failed.length ? `; failed: ${failed.join(' | ')}` : '';
    throw new DataplaneError(
      'command',
      `${tool} -batch failed (exit ${r.code}): ${r.stderr.trim()}${detail}`,
    );
  }
  return lines.length;
}

/** Streamed stdin is written in pieces of about this size (one pipe buffer). */
const STREAM_PIECE = 64 * 1024;

/**
 * Runs `tool args` with its stdin produced lazily by `input` and written as it is produced (in
 * pipe-sized pieces, waiting while the pipe is full), so the tool parses while we still render.
 * When `input` throws (or time runs out), `abortWith` ends stdin: text that makes the tool refuse
 * the whole input (for nft, a syntax error: it then commits nothing; killing is not enough, as the
 * tool may sit behind a shell pipeline that would pass it a truncated, valid script). Without it
 * the child is killed. Runners without spawn() get the whole input through run().
 */
export async function runStreamed(
  runner: Runner,
  tool: Tool,
  args: readonly string[],
  input: Iterable<string> | AsyncIterable<string>,
  opts: { abortWith?: string } = {},
): Promise<RunResult> {
  if (!runner.spawn) {
    const all: string[] = [];
    for await (const chunk of input) all.push(chunk);
    return runner.run(tool, args, all.join(''));
  }
  const timeoutMs = runner.timeoutMs ?? 10_000;
  const what = `${tool} ${args.join(' ')}`;
  const child = runner.spawn(tool, args);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => undefined);
  let exited = false;
  const abort = () => {
    if (opts.abortWith !== undefined && child.stdin.writable) child.stdin.end(opts.abortWith);
    else child.kill('SIGKILL');
  };
  const done = new Promise<RunResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      abort();
      child.kill('SIGKILL');
      reject(new DataplaneError('timeout', `${what} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new DataplaneError('spawn', `cannot run ${tool}: ${e.message}`, { cause: e }));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
  const settled = done.then(
    () => void (exited = true),
    () => void (exited = true),
  );
  try {
    let piece: string[] = [];
    let size = 0;
    for await (const chunk of input) {
      if (exited) break;
      piece.push(chunk);
      size += chunk.length;
      if (size < STREAM_PIECE) continue;
      const flowing = child.stdin.write(piece.join(''));
      piece = [];
      size = 0;
      if (!flowing) await Promise.race([new Promise((r) => child.stdin.once('drain', r)), settled]);
    }
    if (!exited) child.stdin.end(piece.join(''));
  } catch (e) {
    abort();
    await settled;
    throw e;
  }
  return done;
}
