/**
 * How commands name things: a host by number (`1`), short name (`h1`) or full name (`lab-h1`);
 * a pod by its name. `ping` also takes a bare IPv4 address as its destination.
 */
import { usageError } from './lab-error.js';
import type { HostState, LabState, PodState } from './state.js';

export type Target =
  | { kind: 'host'; host: HostState; netns: string; ip: string }
  | { kind: 'pod'; pod: PodState; netns: string; ip?: string };

export function findHost(state: LabState, ref: string): HostState | undefined {
  const m = /^h?(\d+)$/.exec(ref);
  if (m) return state.hosts.find((h) => h.index === Number(m[1]));
  return state.hosts.find((h) => h.name === ref);
}

export function requireHost(state: LabState, ref: string): HostState {
  const h = findHost(state, ref);
  if (!h) {
    throw usageError(
      `no host '${ref}' in lab '${state.name}'`,
      `hosts: ${state.hosts.map((x) => `${x.index}, h${x.index} or ${x.name}`).join('; ')}`,
    );
  }
  return h;
}

export function resolveTarget(state: LabState, ref: string): Target {
  const pod = state.pods.find((p) => p.name === ref);
  const host = findHost(state, ref);
  if (pod && host)
    throw usageError(`'${ref}' names both a host and a pod`, `use the host's full name (${host.name})`);
  if (pod) return { kind: 'pod', pod, netns: pod.netns, ip: pod.ip };
  if (host) return { kind: 'host', host, netns: host.name, ip: host.address };
  const pods = state.pods.map((p) => p.name);
  throw usageError(
    `no host or pod '${ref}' in lab '${state.name}'`,
    `hosts: ${state.hosts.map((h) => h.name).join(', ')}; pods: ${pods.length ? pods.join(', ') : '(none)'}`,
  );
}

export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}
