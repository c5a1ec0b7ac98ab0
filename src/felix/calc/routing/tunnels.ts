/** The tunnel devices (vxlan.calico, tunl0) and the VXLAN peers: one ARP + one FDB entry per remote VTEP. */
import type { RoutingConfig } from './config.js';
import type { NodeFacts } from './nodes.js';
import {
  IPIP_DEVICE,
  VXLAN_DEVICE,
  type FdbEntry,
  type IPIPDevice,
  type Neighbour,
  type VXLANDevice,
} from './types.js';

/**
 * vxlan.calico for this node: needs its node IP (the VTEP source) and its VXLAN tunnel address
 * (put on the device); until both are known there is no device (noted).
 */
export function vxlanDevice(
  me: NodeFacts | undefined,
  cfg: RoutingConfig,
  mtu: number,
  parent: string | undefined,
  notes: string[],
): VXLANDevice | undefined {
  if (!me?.ip || !me.vxlanTunnelIP) {
    notes.push(
      me
        ? `VXLAN is in use but this node has no ${me.ip ? 'VXLAN tunnel address' : 'IPv4 address'}: no ${VXLAN_DEVICE} yet`
        : `this node's Node resource is missing: no ${VXLAN_DEVICE} yet`,
    );
    return undefined;
  }
  const dev: VXLANDevice = {
    name: VXLAN_DEVICE,
    vni: cfg.vxlanVNI,
    port: cfg.vxlanPort,
    mac: me.vxlanMAC,
    mtu,
    localIP: me.ip,
    address: me.vxlanTunnelIP,
  };
  if (parent) dev.parent = parent;
  return dev;
}

/** Every other node with a VXLAN tunnel address and a node IP is a peer. */
export function vxlanPeers(
  nodes: Iterable<NodeFacts>,
  nodeName: string,
): { neighbours: Neighbour[]; fdb: FdbEntry[] } {
  const neighbours: Neighbour[] = [];
  const fdb: FdbEntry[] = [];
  for (const n of nodes) {
    if (n.name === nodeName || !n.vxlanTunnelIP || !n.ip) continue;
    neighbours.push({ dev: VXLAN_DEVICE, ip: n.vxlanTunnelIP, mac: n.vxlanMAC });
    fdb.push({ dev: VXLAN_DEVICE, mac: n.vxlanMAC, dst: n.ip });
  }
  neighbours.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
  fdb.sort((a, b) => (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0));
  return { neighbours, fdb };
}

/** tunl0 with this node's IPIP tunnel address (if it has one yet). */
export function ipipDevice(me: NodeFacts | undefined, mtu: number): IPIPDevice {
  const dev: IPIPDevice = { name: IPIP_DEVICE, mtu };
  if (me?.ipipTunnelIP) dev.address = me.ipipTunnelIP;
  return dev;
}
