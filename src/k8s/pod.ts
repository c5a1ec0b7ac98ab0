/** Kubernetes Pod → the WorkloadEndpoint fields Calico derives from it (labels and spec). */
import type { WorkloadEndpointPort, WorkloadEndpointSpec } from '../api/kinds/workloadendpoint.js';
import { formatCIDR, tryParseCIDR, workloadVethName } from '../net/index.js';
import { K8sInputError } from './errors.js';
import { identify, isObject, listAt, stringMapAt } from './input.js';
import {
  NAMESPACE_LABEL,
  ORCHESTRATOR_K8S,
  ORCHESTRATOR_LABEL,
  SERVICE_ACCOUNT_LABEL,
  namespaceProfileName,
  serviceAccountProfileName,
} from './names.js';
import type { K8sContainer, K8sPod, K8sPodStatus } from './types.js';
import type { ResourceRef } from '../errors/index.js';

/** Pod annotations Calico's CNI plugin writes (read when the pod status has no IPs yet). */
export const POD_IP_ANNOTATION = 'cni.projectcalico.org/podIP';
export const POD_IPS_ANNOTATION = 'cni.projectcalico.org/podIPs';
export const CONTAINER_ID_ANNOTATION = 'cni.projectcalico.org/containerID';

/** Longer service-account names are not valid label values, so they get no label. */
const MAX_SA_LABEL_LENGTH = 62;

/** Phases in which a pod no longer owns its IPs. */
const FINISHED_PHASES = new Set(['Failed', 'Succeeded', 'Completed']);

/** The Kubernetes-derived part of a WorkloadEndpoint: its labels and spec. */
export interface ConvertedPod {
  labels: Record<string, string>;
  spec: WorkloadEndpointSpec;
}

export interface ConvertPodOptions {
  /** Host-side interface prefix (Felix's first InterfacePrefix); default `cali`. */
  interfacePrefix?: string;
}

const PORT_PROTOCOLS: Record<string, string> = { '': 'TCP', TCP: 'TCP', UDP: 'UDP', SCTP: 'SCTP' };

/**
 * Container ports that carry a name (for named-port policy) or a host port. An unknown protocol
 * is skipped, as Calico does; a missing one is TCP.
 */
function endpointPorts(containers: K8sContainer[], path: string, who: ResourceRef): WorkloadEndpointPort[] {
  const out: WorkloadEndpointPort[] = [];
  containers.forEach((c, i) => {
    if (!isObject(c)) throw new K8sInputError(`${path}[${i}]`, c, 'must be an object', who);
    listAt(c.ports, `${path}[${i}].ports`, who).forEach((p, j) => {
      if (!isObject(p)) throw new K8sInputError(`${path}[${i}].ports[${j}]`, p, 'must be an object', who);
      if (!p.containerPort || !(p.name || p.hostPort)) return;
      const protocol = PORT_PROTOCOLS[p.protocol ?? ''];
      if (!protocol) return;
      const port: WorkloadEndpointPort = { name: p.name ?? '', protocol, port: p.containerPort };
      if (!p.name) delete port.name;
      if (p.hostPort) port.hostPort = p.hostPort;
      if (p.hostIP) port.hostIP = p.hostIP;
      out.push(port);
    });
  });
  return out;
}

/**
 * The pod's addresses as /32 or /128 networks: status.podIPs, else status.podIP, else Calico's
 * podIPs / podIP annotations. None once the pod has finished (its IPs went back to the pool).
 */
function podNetworks(pod: K8sPod, annotations: Record<string, string>, who: ResourceRef): string[] {
  const status: K8sPodStatus = isObject(pod.status) ? (pod.status as K8sPodStatus) : {};
  if (FINISHED_PHASES.has(status.phase ?? '')) return [];
  // Calico's CNI clears the annotation when it tears the pod's network down.
  if (pod.metadata.deletionTimestamp && annotations[POD_IP_ANNOTATION] === '') return [];
  let ips: unknown[] = [];
  let from = 'status.podIPs';
  const listed = listAt(status.podIPs, 'status.podIPs', who);
  if (listed.length > 0) ips = listed.map((p) => (isObject(p) ? p.ip : p));
  else if (status.podIP) [ips, from] = [[status.podIP], 'status.podIP'];
  else if (annotations[POD_IPS_ANNOTATION]) {
    [ips, from] = [annotations[POD_IPS_ANNOTATION].split(','), `metadata.annotations.${POD_IPS_ANNOTATION}`];
  } else if (annotations[POD_IP_ANNOTATION]) {
    [ips, from] = [[annotations[POD_IP_ANNOTATION]], `metadata.annotations.${POD_IP_ANNOTATION}`];
  }
  return ips.map((ip) => {
    const c = typeof ip === 'string' ? tryParseCIDR(ip.trim(), { allowBareIP: true }) : undefined;
    if (!c) throw new K8sInputError(from, ip, 'must be an IP address', who);
    return formatCIDR(c);
  });
}

/**
 * Converts a Pod into the labels and spec of its WorkloadEndpoint, as Calico's Kubernetes
 * conversion (used by the policy controller and the CNI plugin in k8s mode) derives them:
 *
 * - `labels`: the pod's labels, then `projectcalico.org/namespace`, `projectcalico.org/orchestrator:
 *   k8s` and, when the pod names a service account shorter than 63 characters,
 *   `projectcalico.org/serviceaccount`;
 * - `spec`: orchestrator `k8s`, node (spec.nodeName), pod, endpoint `eth0`, containerID (from
 *   Calico's annotation, if any), serviceAccountName (if any), ipNetworks (if the pod has IPs),
 *   profiles `kns.<ns>` and, with a service account, `ksa.<ns>.<sa>`, interfaceName (the host veth
 *   name Felix expects), ports (named or host-port container ports, if any).
 *
 * Returns a plain `{ labels, spec }` object (a partial WorkloadEndpoint): the caller supplies
 * metadata (name from `workloadEndpointName`, namespace) and whatever CNI adds (mac, ...).
 * Calico uses `spec.serviceAccountName` only; the API server fills it with `default` on create,
 * so a pod without one (a hand-built object) gets no service-account label or profile.
 * Throws K8sInputError for a pod without metadata.name or spec.nodeName (not scheduled yet;
 * Calico has no endpoint for it either) or with an unparsable IP.
 */
export function convertPod(pod: K8sPod, opts: ConvertPodOptions = {}): ConvertedPod {
  const { name, namespace, meta, ref } = identify(pod, 'Pod', true);
  const spec = pod.spec ?? {};
  if (!isObject(spec)) throw new K8sInputError('spec', spec, 'must be an object', ref);
  if (typeof spec.nodeName !== 'string' || spec.nodeName === '') {
    throw new K8sInputError(
      'spec.nodeName',
      spec.nodeName,
      'must be set (the pod is not scheduled yet)',
      ref,
    );
  }
  const sa = typeof spec.serviceAccountName === 'string' ? spec.serviceAccountName : '';
  const annotations = stringMapAt(meta.annotations, 'metadata.annotations', ref);

  const labels: Record<string, string> = { ...stringMapAt(meta.labels, 'metadata.labels', ref) };
  labels[NAMESPACE_LABEL] = namespace;
  labels[ORCHESTRATOR_LABEL] = ORCHESTRATOR_K8S;
  if (sa && sa.length <= MAX_SA_LABEL_LENGTH) labels[SERVICE_ACCOUNT_LABEL] = sa;

  const out: WorkloadEndpointSpec = { orchestrator: ORCHESTRATOR_K8S, node: spec.nodeName, pod: name };
  if (annotations[CONTAINER_ID_ANNOTATION]) out.containerID = annotations[CONTAINER_ID_ANNOTATION];
  out.endpoint = 'eth0';
  if (sa) out.serviceAccountName = sa;
  const nets = podNetworks(pod, annotations, ref);
  if (nets.length > 0) out.ipNetworks = nets;
  out.profiles = sa
    ? [namespaceProfileName(namespace), serviceAccountProfileName(namespace, sa)]
    : [namespaceProfileName(namespace)];
  out.interfaceName = workloadVethName(namespace, name, opts.interfacePrefix || 'cali');
  const ports = [
    ...endpointPorts(listAt(spec.containers, 'spec.containers', ref), 'spec.containers', ref),
    ...endpointPorts(listAt(spec.initContainers, 'spec.initContainers', ref), 'spec.initContainers', ref),
  ];
  if (ports.length > 0) out.ports = ports;
  return { labels, spec: out };
}
