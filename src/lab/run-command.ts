/**
 * Running the tools the lab needs (ip, nsenter, ping, gobgp, node …): bounded in time, output
 * collected, never a shell. Daemons are started elsewhere (daemons.ts); these commands end.
 */
import { spawn } from 'node:child_process';
import { netnsPath } from './names.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  env?: NodeJS.ProcessEnv;
  stdin?: string;
  timeoutMs?: number;
  cwd?: string;
}

export function runCommand(cmd: string, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: `${cmd}: ${e.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) stderr += `\n${cmd} did not finish within ${opts.timeoutMs ?? 30_000} ms`;
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // a tool that exits without reading stdin
    child.stdin.end(opts.stdin ?? '');
  });
}

/** Runs `cmd` inside a network namespace (nsenter keeps /sys as is, unlike `ip netns exec`). */
export function runInNetns(
  netns: string,
  cmd: string,
  args: string[],
  opts: CommandOptions = {},
): Promise<CommandResult> {
  return runCommand('nsenter', [`--net=${netnsPath(netns)}`, cmd, ...args], opts);
}

/** Like runCommand, but a non-zero exit is an Error naming the command and its stderr. */
export async function mustRun(cmd: string, args: string[], opts: CommandOptions = {}): Promise<string> {
  const r = await runCommand(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * The environment for processes the lab starts: the caller's PATH and locale, none of the
 * caller's etcd/Calico settings (etcd reads ETCD_* as flags; calico-node reads CALICO_*), and no
 * NODE_EXTRA_CA_CERTS (it slows every node start by ~35 ms and nothing here uses TLS).
 */
export function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TERM', 'TZ']) {
    if (process.env[k] !== undefined) env[k] = process.env[k];
  }
  env.PATH ??= '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  return { ...env, ...extra };
}
