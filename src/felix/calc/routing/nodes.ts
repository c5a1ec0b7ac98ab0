/** What routing needs to know about each Node: its IPv4 address and subnet, and its VTEP. */
import type { Node } from '../../../api/index.js';
import { formatIP, maskCIDR, tryParseCIDR, tryParseIP, vxlanVtepMAC, type CIDR } from '../../../net/index.js';

export interface NodeFacts {
  name: string;
  /** The node's IPv4 address (spec.bgp.ipv4Address without its prefix). */
  ip?: string;
  /** The subnet of that address (for CrossSubnet). */
  subnet?: CIDR;
  vxlanTunnelIP?: string;
  /** spec.vxlanTunnelMACAddr, or the MAC Felix derives from the node name. */
  vxlanMAC: string;
  ipipTunnelIP?: string;
}

function v4(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const ip = tryParseIP(text);
  return ip?.family === 4 ? formatIP(ip) : undefined;
}

export function nodeFacts(node: Node): NodeFacts {
  const name = node.metadata.name ?? '';
  const spec = node.spec ?? {};
  const facts: NodeFacts = {
    name,
    vxlanTunnelIP: v4(spec.ipv4VXLANTunnelAddr),
    vxlanMAC: spec.vxlanTunnelMACAddr ? spec.vxlanTunnelMACAddr.toLowerCase() : vxlanVtepMAC(name),
    ipipTunnelIP: v4(spec.bgp?.ipv4IPIPTunnelAddr),
  };
  const cidr = spec.bgp?.ipv4Address ? tryParseCIDR(spec.bgp.ipv4Address, { allowBareIP: true }) : undefined;
  if (cidr?.family === 4) {
    facts.ip = formatIP({ family: 4, value: cidr.addr });
    facts.subnet = maskCIDR(cidr);
  } else {
    // Without a BGP address (a VXLAN-only node written by hand) fall back to the listed addresses.
    const listed = (spec.addresses ?? []).find(
      (a) => (a.type === 'CalicoNodeIP' || a.type === 'InternalIP' || !a.type) && v4(a.address.split('/')[0]),
    );
    if (listed) {
      const c = tryParseCIDR(listed.address, { allowBareIP: true });
      if (c) {
        facts.ip = formatIP({ family: 4, value: c.addr });
        if (c.prefix < 32) facts.subnet = maskCIDR(c);
      }
    }
  }
  return facts;
}
