/**
 * `calico-lab get pods` and `get pod NS/NAME -o json|yaml`: the lab's Kubernetes pods as kubectl
 * shows them (Pod objects with spec.nodeName, status.podIP and status.phase).
 */
import { stringify } from 'yaml';
import { LabError, usageError } from './lab-error.js';
import { pidAlive } from './processes.js';
import type { Output } from './progress.js';
import type { HostState, LabState, PodState } from './state.js';

export type GetFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

/** The lab's Kubernetes pods, by namespace then name. */
export function k8sPods(state: LabState): PodState[] {
  return state.pods.filter((p) => p.k8s).sort((a, b) => a.name.localeCompare(b.name));
}

/** `ns/name`, or a bare name in `default`; a LabError naming the pods otherwise. */
export function findK8sPod(state: LabState, ref: string): PodState | undefined {
  const key = ref.includes('/') ? ref : `default/${ref}`;
  return state.pods.find((p) => p.k8s && p.name === key);
}

function requireK8sPod(state: LabState, ref: string): PodState {
  const pod = findK8sPod(state, ref);
  if (!pod) {
    const known = k8sPods(state).map((p) => p.name);
    throw new LabError(
      `pods "${ref}" not found in lab '${state.name}'`,
      `pods: ${known.length ? known.join(', ') : '(none: calico-lab apply -f FILE makes some)'}`,
    );
  }
  return pod;
}

function ready(pod: PodState): boolean {
  const pid = pod.k8s?.serverPid;
  return pid === undefined || pidAlive(pid);
}

/** The Pod object kubectl would print. */
export function podObject(pod: PodState, host: HostState | undefined): Record<string, unknown> {
  const k = pod.k8s!;
  const m = k.manifest as { metadata?: Record<string, unknown>; spec?: Record<string, unknown> };
  const spec = { ...(m.spec ?? {}) };
  spec.nodeName = pod.host;
  spec.serviceAccountName ??= (spec.serviceAccount as string | undefined) ?? 'default';
  const up = ready(pod);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(m.metadata ?? {}),
      name: k.name,
      namespace: k.namespace,
      uid: k.uid,
      creationTimestamp: k.createdAt,
    },
    spec,
    status: {
      phase: up ? 'Running' : 'Failed',
      conditions: [{ type: 'Ready', status: up ? 'True' : 'False' }],
      ...(host ? { hostIP: host.address, hostIPs: [{ ip: host.address }] } : {}),
      ...(pod.ip ? { podIP: pod.ip, podIPs: [{ ip: pod.ip }] } : {}),
      startTime: k.createdAt,
    },
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return (
    rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 3))).join('')).join('\n') +
    '\n'
  );
}

function podRows(pods: PodState[]): string[][] {
  const rows = [['NAMESPACE', 'NAME', 'READY', 'STATUS', 'IP', 'NODE']];
  for (const p of pods) {
    const up = ready(p);
    rows.push([
      p.k8s!.namespace,
      p.k8s!.name,
      up ? '1/1' : '0/1',
      up ? 'Running' : 'Error',
      p.ip ?? '<none>',
      p.host,
    ]);
  }
  return rows;
}

function print(obj: unknown, format: 'json' | 'yaml', out: Output): void {
  out.write(format === 'json' ? JSON.stringify(obj, null, 4) + '\n' : stringify(obj));
}

/** `get pods [-o ...]` (all namespaces) and `get pod REF [-o ...]`. */
export function printGet(
  state: LabState,
  what: string,
  ref: string | undefined,
  format: GetFormat,
  out: Output,
): void {
  const hostOf = (p: PodState) => state.hosts.find((h) => h.name === p.host);
  if (!['pod', 'pods', 'po'].includes(what)) {
    throw usageError(
      `calico-lab get knows pods only, not '${what}'`,
      'calico-lab get pods; calico-lab get pod NS/NAME -o json',
    );
  }
  const pods = ref === undefined ? k8sPods(state) : [requireK8sPod(state, ref)];
  if (format === 'name') {
    out.write(pods.map((p) => `pod/${p.k8s!.name}\n`).join(''));
    return;
  }
  if (format === 'json' || format === 'yaml') {
    const objs = pods.map((p) => podObject(p, hostOf(p)));
    print(
      ref === undefined
        ? { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: objs }
        : objs[0],
      format,
      out,
    );
    return;
  }
  if (pods.length === 0) {
    out.write('No resources found\n');
    return;
  }
  out.write(table(podRows(pods)));
}
