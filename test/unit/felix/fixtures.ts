/** Builders for the routing calculation's inputs, and a fake Runner for the drivers. */
import type { IPPool, Node, Resource } from '../../../src/api/index.js';
import {
  DEFAULT_ROUTING_CONFIG,
  type HostInterface,
  type RoutingConfig,
  type RoutingInput,
  type WorkloadEndpoint,
} from '../../../src/felix/calc/routing/index.js';
import type { Runner, RunResult, Tool } from '../../../src/felix/dataplane/index.js';
import type { AllocationBlock } from '../../../src/ipam/model.js';
import { cidrSize, parseCIDR } from '../../../src/net/index.js';

export function node(
  name: string,
  o: { ip?: string; vxlan?: string; mac?: string; ipip?: string } = {},
): Node {
  const spec: Node['spec'] = {};
  if (o.ip) spec.bgp = { ipv4Address: o.ip };
  if (o.ipip) spec.bgp = { ...spec.bgp, ipv4IPIPTunnelAddr: o.ipip };
  if (o.vxlan) spec.ipv4VXLANTunnelAddr = o.vxlan;
  if (o.mac) spec.vxlanTunnelMACAddr = o.mac;
  return { apiVersion: 'projectcalico.org/v3', kind: 'Node', metadata: { name }, spec };
}

export function pool(
  name: string,
  cidr: string,
  o: {
    vxlanMode?: 'Never' | 'Always' | 'CrossSubnet';
    ipipMode?: 'Never' | 'Always' | 'CrossSubnet';
    natOutgoing?: boolean;
    lbOnly?: boolean;
  } = {},
): IPPool {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'IPPool',
    metadata: { name },
    spec: {
      cidr,
      vxlanMode: o.vxlanMode ?? 'Never',
      ipipMode: o.ipipMode ?? 'Never',
      natOutgoing: o.natOutgoing ?? false,
      blockSize: 26,
      allowedUses: o.lbOnly ? ['LoadBalancer'] : ['Workload', 'Tunnel'],
    },
  };
}

/** A block affine to `host`; `used` maps ordinals to the `node` attribute of their allocation. */
export function block(cidr: string, host: string | null, used: Record<number, string> = {}): AllocationBlock {
  const size = Number(cidrSize(parseCIDR(cidr)));
  const allocations: (number | null)[] = new Array(size).fill(null);
  const attributes: AllocationBlock['attributes'] = [];
  for (const [ord, n] of Object.entries(used)) {
    allocations[Number(ord)] = attributes.length;
    attributes.push({ handle_id: `h-${ord}`, secondary: { node: n } });
  }
  return {
    cidr,
    affinity: host ? `host:${host}` : null,
    allocations,
    unallocated: allocations.flatMap((a, i) => (a === null ? [i] : [])),
    attributes,
    sequenceNumber: 1n,
  };
}

export function wep(
  name: string,
  nodeName: string,
  iface: string,
  ips: string[],
  mac?: string,
): WorkloadEndpoint {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'WorkloadEndpoint',
    metadata: { name, namespace: 'default' },
    spec: { node: nodeName, interfaceName: iface, ipNetworks: ips, ...(mac ? { mac } : {}) },
  };
}

export function felixConfig(name: string, spec: Record<string, unknown>): Resource {
  return { apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name }, spec };
}

export const ETH0 = (ip: string, mtu = 1500): HostInterface => ({
  name: 'eth0',
  mtu,
  up: true,
  addresses: [ip],
});

export const H1 = node('h1', { ip: '198.51.100.11/24', vxlan: '10.244.1.0', mac: '66:00:00:00:00:01' });
export const H2 = node('h2', { ip: '198.51.100.12/24', vxlan: '10.244.2.0', mac: '66:00:00:00:00:02' });
/** In another subnet. */
export const H3 = node('h3', { ip: '192.0.2.13/24', vxlan: '10.244.3.0' });

export function input(o: Partial<RoutingInput> & { cfg?: Partial<RoutingConfig> } = {}): RoutingInput {
  return {
    nodeName: o.nodeName ?? 'h1',
    nodes: o.nodes ?? [H1, H2, H3],
    pools: o.pools ?? [pool('vx', '10.244.0.0/16', { vxlanMode: 'Always' })],
    blocks: o.blocks ?? [
      block('10.244.1.0/26', 'h1'),
      block('10.244.2.0/26', 'h2'),
      block('10.244.3.0/26', 'h3'),
    ],
    endpoints: o.endpoints ?? [],
    config: o.config ?? { ...DEFAULT_ROUTING_CONFIG, ...o.cfg },
    hostInterfaces: o.hostInterfaces ?? [ETH0('198.51.100.11')],
  };
}

export interface Call {
  tool: Tool;
  args: string[];
  stdin?: string;
}

/**
 * Answers commands from a table (first matching prefix of `tool args...` wins) and records every
 * call; unmatched commands succeed with empty output.
 */
export class FakeRunner implements Runner {
  readonly calls: Call[] = [];
  constructor(public answers: [string, Partial<RunResult>][] = []) {}

  async run(tool: Tool, args: readonly string[], stdin?: string): Promise<RunResult> {
    this.calls.push({ tool, args: [...args], stdin });
    const line = [tool, ...args].join(' ');
    const hit = this.answers.find(([prefix]) => line.startsWith(prefix));
    return { code: 0, stdout: '', stderr: '', ...(hit?.[1] ?? {}) };
  }

  /** Stdin lines of the batches sent to `tool`. */
  batches(tool: Tool): string[] {
    return this.calls
      .filter((c) => c.tool === tool && c.args.includes('-batch'))
      .flatMap((c) => (c.stdin ?? '').split('\n').filter(Boolean));
  }
}

/** A Kubernetes pod's endpoint as the CNI plugin writes it (valid for Client.create). */
export function podEndpoint(nodeName: string, pod: string, iface: string, ips: string[]): Resource {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'WorkloadEndpoint',
    metadata: { name: `${nodeName}-k8s-${pod}-eth0`, namespace: 'default' },
    spec: {
      orchestrator: 'k8s',
      node: nodeName,
      pod,
      endpoint: 'eth0',
      interfaceName: iface,
      ipNetworks: ips,
    },
  };
}

/** Typed builders produce narrower resource types; the client takes the general shape. */
export const res = (r: object): Resource => r as Resource;
