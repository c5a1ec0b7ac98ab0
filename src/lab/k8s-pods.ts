/**
 * Kubernetes pods in the lab, made the way kubelet and etcd-mode kube-controllers make them: a
 * sandbox (network namespace), CNI ADD with the Kubernetes CNI_ARGS (so the plugin writes a k8s
 * WorkloadEndpoint), then the label sync (pod labels, service account and profiles onto the
 * endpoint), then the pod's "containers": one labnet server answering on every container port.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { workloadEndpointName } from '../api/workload-endpoint-name.js';
import type { WorkloadEndpointSpec } from '../api/kinds/workloadendpoint.js';
import type { Client } from '../client/index.js';
import { isCalicoError } from '../errors/index.js';
import { convertPod } from '../k8s/index.js';
import type { K8sPod } from '../k8s/types.js';
import { LabError } from './lab-error.js';
import { startServer } from './labnet.js';
import type { PodSpecSummary } from './manifest.js';
import type { LabNames } from './names.js';
import { createNetns, deleteNetns } from './netns.js';
import { leastLoaded } from './pod-commands.js';
import { cniAdd, cniDel } from './pods.js';
import { isLabProcess, stopProcesses } from './processes.js';
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

export function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

async function updateState(names: LabNames, fn: (s: LabState) => void): Promise<LabState> {
  return withStateLock(names, async () => {
    const s = requireState(names);
    fn(s);
    writeState(names, s);
    return s;
  });
}

/** The Pod as the API server would hold it once scheduled and running (what convertPod reads). */
export function runningPod(pod: PodState, host: HostState): K8sPod {
  const m = pod.k8s!.manifest as unknown as K8sPod;
  return {
    ...m,
    metadata: { ...m.metadata, uid: pod.k8s!.uid },
    // The API server's admission gives every pod a service account (`default` unless named).
    spec: {
      ...(m.spec ?? {}),
      nodeName: host.name,
      serviceAccountName:
        m.spec?.serviceAccountName ??
        (m.spec as { serviceAccount?: string } | undefined)?.serviceAccount ??
        'default',
    },
    status: { phase: 'Running', ...(pod.ip ? { podIP: pod.ip, podIPs: [{ ip: pod.ip }] } : {}) },
  };
}

/**
 * kube-controllers' label sync: the endpoint gets the pod's labels (with the namespace,
 * orchestrator and service-account labels), its profiles, service account and named ports.
 */
export async function syncEndpoint(client: Client, pod: PodState, host: HostState): Promise<boolean> {
  const k = pod.k8s!;
  const converted = convertPod(runningPod(pod, host));
  for (let attempt = 1; ; attempt++) {
    const wep = await client.get('WorkloadEndpoint', k.wepName!, k.namespace);
    const before = JSON.stringify([wep.metadata.labels, wep.spec]);
    const spec = { ...(wep.spec as WorkloadEndpointSpec) };
    spec.profiles = converted.spec.profiles;
    spec.serviceAccountName = converted.spec.serviceAccountName;
    if (converted.spec.ports?.length) spec.ports = converted.spec.ports;
    else delete spec.ports;
    wep.metadata.labels = converted.labels;
    wep.spec = spec as Record<string, unknown>;
    if (JSON.stringify([wep.metadata.labels, wep.spec]) === before) return false;
    try {
      await client.update(wep);
      return true;
    } catch (e) {
      if (!isCalicoError(e, 'UPDATE_CONFLICT') || attempt >= 5) throw e;
    }
  }
}

async function stopServer(names: LabNames, pod: PodState): Promise<void> {
  const pid = pod.k8s?.serverPid;
  if (pid && isLabProcess(pid, names.dir)) await stopProcesses([pid], 2000);
}

/**
 * Creates a pod: reserves it in the state, CNI ADD, label sync, server, routes from every host.
 * Anything that fails is undone (CNI DEL releases the address).
 */
export async function createK8sPod(
  names: LabNames,
  client: Client,
  ns: string,
  name: string,
  manifest: Record<string, unknown>,
  summary: PodSpecSummary,
): Promise<PodState> {
  const key = podKey(ns, name);
  let host!: HostState;
  let pod!: PodState;
  const state = await updateState(names, (s) => {
    if (s.pods.some((p) => p.name === key)) throw new LabError(`pod ${key} already exists`);
    host = summary.nodeName ? requireHost(s, summary.nodeName) : leastLoaded(s);
    // A sandbox id as a container runtime makes one.
    const containerId = randomBytes(32).toString('hex');
    pod = {
      name: key,
      host: host.name,
      netns: names.k8sPodNetns(ns, name),
      containerId,
      k8s: {
        namespace: ns,
        name,
        uid: randomUUID(),
        createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        manifest,
        wepName: workloadEndpointName({ node: host.name, orchestrator: 'k8s', pod: name, endpoint: 'eth0' }),
      },
    };
    s.pods.push(pod);
  });
  try {
    await createNetns(pod.netns);
    pod.ip = await cniAdd(names, host, pod, state.mode);
    await syncEndpoint(client, pod, host);
    if (summary.tcp.length + summary.udp.length > 0) {
      const logFile = join(names.k8sDir, `${ns}.${name}.log`);
      pod.k8s!.serverLog = logFile;
      pod.k8s!.serverPid = await startServer(names, {
        podName: key,
        netns: pod.netns,
        tcp: summary.tcp,
        udp: summary.udp,
        logFile,
      });
    }
    await updateState(names, (s) => {
      s.pods = s.pods.map((p) => (p.name === key ? pod : p));
    });
    await waitPodRoutes(state, host, pod.ip, 30_000);
  } catch (e) {
    await removePod(names, state, pod).catch(() => undefined);
    throw e;
  }
  return pod;
}

/** Stops the server, CNI DEL, removes the namespace and the state entry. */
export async function removePod(names: LabNames, state: LabState, pod: PodState): Promise<void> {
  await stopServer(names, pod);
  const host = requireHost(state, pod.host);
  await cniDel(names, host, pod, state.mode);
  await deleteNetns(pod.netns);
  await updateState(names, (s) => {
    s.pods = s.pods.filter((p) => p.name !== pod.name);
  });
}
