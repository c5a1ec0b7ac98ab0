/** Named network namespaces (`ip netns`): every lab host, pod, router and the fabric is one. */
import { existsSync, readdirSync } from 'node:fs';
import { NETNS_DIR, netnsPath } from './names.js';
import { mustRun, runCommand } from './run-command.js';

export function netnsExists(name: string): boolean {
  return existsSync(netnsPath(name));
}

export function listNetns(): string[] {
  try {
    return readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
}

/** A new namespace with its loopback up; a stale one of the same name is replaced. */
export async function createNetns(name: string): Promise<void> {
  if (netnsExists(name)) await deleteNetns(name);
  await mustRun('ip', ['netns', 'add', name]);
  await mustRun('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

export async function deleteNetns(name: string): Promise<boolean> {
  if (!netnsExists(name)) return true;
  const r = await runCommand('ip', ['netns', 'del', name]);
  return r.code === 0 || !netnsExists(name);
}

/** Several `ip` commands in one process inside a namespace. */
export async function ipBatch(netns: string, lines: string[]): Promise<void> {
  await mustRun('ip', ['-n', netns, '-batch', '-'], { stdin: lines.join('\n') + '\n' });
}

/**
 * Writes a sysctl inside a namespace, e.g. `net/ipv4/ip_forward` (/proc/sys/net is per network
 * namespace, and writing the file needs no procps).
 */
export async function setSysctl(netns: string, key: string, value: string): Promise<void> {
  await mustRun('nsenter', [
    `--net=${netnsPath(netns)}`,
    'sh',
    '-c',
    'echo "$2" > "/proc/sys/$1"',
    'sh',
    key,
    value,
  ]);
}
