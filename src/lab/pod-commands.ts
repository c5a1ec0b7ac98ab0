/** `calico-lab pod add` and `pod del`. */
import { LabError } from './lab-error.js';
import { checkPodName, type LabNames } from './names.js';
import { createNetns, deleteNetns } from './netns.js';
import { cniAdd, cniDel } from './pods.js';
import type { Output } from './progress.js';
import { seconds } from './progress.js';
import { waitPodRoutes } from './routes.js';
import {
  requireState,
  withStateLock,
  writeState,
  type HostState,
  type LabState,
  type PodState,
} from './state.js';
import { requireHost } from './targets.js';

export interface PodAddOptions {
  node?: string;
  /** Wait until every host routes to the new pod (default true). */
  wait?: boolean;
  waitTimeoutMs?: number;
}

/** The host with the fewest pods (lowest number on a tie). */
export function leastLoaded(state: LabState): HostState {
  const count = (h: HostState): number => state.pods.filter((p) => p.host === h.name).length;
  return [...state.hosts].sort((a, b) => count(a) - count(b) || a.index - b.index)[0];
}

async function updateState(names: LabNames, fn: (s: LabState) => void): Promise<LabState> {
  return withStateLock(names, async () => {
    const s = requireState(names);
    fn(s);
    writeState(names, s);
    return s;
  });
}

export async function podAdd(
  names: LabNames,
  name: string,
  o: PodAddOptions,
  out: Output,
): Promise<PodState> {
  checkPodName(name);
  let host!: HostState;
  let pod!: PodState;
  // Reserve the name (and record the namespace) before creating anything.
  const state = await updateState(names, (s) => {
    if (s.pods.some((p) => p.name === name)) {
      throw new LabError(
        `pod '${name}' already exists in lab '${names.lab}'`,
        `remove it first: calico-lab pod del ${name}`,
      );
    }
    host = o.node ? requireHost(s, o.node) : leastLoaded(s);
    pod = { name, host: host.name, netns: names.podNetns(name), containerId: names.podContainerId(name) };
    s.pods.push(pod);
  });
  const start = Date.now();
  try {
    await createNetns(pod.netns);
    pod.ip = await cniAdd(names, host, pod, state.mode);
  } catch (e) {
    // Undo: the plugin's DEL releases whatever ADD got as far as allocating.
    await cniDel(names, host, pod, state.mode).catch(() => undefined);
    await deleteNetns(pod.netns);
    await updateState(names, (s) => {
      s.pods = s.pods.filter((p) => p.name !== name);
    }).catch(() => undefined);
    throw e;
  }
  const ip = pod.ip;
  await updateState(names, (s) => {
    const p = s.pods.find((x) => x.name === name);
    if (p) p.ip = ip;
  });
  out.write(`pod ${name} on ${host.name}: ${ip} (CNI ADD ${seconds(Date.now() - start)})`);
  if (o.wait ?? true) {
    const ms = await waitPodRoutes(state, host, ip, o.waitTimeoutMs ?? 30_000);
    const how = state.mode === 'bgp' ? 'BGP' : 'VXLAN';
    out.write(state.hosts.length > 1 ? `; routed from every host (${how}) after ${seconds(ms)}` : '');
  }
  out.write('\n');
  return pod;
}

export async function podDel(names: LabNames, name: string, out: Output): Promise<void> {
  const s = requireState(names);
  const pod = s.pods.find((p) => p.name === name);
  if (!pod) {
    throw new LabError(
      `no pod '${name}' in lab '${names.lab}'`,
      `pods: ${s.pods.map((p) => p.name).join(', ') || '(none)'}`,
    );
  }
  if (pod.k8s) {
    throw new LabError(
      `${name} is a Kubernetes pod (made by calico-lab apply)`,
      `delete it the way it was made: calico-lab delete -f FILE${names.lab === 'lab' ? '' : ` --name ${names.lab}`}`,
    );
  }
  const host = requireHost(s, pod.host);
  await cniDel(names, host, pod, s.mode);
  await deleteNetns(pod.netns);
  await updateState(names, (st) => {
    st.pods = st.pods.filter((p) => p.name !== name);
  });
  out.write(`pod ${name} deleted (was ${pod.ip ?? 'unaddressed'} on ${pod.host})\n`);
}
