/**
 * Label holders: everything a rule selector can match (workload and host endpoints of every
 * host, NetworkSets, GlobalNetworkSets) with the labels Felix evaluates and the addresses and
 * named ports that become set members. The endpoints of this node also get endpoint chains.
 */
import type { Resource } from '../../../api/index.js';
import type { HostEndpointSpec } from '../../../api/kinds/hostendpoint.js';
import type { WorkloadEndpointSpec } from '../../../api/kinds/workloadendpoint.js';
import { canonicalCIDR, tryParseCIDR, type IPFamily } from '../../../net/index.js';
import type { NamedPortProto } from './parsed-rule.js';
import { irProtocol } from './parsed-rule.js';
import { LABEL_NAMESPACE, LABEL_ORCHESTRATOR, LABEL_SERVICE_ACCOUNT } from './selectors.js';

export interface NamedPort {
  name: string;
  proto: NamedPortProto;
  port: number;
}

export interface Holder {
  /** `wep/<ns>/<name>`, `hep/<name>`, `ns/<ns>/<name>`, `gns/<name>`. */
  key: string;
  /** Own labels, as Felix sees them (before profile inheritance). */
  labels: Readonly<Record<string, string>>;
  /** Profiles whose labelsToApply fill in labels the holder does not have, in order. */
  profiles: readonly string[];
  /** Canonical CIDRs per family: endpoint addresses as /32 or /128, network-set nets as given. */
  v4: readonly string[];
  v6: readonly string[];
  ports: readonly NamedPort[];
}

export interface LocalEndpoint {
  key: string;
  type: 'wep' | 'hep';
  /** Host-side interface; `*` for a wildcard host endpoint. */
  iface: string;
  profiles: readonly string[];
}

// Address text → canonical CIDR and family (endpoint churn re-parses the same addresses).
const canonical = new Map<string, [string, IPFamily] | null>();

function canonicalOf(a: string): [string, IPFamily] | null {
  let v = canonical.get(a);
  if (v === undefined) {
    const c = tryParseCIDR(a, { allowBareIP: true });
    v = c ? [canonicalCIDR(a.includes('/') ? a : `${a}/${c.prefix}`), c.family] : null;
    if (canonical.size >= 100_000) canonical.clear();
    canonical.set(a, v);
  }
  return v;
}

const NO_ADDRESSES: readonly string[] = Object.freeze([]);

function addresses(list: readonly string[] | undefined): { v4: readonly string[]; v6: readonly string[] } {
  // The usual endpoint has one address: no sets, no sorting.
  if (list?.length === 1) {
    const c = canonicalOf(list[0]);
    if (!c) return { v4: NO_ADDRESSES, v6: NO_ADDRESSES };
    return c[1] === 4 ? { v4: [c[0]], v6: NO_ADDRESSES } : { v4: NO_ADDRESSES, v6: [c[0]] };
  }
  const v4 = new Set<string>();
  const v6 = new Set<string>();
  for (const a of list ?? []) {
    const c = canonicalOf(a);
    if (c) (c[1] === 4 ? v4 : v6).add(c[0]);
  }
  return { v4: [...v4].sort(), v6: [...v6].sort() };
}

/** Endpoint addresses are single IPs whatever prefix the resource wrote. */
function hostAddresses(list: readonly string[] | undefined): {
  v4: readonly string[];
  v6: readonly string[];
} {
  const bare = (list ?? []).map((a) => a.split('/')[0]);
  return addresses(bare);
}

function namedPorts(
  ports: readonly { name?: string; protocol: string | number; port: number }[] | undefined,
) {
  const out: NamedPort[] = [];
  for (const p of ports ?? []) {
    if (!p.name || typeof p.port !== 'number') continue;
    const proto = irProtocol(p.protocol);
    if (proto === 'tcp' || proto === 'udp' || proto === 'sctp')
      out.push({ name: p.name, proto, port: p.port });
  }
  return out;
}

/**
 * A workload endpoint's labels as the update processor hands them to Felix: pod-written
 * `pcns.`/`pcsa.` labels dropped (no spoofing of namespace labels), the namespace and
 * orchestrator labels present, the service account set from the spec.
 */
function workloadLabels(r: Resource, spec: WorkloadEndpointSpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.metadata.labels ?? {})) {
    if (!k.startsWith('pcns.') && !k.startsWith('pcsa.')) out[k] = v;
  }
  if (r.metadata.namespace && out[LABEL_NAMESPACE] === undefined) out[LABEL_NAMESPACE] = r.metadata.namespace;
  if (spec.orchestrator && out[LABEL_ORCHESTRATOR] === undefined) out[LABEL_ORCHESTRATOR] = spec.orchestrator;
  if (spec.serviceAccountName) out[LABEL_SERVICE_ACCOUNT] = spec.serviceAccountName;
  return out;
}

export function workloadHolder(r: Resource): Holder {
  const spec = (r.spec ?? {}) as WorkloadEndpointSpec;
  const { v4, v6 } = hostAddresses(spec.ipNetworks);
  return {
    key: `wep/${r.metadata.namespace ?? ''}/${r.metadata.name ?? ''}`,
    labels: workloadLabels(r, spec),
    profiles: [...(spec.profiles ?? [])],
    v4,
    v6,
    ports: namedPorts(spec.ports),
  };
}

export function hostHolder(r: Resource): Holder {
  const spec = (r.spec ?? {}) as HostEndpointSpec;
  const { v4, v6 } = hostAddresses(spec.expectedIPs);
  return {
    key: `hep/${r.metadata.name ?? ''}`,
    labels: { ...(r.metadata.labels ?? {}) },
    profiles: [...(spec.profiles ?? [])],
    v4,
    v6,
    ports: namedPorts(spec.ports),
  };
}

/** A NetworkSet carries its namespace as a label (the API forbids users setting that label). */
export function networkSetHolder(r: Resource, global: boolean): Holder {
  const spec = (r.spec ?? {}) as { nets?: string[] };
  const { v4, v6 } = addresses(spec.nets);
  const labels: Record<string, string> = { ...(r.metadata.labels ?? {}) };
  if (!global && r.metadata.namespace) labels[LABEL_NAMESPACE] = r.metadata.namespace;
  return {
    key: global
      ? `gns/${r.metadata.name ?? ''}`
      : `ns/${r.metadata.namespace ?? ''}/${r.metadata.name ?? ''}`,
    labels,
    profiles: [],
    v4,
    v6,
    ports: [],
  };
}

/** The workload endpoint's chains, if it lives on `nodeName` and has an interface. */
export function localWorkload(r: Resource, nodeName: string): LocalEndpoint | undefined {
  const spec = (r.spec ?? {}) as WorkloadEndpointSpec;
  if (spec.node !== nodeName || !spec.interfaceName) return undefined;
  return {
    key: `wep/${r.metadata.namespace ?? ''}/${r.metadata.name ?? ''}`,
    type: 'wep',
    iface: spec.interfaceName,
    profiles: [...(spec.profiles ?? [])],
  };
}

/**
 * The host endpoint's chains, if it is on `nodeName` and names its interface (HEPs matched to
 * interfaces by expectedIPs alone need the host's interface addresses, which we do not have).
 */
export function localHost(r: Resource, nodeName: string): LocalEndpoint | undefined {
  const spec = (r.spec ?? {}) as HostEndpointSpec;
  if (spec.node !== nodeName || !spec.interfaceName) return undefined;
  return {
    key: `hep/${r.metadata.name ?? ''}`,
    type: 'hep',
    iface: spec.interfaceName,
    profiles: [...(spec.profiles ?? [])],
  };
}

export function familyCidrs(h: Holder, family: IPFamily): readonly string[] {
  return family === 4 ? h.v4 : h.v6;
}
