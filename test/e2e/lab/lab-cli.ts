/**
 * Driving the real `calico-lab` binary as a user does, and checking what a lab leaves on the
 * machine. Each test file uses its own lab name, so a run killed half-way is cleaned by the next
 * run's `up` (and by `down` in the file's after hook).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LAB_ROOT } from '../../../src/lab/names.js';

export const CALICO_LAB = fileURLToPath(new URL('../../../bin/calico-lab.js', import.meta.url));

export interface LabRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment the binary gets: no lab name from the caller, no slow CA bundle. */
function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  delete e.CALICO_LAB_NAME;
  delete e.NODE_EXTRA_CA_CERTS;
  return e;
}

export function startLab(args: string[]): ChildProcess {
  return spawn(process.execPath, [CALICO_LAB, ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
}

export function runLab(args: string[], timeoutMs = 180_000): Promise<LabRun> {
  return new Promise((resolve) => {
    const child = startLab(args);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** Like runLab, but a non-zero exit fails the test with everything the binary printed. */
export async function mustLab(args: string[], timeoutMs?: number): Promise<string> {
  const r = await runLab(args, timeoutMs);
  assert.equal(r.code, 0, `calico-lab ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Why this machine cannot run lab tests (undefined when it can). */
export function labSkip(tools: string[] = []): string | false {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const t of ['ip', 'nsenter', 'etcd', 'ping', 'bird', ...tools]) {
    if (spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status !== 0) {
      return `${t} is not installed (scripts/bootstrap)`;
    }
  }
  return false;
}

export function labNamespaces(lab: string): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(`${lab}-`));
  } catch {
    return [];
  }
}

/** Processes marked as the lab's (environment) or naming its state dir (command line). */
export function labProcesses(lab: string): { pid: number; argv: string[] }[] {
  const dir = `${LAB_ROOT}/${lab}`;
  const out: { pid: number; argv: string[] }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${e}/environ`, 'utf8').split('\0');
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (environ.includes(`CALICO_LAB_DIR=${dir}`) || argv.some((a) => a.includes(`${dir}/`))) {
        out.push({ pid: Number(e), argv });
      }
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Nothing of the lab remains: namespaces, processes, state dir. */
export function assertLabGone(lab: string): void {
  assert.deepEqual(labNamespaces(lab), [], `namespaces of lab ${lab} left`);
  assert.deepEqual(
    labProcesses(lab).map((p) => `${p.pid} ${p.argv.join(' ')}`),
    [],
    `processes of lab ${lab} left`,
  );
  assert.equal(existsSync(`${LAB_ROOT}/${lab}`), false, `state dir of lab ${lab} left`);
}

export interface KernelRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
}

export function hostRoutes(netns: string, ...args: string[]): KernelRoute[] {
  const r = spawnSync('ip', ['-n', netns, '-j', 'route', 'show', ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout || '[]') as KernelRoute[];
}

/** The /28 block (the lab's block size) holding an IPv4 address. */
export function blockOf(ip: string): string {
  const p = ip.split('.').map(Number);
  return `${p[0]}.${p[1]}.${p[2]}.${p[3] & ~15}/28`;
}

/** `pod NAME on HOST: IP` from `calico-lab pod add`. */
export function podIp(addOutput: string): string {
  const m = /: (\d+\.\d+\.\d+\.\d+) \(CNI ADD/.exec(addOutput);
  assert.ok(m, `no address in: ${addOutput}`);
  return m[1];
}
