/** Node (cluster-scoped, Calico's internal kind): one host's BGP identity and tunnel addresses. */
import type { Checker } from '../check.js';
import { checkASNumber, normaliseASNumber } from '../common/asnumber.js';
import { checkEnum, checkMAC, checkNameRef } from '../common/fields.js';
import { checkCIDR, checkIP } from '../common/ip-fields.js';
import { specOf, withSpec } from '../common/resource.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';
import type { Resource } from '../types.js';

export interface NodeBGPSpec {
  asNumber?: number | string;
  /** `10.0.0.5/24`: the node's address with its subnet (host bits allowed). */
  ipv4Address?: string;
  ipv6Address?: string;
  ipv4IPIPTunnelAddr?: string;
  /** An IPv4 address; set on route reflectors. */
  routeReflectorClusterID?: string;
}

export interface OrchRef {
  nodeName?: string;
  orchestrator: string;
}

export const NODE_ADDRESS_TYPES = ['CalicoNodeIP', 'InternalIP', 'ExternalIP'] as const;

export interface NodeSpec {
  bgp?: NodeBGPSpec;
  ipv4VXLANTunnelAddr?: string;
  vxlanTunnelMACAddr?: string;
  ipv6VXLANTunnelAddr?: string;
  vxlanTunnelMACAddrV6?: string;
  orchRefs?: OrchRef[];
  wireguard?: { interfaceIPv4Address?: string; interfaceIPv6Address?: string };
  addresses?: { address: string; type?: (typeof NODE_ADDRESS_TYPES)[number] }[];
  interfaces?: { name?: string; addresses?: string[] }[];
}

export interface NodeStatus {
  wireguardPublicKey?: string;
  wireguardPublicKeyV6?: string;
  podCIDRs?: string[];
}
export type Node = Resource<NodeSpec>;

/** A WireGuard public key: base64 of exactly 32 bytes. */
export function isWireguardKey(s: string): boolean {
  return /^[A-Za-z0-9+/]{43}=$/.test(s);
}

function defaults(r: Resource): Resource {
  const spec = specOf<NodeSpec>(r);
  if (spec.bgp?.asNumber !== undefined) {
    spec.bgp = { ...spec.bgp, asNumber: normaliseASNumber(spec.bgp.asNumber) };
  }
  return withSpec(r, spec);
}

function validate(r: Resource, c: Checker): void {
  const spec = specOf<NodeSpec>(r);
  const bgp = spec.bgp;
  if (bgp !== undefined) {
    if (Object.values(bgp).every((v) => v === undefined || v === '')) {
      c.fail('spec.bgp', bgp, 'Spec.BGP should not be empty');
    }
    checkASNumber(c, 'spec.bgp.asNumber', bgp.asNumber);
    checkCIDR(c, 'spec.bgp.ipv4Address', bgp.ipv4Address, { family: 4 });
    checkCIDR(c, 'spec.bgp.ipv6Address', bgp.ipv6Address, { family: 6 });
    checkIP(c, 'spec.bgp.ipv4IPIPTunnelAddr', bgp.ipv4IPIPTunnelAddr, { family: 4 });
    checkIP(c, 'spec.bgp.routeReflectorClusterID', bgp.routeReflectorClusterID, { family: 4 });
  }
  checkIP(c, 'spec.ipv4VXLANTunnelAddr', spec.ipv4VXLANTunnelAddr, { family: 4 });
  checkIP(c, 'spec.ipv6VXLANTunnelAddr', spec.ipv6VXLANTunnelAddr, { family: 6 });
  checkMAC(c, 'spec.vxlanTunnelMACAddr', spec.vxlanTunnelMACAddr);
  checkMAC(c, 'spec.vxlanTunnelMACAddrV6', spec.vxlanTunnelMACAddrV6);
  checkIP(c, 'spec.wireguard.interfaceIPv4Address', spec.wireguard?.interfaceIPv4Address, { family: 4 });
  checkIP(c, 'spec.wireguard.interfaceIPv6Address', spec.wireguard?.interfaceIPv6Address, { family: 6 });
  (spec.addresses ?? []).forEach((a, i) => {
    const at = `spec.addresses[${i}]`;
    if (!a.address) c.fail(`${at}.address`, a.address, 'address must be specified');
    else checkCIDR(c, `${at}.address`, a.address, { strict: true });
    checkEnum(c, `${at}.type`, a.type, NODE_ADDRESS_TYPES);
  });
  (spec.interfaces ?? []).forEach((iface, i) => {
    checkNameRef(c, `spec.interfaces[${i}].name`, iface.name);
    (iface.addresses ?? []).forEach((a, j) => checkCIDR(c, `spec.interfaces[${i}].addresses[${j}]`, a));
  });
  const status = (r.status ?? {}) as NodeStatus;
  for (const f of ['wireguardPublicKey', 'wireguardPublicKeyV6'] as const) {
    const k = status[f];
    if (k)
      c.expect(isWireguardKey(k), `status.${f}`, k, 'must be a base64-encoded 32-byte WireGuard public key');
  }
}

export const nodeKind: KindDef = {
  kind: 'Node',
  plural: 'nodes',
  namespaced: false,
  aliases: ['node', 'nodes', 'no', 'nos'],
  spec: S.object({
    bgp: S.object({
      asNumber: S.intOrString,
      ipv4Address: S.string,
      ipv6Address: S.string,
      ipv4IPIPTunnelAddr: S.string,
      routeReflectorClusterID: S.string,
    }),
    ipv4VXLANTunnelAddr: S.string,
    vxlanTunnelMACAddr: S.string,
    ipv6VXLANTunnelAddr: S.string,
    vxlanTunnelMACAddrV6: S.string,
    orchRefs: S.array(S.object({ nodeName: S.string, orchestrator: S.string })),
    wireguard: S.object({ interfaceIPv4Address: S.string, interfaceIPv6Address: S.string }),
    addresses: S.array(S.object({ address: S.string, type: S.string })),
    interfaces: S.array(S.object({ name: S.string, addresses: S.stringList })),
  }),
  status: S.object({ wireguardPublicKey: S.string, wireguardPublicKeyV6: S.string, podCIDRs: S.stringList }),
  defaults,
  validate,
};
