/**
 * An oracle of Kubernetes NetworkPolicy (networking.k8s.io/v1) semantics, written from the
 * Kubernetes API reference and the "Network Policies" concept page — deliberately independent of
 * calico-ts's conversion to Calico policy, so that the e2e matrix can hold the dataplane against
 * what Kubernetes promises rather than against our own reading of it.
 *
 * The rules it implements:
 * - A pod is isolated for ingress (egress) iff some policy in its namespace selects it and has
 *   that policy type. policyTypes absent or empty: Ingress always, Egress iff the policy has at
 *   least one egress rule.
 * - A connection is allowed iff the source's egress allows it (or the source is not
 *   egress-isolated, or is outside the cluster) AND the destination's ingress allows it (same).
 *   Policies are additive: one matching rule of one selecting policy allows.
 * - A rule matches when one of its peers matches (no peers: everyone) and one of its ports
 *   matches (no ports: every port of every protocol).
 * - Peers: podSelector alone = pods of the policy's namespace; namespaceSelector alone = every
 *   pod of the matching namespaces; both = pods matching the pod selector in the matching
 *   namespaces (AND); ipBlock = addresses in cidr and in none of except (matched on the pod's IP,
 *   as the pod network has no NAT).
 * - Ports: protocol defaults to TCP; no port = every port of that protocol; port..endPort is an
 *   inclusive range; a named port is looked up in the destination pod's containerPorts, by name
 *   and protocol (also for egress: the destination's name, never the source's), and matches
 *   nothing when the destination has no such port or is outside the cluster.
 * - Namespaces carry `kubernetes.io/metadata.name: <name>` (the API server sets it).
 *
 * Loopback (a pod connecting to its own IP): Kubernetes leaves it undefined — the upstream netpol
 * e2e suite ignores those cells (`ignoreLoopback`, kubernetes/kubernetes#95879) because CNIs
 * differ. On a veth-based pod network such as Calico's the packet never leaves the pod's network
 * namespace (the pod's own address is local to it), so no policy can see it: the model's default
 * is `loopback: 'allowed'`. `loopback: 'policy'` evaluates it like any other pair.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type PolicyType = 'Ingress' | 'Egress';

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[] | null;
}

export interface LabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: LabelSelectorRequirement[] | null;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: Protocol;
}

export interface ModelNamespace {
  name: string;
  labels?: Record<string, string>;
}

export interface ModelPod {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  ip: string;
  ports?: ContainerPort[];
}

/** An address outside the cluster (no namespace, no labels, no policies of its own). */
export interface ExternalEndpoint {
  ip: string;
}

export type Endpoint = ModelPod | ExternalEndpoint;

export interface PolicyPort {
  protocol?: Protocol | null;
  port?: number | string | null;
  endPort?: number | null;
}

export interface IPBlock {
  cidr: string;
  except?: string[] | null;
}

export interface PolicyPeer {
  podSelector?: LabelSelector | null;
  namespaceSelector?: LabelSelector | null;
  ipBlock?: IPBlock | null;
}

export interface IngressRule {
  from?: PolicyPeer[] | null;
  ports?: PolicyPort[] | null;
}

export interface EgressRule {
  to?: PolicyPeer[] | null;
  ports?: PolicyPort[] | null;
}

export interface NetworkPolicySpec {
  podSelector?: LabelSelector | null;
  policyTypes?: PolicyType[] | null;
  ingress?: IngressRule[] | null;
  egress?: EgressRule[] | null;
}

export interface NetworkPolicy {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string };
  spec: NetworkPolicySpec;
}

export interface ClusterState {
  namespaces: ModelNamespace[];
  pods: ModelPod[];
  policies: NetworkPolicy[];
}

export interface ModelOptions {
  loopback?: 'allowed' | 'policy';
}

/** `ns/name` of a pod (the matrix's keys). */
export type PodKey = string;

/** from → to → allowed. */
export type Matrix = Record<PodKey, Record<PodKey, boolean>>;

/** Why one direction of a connection is allowed or not. */
export interface DirectionVerdict {
  allowed: boolean;
  /** `ns/policy` of every policy isolating the endpoint in this direction (empty: not isolated). */
  isolatedBy: string[];
  /** `ns/policy ingress[i]` (or egress) of the first rule allowing it. */
  allowedBy?: string;
}

export interface Verdict {
  allowed: boolean;
  loopback: boolean;
  egress: DirectionVerdict;
  ingress: DirectionVerdict;
}

/** A policy the model cannot evaluate because the API server would reject it. */
export class InvalidPolicyError extends Error {
  constructor(policy: string, why: string) {
    super(`NetworkPolicy ${policy}: ${why}`);
    this.name = 'InvalidPolicyError';
  }
}

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export function podKey(p: { namespace: string; name: string }): PodKey {
  return `${p.namespace}/${p.name}`;
}

export function isPod(e: Endpoint): e is ModelPod {
  return 'namespace' in e && 'name' in e;
}

/** Does a label selector select these labels? Empty selects everything. */
export function selectorMatches(
  sel: LabelSelector,
  labels: Record<string, string>,
  where = 'selector',
): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const req of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (values.length === 0) throw new Error(`${where}: operator In needs values`);
        if (!has || !values.includes(labels[req.key])) return false;
        break;
      case 'NotIn':
        if (values.length === 0) throw new Error(`${where}: operator NotIn needs values`);
        if (has && values.includes(labels[req.key])) return false;
        break;
      case 'Exists':
        if (values.length > 0) throw new Error(`${where}: operator Exists takes no values`);
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (values.length > 0) throw new Error(`${where}: operator DoesNotExist takes no values`);
        if (has) return false;
        break;
      default:
        throw new Error(`${where}: unknown operator ${String((req as { operator: unknown }).operator)}`);
    }
  }
  return true;
}

function familyOf(ip: string): 'ipv4' | 'ipv6' | undefined {
  return isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
}

/** Is the address inside the CIDR? (Host bits of the CIDR are ignored; other families never match.) */
export function inCidr(ip: string, cidr: string): boolean {
  const [net, len, extra] = cidr.split('/');
  const family = familyOf(net);
  if (!family || len === undefined || extra !== undefined || !/^\d+$/.test(len)) {
    throw new Error(`invalid CIDR '${cidr}'`);
  }
  const prefix = Number(len);
  if (prefix > (family === 'ipv4' ? 32 : 128)) throw new Error(`invalid CIDR '${cidr}'`);
  if (familyOf(ip) !== family) return false;
  const list = new BlockList();
  list.addSubnet(net, prefix, family);
  return list.check(ip, family);
}

export function policyNamespace(p: NetworkPolicy): string {
  return p.metadata.namespace || 'default';
}

function policyId(p: NetworkPolicy): string {
  return `${policyNamespace(p)}/${p.metadata.name}`;
}

/** The policy's types after the API server's defaulting. */
export function effectivePolicyTypes(p: NetworkPolicy): PolicyType[] {
  const given = p.spec.policyTypes ?? [];
  if (given.length > 0) return [...given];
  return (p.spec.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

function portMatches(
  port: PolicyPort,
  dest: Endpoint,
  portNumber: number,
  protocol: Protocol,
  where: string,
): boolean {
  const proto = port.protocol ?? 'TCP';
  if (proto !== protocol) return false;
  const p = port.port;
  if (p === undefined || p === null) {
    if (port.endPort != null) throw new Error(`${where}: endPort needs port`);
    return true;
  }
  if (typeof p === 'number') {
    if (port.endPort != null) {
      if (port.endPort < p) throw new Error(`${where}: endPort ${port.endPort} is below port ${p}`);
      return portNumber >= p && portNumber <= port.endPort;
    }
    return portNumber === p;
  }
  if (port.endPort != null) throw new Error(`${where}: endPort cannot be used with the named port '${p}'`);
  if (!isPod(dest)) return false;
  return (dest.ports ?? []).some(
    (cp) => cp.name === p && (cp.protocol ?? 'TCP') === protocol && cp.containerPort === portNumber,
  );
}

/**
 * NetworkPolicy semantics over one cluster state. The state is read at construction; build a new
 * model after a change.
 */
export class NetpolModel {
  private readonly nsLabels = new Map<string, Record<string, string>>();
  private readonly loopback: 'allowed' | 'policy';

  constructor(
    readonly state: ClusterState,
    options: ModelOptions = {},
  ) {
    this.loopback = options.loopback ?? 'allowed';
    for (const ns of state.namespaces) {
      this.nsLabels.set(ns.name, { ...(ns.labels ?? {}), [NAMESPACE_NAME_LABEL]: ns.name });
    }
    for (const p of state.policies) this.validate(p);
  }

  /** Labels of a namespace; one the state does not list has only its name label (created implicitly). */
  namespaceLabels(ns: string): Record<string, string> {
    return this.nsLabels.get(ns) ?? { [NAMESPACE_NAME_LABEL]: ns };
  }

  pod(key: PodKey): ModelPod {
    const p = this.state.pods.find((x) => podKey(x) === key);
    if (!p) throw new Error(`no pod ${key} in the model`);
    return p;
  }

  /** Policies selecting the pod that have the given type. */
  isolatingPolicies(pod: ModelPod, type: PolicyType): NetworkPolicy[] {
    return this.state.policies.filter(
      (p) =>
        policyNamespace(p) === pod.namespace &&
        effectivePolicyTypes(p).includes(type) &&
        selectorMatches(p.spec.podSelector ?? {}, pod.labels ?? {}, `${policyId(p)} podSelector`),
    );
  }

  /** Does a peer of a policy in namespace `ns` match the endpoint? */
  private peerMatches(peer: PolicyPeer, ns: string, e: Endpoint, where: string): boolean {
    if (peer.ipBlock) {
      if (peer.podSelector || peer.namespaceSelector) {
        throw new Error(`${where}: ipBlock cannot be combined with selectors`);
      }
      const { cidr, except } = peer.ipBlock;
      return inCidr(e.ip, cidr) && !(except ?? []).some((x) => inCidr(e.ip, x));
    }
    if (!peer.podSelector && !peer.namespaceSelector)
      throw new Error(`${where}: a peer needs a selector or ipBlock`);
    if (!isPod(e)) return false;
    if (peer.namespaceSelector) {
      if (
        !selectorMatches(
          peer.namespaceSelector,
          this.namespaceLabels(e.namespace),
          `${where} namespaceSelector`,
        )
      ) {
        return false;
      }
    } else if (e.namespace !== ns) {
      return false;
    }
    return !peer.podSelector || selectorMatches(peer.podSelector, e.labels ?? {}, `${where} podSelector`);
  }

  private ruleMatches(
    peers: PolicyPeer[] | null | undefined,
    ports: PolicyPort[] | null | undefined,
    ns: string,
    peer: Endpoint,
    dest: Endpoint,
    port: number,
    protocol: Protocol,
    where: string,
  ): boolean {
    const peerOk =
      !peers?.length || peers.some((p, i) => this.peerMatches(p, ns, peer, `${where} peer ${i}`));
    const portOk =
      !ports?.length || ports.some((p, i) => portMatches(p, dest, port, protocol, `${where} ports[${i}]`));
    return peerOk && portOk;
  }

  private direction(
    pod: ModelPod,
    type: PolicyType,
    peer: Endpoint,
    dest: Endpoint,
    port: number,
    protocol: Protocol,
  ): DirectionVerdict {
    const policies = this.isolatingPolicies(pod, type);
    const verdict: DirectionVerdict = { allowed: policies.length === 0, isolatedBy: policies.map(policyId) };
    for (const p of policies) {
      const ns = policyNamespace(p);
      const rules: { peers?: PolicyPeer[] | null; ports?: PolicyPort[] | null }[] =
        type === 'Ingress'
          ? (p.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }))
          : (p.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }));
      const field = type === 'Ingress' ? 'ingress' : 'egress';
      const i = rules.findIndex((r, j) =>
        this.ruleMatches(r.peers, r.ports, ns, peer, dest, port, protocol, `${policyId(p)} ${field}[${j}]`),
      );
      if (i >= 0) return { ...verdict, allowed: true, allowedBy: `${policyId(p)} ${field}[${i}]` };
    }
    return verdict;
  }

  /** The full reasoning for one connection. */
  verdict(from: Endpoint | PodKey, to: Endpoint | PodKey, port: number, protocol: Protocol): Verdict {
    const src = typeof from === 'string' ? this.pod(from) : from;
    const dst = typeof to === 'string' ? this.pod(to) : to;
    const open: DirectionVerdict = { allowed: true, isolatedBy: [] };
    if (this.loopback === 'allowed' && isPod(src) && isPod(dst) && podKey(src) === podKey(dst)) {
      return { allowed: true, loopback: true, egress: open, ingress: open };
    }
    const egress = isPod(src) ? this.direction(src, 'Egress', dst, dst, port, protocol) : open;
    const ingress = isPod(dst) ? this.direction(dst, 'Ingress', src, dst, port, protocol) : open;
    return { allowed: egress.allowed && ingress.allowed, loopback: false, egress, ingress };
  }

  allowed(from: Endpoint | PodKey, to: Endpoint | PodKey, port: number, protocol: Protocol): boolean {
    return this.verdict(from, to, port, protocol).allowed;
  }

  /** Every pod to every pod (itself included). */
  matrix(port: number, protocol: Protocol): Matrix {
    const out: Matrix = {};
    for (const from of this.state.pods) {
      const row: Record<PodKey, boolean> = {};
      for (const to of this.state.pods) row[podKey(to)] = this.allowed(from, to, port, protocol);
      out[podKey(from)] = row;
    }
    return out;
  }

  /** Catches what the API server's validation would reject, so a bad fixture fails loudly. */
  private validate(p: NetworkPolicy): void {
    const id = policyId(p);
    if (!p.metadata?.name) throw new InvalidPolicyError('(unnamed)', 'metadata.name is required');
    for (const t of p.spec.policyTypes ?? []) {
      if (t !== 'Ingress' && t !== 'Egress')
        throw new InvalidPolicyError(id, `unknown policy type '${String(t)}'`);
    }
    const sel = (s: LabelSelector | null | undefined, where: string): void => {
      if (s) selectorMatches(s, {}, `${id} ${where}`);
    };
    try {
      sel(p.spec.podSelector, 'podSelector');
      const check = (
        peers: PolicyPeer[] | null | undefined,
        ports: PolicyPort[] | null | undefined,
        at: string,
      ) => {
        (peers ?? []).forEach((peer, i) => {
          sel(peer.podSelector, `${at} peer ${i} podSelector`);
          sel(peer.namespaceSelector, `${at} peer ${i} namespaceSelector`);
          if (peer.ipBlock && (peer.podSelector || peer.namespaceSelector)) {
            throw new Error(`${at} peer ${i}: ipBlock cannot be combined with selectors`);
          }
          if (!peer.ipBlock && !peer.podSelector && !peer.namespaceSelector) {
            throw new Error(`${at} peer ${i}: a peer needs podSelector, namespaceSelector or ipBlock`);
          }
          if (peer.ipBlock)
            for (const c of [peer.ipBlock.cidr, ...(peer.ipBlock.except ?? [])]) inCidr('0.0.0.0', c);
        });
        (ports ?? []).forEach((port, i) => {
          const proto = port.protocol ?? 'TCP';
          if (proto !== 'TCP' && proto !== 'UDP' && proto !== 'SCTP') {
            throw new Error(`${at} ports[${i}]: unknown protocol '${String(proto)}'`);
          }
          // Evaluated against a pod with no ports: only the shape is checked.
          portMatches(port, { ip: '0.0.0.0' }, 1, proto, `${at} ports[${i}]`);
        });
      };
      (p.spec.ingress ?? []).forEach((r, i) => check(r.from, r.ports, `ingress[${i}]`));
      (p.spec.egress ?? []).forEach((r, i) => check(r.to, r.ports, `egress[${i}]`));
    } catch (e) {
      throw new InvalidPolicyError(id, (e as Error).message);
    }
  }
}

/** Pairs on which two matrices disagree (keys of either). */
export function matrixDiff(
  expected: Matrix,
  actual: Matrix,
): { from: PodKey; to: PodKey; expected?: boolean; actual?: boolean }[] {
  const out: { from: PodKey; to: PodKey; expected?: boolean; actual?: boolean }[] = [];
  const froms = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  for (const from of froms) {
    const tos = [
      ...new Set([...Object.keys(expected[from] ?? {}), ...Object.keys(actual[from] ?? {})]),
    ].sort();
    for (const to of tos) {
      const e = expected[from]?.[to];
      const a = actual[from]?.[to];
      if (e !== a) out.push({ from, to, expected: e, actual: a });
    }
  }
  return out;
}

/**
 * A truth table in the upstream suite's spirit: rows are sources, columns destinations. With
 * `actual`, each cell compares: `.` allowed as expected, `x` denied as expected, `A` allowed but
 * the model denies (a leak), `D` denied but the model allows, `?` missing on one side.
 */
export function truthTable(title: string, expected: Matrix, actual?: Matrix): string {
  const keys = [
    ...new Set([...Object.keys(expected), ...Object.values(expected).flatMap((r) => Object.keys(r))]),
    ...(actual ? Object.keys(actual) : []),
  ].filter((k, i, all) => all.indexOf(k) === i);
  keys.sort();
  const w = Math.max(...keys.map((k) => k.length), title.length);
  const cell = (from: string, to: string): string => {
    const e = expected[from]?.[to];
    if (!actual) return e === undefined ? '?' : e ? '.' : 'x';
    const a = actual[from]?.[to];
    if (e === undefined || a === undefined) return '?';
    if (e === a) return e ? '.' : 'x';
    return a ? 'A' : 'D';
  };
  const lines = [`${title.padEnd(w)} ${keys.map((k) => k.padStart(w)).join(' ')}`];
  for (const from of keys)
    lines.push(`${from.padEnd(w)} ${keys.map((to) => cell(from, to).padStart(w)).join(' ')}`);
  if (actual)
    lines.push(
      '(. allowed, x denied, as the model says; A allowed but model denies; D denied but model allows)',
    );
  return lines.join('\n');
}
