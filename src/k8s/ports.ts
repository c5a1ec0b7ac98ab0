/** NetworkPolicy ports → Calico protocols and destination ports. */
import { parsePort, validatePort, type Port } from '../api/common/ports.js';
import { tryParseProtocol } from '../api/common/protocol.js';
import { isObject } from './input.js';
import type { K8sNetworkPolicyPort } from './types.js';

/** Protocols a NetworkPolicyPort may name. */
const K8S_PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);

/** Why one rule cannot be converted; the rule is left out of the policy. */
export class RuleConversionProblem extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RuleConversionProblem';
  }
}

/**
 * The protocol and ports of one NetworkPolicyPort. A missing protocol is TCP (the Kubernetes
 * default, made explicit because Calico needs a protocol to match ports). `ports` undefined means
 * every port of the protocol (`port` not given, or the blank entry `{}`).
 */
export function k8sPortToCalico(p: K8sNetworkPolicyPort): { protocol: string; ports?: Port[] } {
  if (!isObject(p)) throw new RuleConversionProblem(`invalid port entry ${JSON.stringify(p)}`);
  let protocol = 'TCP';
  if (p.protocol !== undefined && p.protocol !== null) {
    const parsed = tryParseProtocol(p.protocol);
    if (typeof parsed !== 'string' || !K8S_PROTOCOLS.has(parsed)) {
      throw new RuleConversionProblem(
        `invalid protocol ${JSON.stringify(p.protocol)}: must be TCP, UDP or SCTP`,
      );
    }
    protocol = parsed;
  }
  if (p.port === undefined || p.port === null) return { protocol };

  let text = typeof p.port === 'number' ? String(p.port) : p.port;
  if (typeof text !== 'string') throw new RuleConversionProblem(`invalid port ${JSON.stringify(p.port)}`);
  if (p.endPort !== undefined && p.endPort !== null) text = `${text}:${String(p.endPort)}`;
  let port: Port;
  try {
    port = parsePort(text);
  } catch (e) {
    throw new RuleConversionProblem(
      `failed to parse k8s port: invalid port ${text}: ${(e as Error).message}`,
    );
  }
  // Calico's converter lets port 0 through and its validator then rejects the whole policy;
  // dropping just this rule keeps the rest of the policy usable.
  const problem = validatePort(port);
  if (problem) throw new RuleConversionProblem(`failed to parse k8s port: invalid port ${text}: ${problem}`);
  return { protocol, ports: [port] };
}

/**
 * The fewest ports and ranges covering `ports` (Calico's SimplifyPorts): named ports first, in
 * their order, then numeric ports sorted with overlapping or adjacent ones merged. With at most one
 * numeric port there is nothing to merge and the input is returned as it is.
 */
export function simplifyPorts(ports: Port[]): Port[] {
  if (ports.length <= 1) return ports;
  const named = ports.filter((p) => p.portName !== '');
  const numeric = ports
    .filter((p) => p.portName === '')
    .map((p) => [p.minPort, p.maxPort] as [number, number]);
  const count = numeric.reduce((n, [lo, hi]) => n + Math.max(0, hi - lo + 1), 0);
  if (count <= 1) return ports;

  numeric.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const ranges: [number, number][] = [];
  for (const [lo, hi] of numeric) {
    const last = ranges[ranges.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else ranges.push([lo, hi]);
  }
  return [...named, ...ranges.map(([lo, hi]) => ({ minPort: lo, maxPort: hi, portName: '' }))];
}
