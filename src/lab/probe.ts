/**
 * `calico-lab probe FROM TO` and `matrix`: connectivity between the lab's pods on one port, the
 * way the upstream network-policy e2e tests check it: a TCP handshake, or a UDP reply, within a
 * timeout. The client (labnet) runs inside the source pod's namespace; the matrix runs one labnet
 * per source pod, all at once, each probing every destination in parallel.
 */
import { findK8sPod, k8sPods } from './get.js';
import { usageError } from './lab-error.js';
import { probeFrom, type ProbeResult, type Protocol } from './labnet.js';
import type { Output } from './progress.js';
import type { LabState, PodState } from './state.js';
import { isIPv4 } from './targets.js';

export interface ProbeOptions {
  port: number;
  protocol: Protocol;
  timeoutMs: number;
}

/** A Kubernetes pod (`ns/name`, or a bare name in `default`), else a plain pod by name. */
function resolvePod(state: LabState, ref: string): PodState {
  const pod =
    findK8sPod(state, ref) ?? (ref.includes('/') ? undefined : state.pods.find((p) => p.name === ref));
  if (!pod) {
    const known = state.pods.map((p) => p.name);
    throw usageError(
      `no pod '${ref}' in lab '${state.name}'`,
      `pods: ${known.length ? known.join(', ') : '(none)'} (Kubernetes pods as NAMESPACE/NAME)`,
    );
  }
  return pod;
}

export interface ProbeOutcome extends ProbeResult {
  from: string;
  to: string;
}

export async function probe(
  state: LabState,
  fromRef: string,
  toRef: string,
  o: ProbeOptions,
): Promise<ProbeOutcome> {
  const from = resolvePod(state, fromRef);
  let ip: string;
  let to = toRef;
  if (isIPv4(toRef)) ip = toRef;
  else {
    const pod = resolvePod(state, toRef);
    if (!pod.ip) throw usageError(`pod ${pod.name} has no address`);
    ip = pod.ip;
    to = pod.name;
  }
  const [r] = await probeFrom(from.netns, [ip], o.port, o.protocol, o.timeoutMs);
  return { ...r, from: from.name, to };
}

export function printProbe(r: ProbeOutcome, o: ProbeOptions, out: Output): void {
  const what = `${r.from} -> ${r.to} (${r.ip}:${o.port}/${o.protocol})`;
  out.write(r.ok ? `connected: ${what}\n` : `not connected: ${what}: ${r.reason ?? 'no answer'}\n`);
}

/** from → to → connected. */
export type Matrix = Record<string, Record<string, boolean>>;

export async function matrix(state: LabState, o: ProbeOptions): Promise<{ pods: string[]; m: Matrix }> {
  const pods = k8sPods(state).filter((p) => p.ip);
  const ips = pods.map((p) => p.ip!);
  const rows = await Promise.all(pods.map((p) => probeFrom(p.netns, ips, o.port, o.protocol, o.timeoutMs)));
  const m: Matrix = {};
  pods.forEach((from, i) => {
    m[from.name] = {};
    pods.forEach((to, j) => (m[from.name][to.name] = rows[i][j].ok));
  });
  return { pods: pods.map((p) => p.name), m };
}

/** The truth table of the upstream netpol tests: rows from, columns to, `.` connected, `X` not. */
export function printMatrix(pods: string[], m: Matrix, out: Output): void {
  const rows = [['-', ...pods], ...pods.map((f) => [f, ...pods.map((t) => (m[f][t] ? '.' : 'X'))])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  out.write(
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n',
  );
}
