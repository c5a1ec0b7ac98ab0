/**
 * Another Node claiming our address would black-hole one of the two hosts' routes, so startup
 * refuses to run (unless DISABLE_NODE_IP_CHECK=true). Compares host addresses, not prefixes.
 */
import type { NodeSpec, Resource } from '../../api/index.js';
import type { Client } from '../../client/index.js';
import { ipOf } from './node-addresses.js';

export interface Conflicts {
  /** Name of another Node with our IPv4 / IPv6 address. */
  v4?: string;
  v6?: string;
}

export function findConflicts(
  nodes: readonly Resource[],
  self: string,
  ipv4Address: string | undefined,
  ipv6Address: string | undefined,
): Conflicts {
  const mine4 = ipOf(ipv4Address);
  const mine6 = ipOf(ipv6Address);
  const out: Conflicts = {};
  for (const n of nodes) {
    if (n.metadata.name === self) continue;
    const bgp = (n.spec as NodeSpec | undefined)?.bgp;
    if (mine4 && !out.v4 && ipOf(bgp?.ipv4Address) === mine4) out.v4 = n.metadata.name;
    if (mine6 && !out.v6 && ipOf(bgp?.ipv6Address) === mine6) out.v6 = n.metadata.name;
  }
  return out;
}

export async function checkConflicts(
  client: Client,
  self: string,
  ipv4Address: string | undefined,
  ipv6Address: string | undefined,
): Promise<Conflicts> {
  return findConflicts((await client.list('Node')).items, self, ipv4Address, ipv6Address);
}
