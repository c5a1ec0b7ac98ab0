import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCalicoctl } from '../../src/ctl/main.js';

export interface CtlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs calicoctl in-process (fast) with the given environment and stdin. */
export async function ctl(env: Record<string, string>, args: string[], stdin = ''): Promise<CtlResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCalicoctl(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: { ...env },
    readStdin: async () => stdin,
  });
  return { code, stdout, stderr };
}

export const CALICOCTL_BIN = fileURLToPath(new URL('../../bin/calicoctl.js', import.meta.url));

/** Runs the real calicoctl binary as a child process. */
export function ctlBin(env: Record<string, string>, args: string[], stdin = ''): Promise<CtlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CALICOCTL_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
