/** Resource builders and an input builder for the policy compiler tests. */
import type { Resource } from '../../../../src/api/index.js';
import {
  DEFAULT_POLICY_CONFIG,
  type PolicyConfig,
  type PolicyInput,
} from '../../../../src/felix/calc/policy/index.js';

const res = (
  kind: string,
  name: string,
  spec: object,
  namespace?: string,
  labels?: Record<string, string>,
) => {
  const r: Resource = {
    apiVersion: 'projectcalico.org/v3',
    kind,
    metadata: { name },
    spec: spec as Record<string, unknown>,
  };
  if (namespace) r.metadata.namespace = namespace;
  if (labels) r.metadata.labels = labels;
  return r;
};

export interface WepOpts {
  node?: string;
  iface?: string;
  ips: string[];
  labels?: Record<string, string>;
  profiles?: string[];
  ports?: { name: string; protocol: string; port: number }[];
  sa?: string;
}

/** A k8s workload endpoint: namespace / orchestrator labels and the kns.<ns> profile. */
export function wep(ns: string, pod: string, o: WepOpts): Resource {
  const node = o.node ?? 'node1';
  return res(
    'WorkloadEndpoint',
    `${node}-k8s-${pod}-eth0`,
    {
      orchestrator: 'k8s',
      node,
      pod,
      endpoint: 'eth0',
      interfaceName: o.iface ?? `cali${pod}`,
      ipNetworks: o.ips.map((ip) => (ip.includes(':') ? `${ip}/128` : `${ip}/32`)),
      profiles: o.profiles ?? [`kns.${ns}`, ...(o.sa ? [`ksa.${ns}.${o.sa}`] : [])],
      ...(o.sa ? { serviceAccountName: o.sa } : {}),
      ...(o.ports ? { ports: o.ports } : {}),
    },
    ns,
    { 'projectcalico.org/namespace': ns, 'projectcalico.org/orchestrator': 'k8s', ...(o.labels ?? {}) },
  );
}

export function np(ns: string, name: string, spec: object): Resource {
  return res('NetworkPolicy', name, spec, ns);
}

export function gnp(name: string, spec: object): Resource {
  return res('GlobalNetworkPolicy', name, spec);
}

export function tier(name: string, order: number | undefined, defaultAction?: 'Deny' | 'Pass'): Resource {
  return res('Tier', name, {
    ...(order !== undefined ? { order } : {}),
    ...(defaultAction ? { defaultAction } : {}),
  });
}

/** Kubernetes namespace profile: allow-all rules, pcns. labels. */
export function nsProfile(ns: string, labels: Record<string, string> = {}): Resource {
  const labelsToApply: Record<string, string> = { 'pcns.projectcalico.org/name': ns };
  for (const [k, v] of Object.entries(labels)) labelsToApply[`pcns.${k}`] = v;
  return res('Profile', `kns.${ns}`, {
    ingress: [{ action: 'Allow' }],
    egress: [{ action: 'Allow' }],
    labelsToApply,
  });
}

/** Kubernetes service-account profile: labels only. */
export function saProfile(ns: string, sa: string, labels: Record<string, string> = {}): Resource {
  const labelsToApply: Record<string, string> = { 'pcsa.projectcalico.org/name': sa };
  for (const [k, v] of Object.entries(labels)) labelsToApply[`pcsa.${k}`] = v;
  return res('Profile', `ksa.${ns}.${sa}`, { labelsToApply });
}

export function hep(
  name: string,
  o: { node?: string; iface?: string; ips?: string[]; labels?: Record<string, string>; profiles?: string[] },
): Resource {
  return res(
    'HostEndpoint',
    name,
    {
      node: o.node ?? 'node1',
      ...(o.iface ? { interfaceName: o.iface } : {}),
      ...(o.ips ? { expectedIPs: o.ips } : {}),
      ...(o.profiles ? { profiles: o.profiles } : {}),
    },
    undefined,
    o.labels,
  );
}

export function networkSet(
  ns: string,
  name: string,
  nets: string[],
  labels: Record<string, string>,
): Resource {
  return res('NetworkSet', name, { nets }, ns, labels);
}

export function globalNetworkSet(name: string, nets: string[], labels: Record<string, string>): Resource {
  return res('GlobalNetworkSet', name, { nets }, undefined, labels);
}

export function config(over: Partial<PolicyConfig> = {}): PolicyConfig {
  return {
    ...DEFAULT_POLICY_CONFIG,
    interfacePrefixes: [...DEFAULT_POLICY_CONFIG.interfacePrefixes],
    failsafeInbound: [...DEFAULT_POLICY_CONFIG.failsafeInbound],
    failsafeOutbound: [...DEFAULT_POLICY_CONFIG.failsafeOutbound],
    ...over,
  };
}

/** Sorts resources into the input's lists by kind. */
export function input(resources: Resource[], over: Partial<PolicyInput> = {}): PolicyInput {
  const by = (k: string) => resources.filter((r) => r.kind === k);
  return {
    nodeName: 'node1',
    config: config(),
    tiers: by('Tier'),
    networkPolicies: [...by('NetworkPolicy'), ...by('KubernetesNetworkPolicy'), ...by('StagedNetworkPolicy')],
    globalNetworkPolicies: by('GlobalNetworkPolicy'),
    profiles: by('Profile'),
    workloadEndpoints: by('WorkloadEndpoint'),
    hostEndpoints: by('HostEndpoint'),
    networkSets: by('NetworkSet'),
    globalNetworkSets: by('GlobalNetworkSet'),
    ...over,
  };
}
