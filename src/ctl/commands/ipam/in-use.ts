/**
 * Which addresses workloads and nodes use: every WorkloadEndpoint's `ipNetworks` and every Node's
 * tunnel addresses (IPIP, VXLAN v4/v6, WireGuard v4/v6). `ipam check` compares these with the
 * allocations; `ipam release --from-report` re-reads them right before releasing.
 */
import type { NodeSpec, Resource, WorkloadEndpointSpec } from '../../../api/index.js';
import { formatIP, parseCIDR } from '../../../net/index.js';
import { CommandError } from '../../io.js';

export interface AddressUse {
  ip: string;
  /** `Node(name)` or `Workload(namespace/name)`, as calicoctl names them. */
  owner: string;
}

/** Go's ParseCIDROrIP + IP.String(): "10.0.0.1/32" and "10.0.0.1" are both "10.0.0.1". */
export function normaliseIP(text: string): string | undefined {
  try {
    const c = parseCIDR(text, { allowBareIP: true });
    return formatIP({ family: c.family, value: c.addr });
  } catch {
    return undefined;
  }
}

function required(text: string, what: string): string {
  const ip = normaliseIP(text);
  if (ip === undefined) throw new CommandError(`failed to parse ${what}`);
  return ip;
}

export function nodeTunnelIPs(node: Resource): AddressUse[] {
  const spec = (node.spec ?? {}) as NodeSpec;
  const name = node.metadata.name ?? '';
  const owner = `Node(${name})`;
  const fields: [string | undefined, string][] = [
    [spec.ipv4VXLANTunnelAddr, 'IPv4VXLANTunnelAddr'],
    [spec.ipv6VXLANTunnelAddr, 'IPv6VXLANTunnelAddr'],
    [spec.wireguard?.interfaceIPv4Address, 'Wireguard.InterfaceIPv4Address'],
    [spec.wireguard?.interfaceIPv6Address, 'Wireguard.InterfaceIPv6Address'],
    [spec.bgp?.ipv4IPIPTunnelAddr, 'IPv4IPIPTunnelAddr'],
  ];
  return fields
    .filter(([v]) => v)
    .map(([v, field]) => ({ ip: required(v!, `${field} (${v}) of node ${name}`), owner }));
}

export function workloadIPs(wep: Resource): AddressUse[] {
  const spec = (wep.spec ?? {}) as WorkloadEndpointSpec;
  const ns = wep.metadata.namespace ?? '';
  const name = wep.metadata.name ?? '';
  const owner = `Workload(${ns}/${name})`;
  return (spec.ipNetworks ?? []).map((a) => ({
    ip: required(a, `IP (${a}) of workload ${ns}/${name}`),
    owner,
  }));
}
