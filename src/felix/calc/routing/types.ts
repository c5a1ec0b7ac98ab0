/**
 * The routing calculation's input (datastore resources plus the few kernel facts it depends on)
 * and its output: the desired dataplane, as plain values the drivers reconcile against the kernel.
 */
import type { IPPool, Node, Resource } from '../../../api/index.js';
import type { AllocationBlock } from '../../../ipam/model.js';
import type { RoutingConfig } from './config.js';

export type WorkloadEndpoint = Resource<{
  node?: string;
  interfaceName?: string;
  ipNetworks?: string[];
  mac?: string;
}>;

/** A host interface as `ip -j addr show` reports it (IPv4 addresses only). */
export interface HostInterface {
  name: string;
  mtu: number;
  up: boolean;
  addresses: string[];
}

export interface RoutingInput {
  nodeName: string;
  nodes: readonly Node[];
  pools: readonly IPPool[];
  /** IPAM blocks (IPv4 ones are used), with their `affinity`. */
  blocks: readonly AllocationBlock[];
  /** Workload endpoints; those whose `spec.node` is another host are ignored. */
  endpoints: readonly WorkloadEndpoint[];
  config: RoutingConfig;
  /** The host's interfaces: which one carries the node IP (VXLAN parent, same-subnet routes), MTUs. */
  hostInterfaces: readonly HostInterface[];
}

/**
 * Why a route exists. When two want the same destination the earlier class wins (Felix's
 * RouteClass order): a local workload beats a tunnel route beats a blackhole.
 */
export const ROUTE_CLASSES = [
  'local-workload',
  'vxlan-same-subnet',
  'vxlan-tunnel',
  'ipip-same-subnet',
  'ipip-tunnel',
  'no-encap',
  'blackhole-vxlan',
  'blackhole-ipip',
  'blackhole-no-encap',
] as const;
export type RouteClass = (typeof ROUTE_CLASSES)[number];

export interface DesiredRoute {
  /** Canonical CIDR (`10.0.0.1/32`); the key in the main table together with metric 0. */
  dst: string;
  type: 'unicast' | 'blackhole';
  dev?: string;
  gateway?: string;
  onlink?: boolean;
  scope: 'link' | 'universe';
  protocol: number;
  class: RouteClass;
}

export interface VXLANDevice {
  name: string;
  vni: number;
  port: number;
  mac: string;
  mtu: number;
  /** The node IP: source of the encapsulated packets. */
  localIP: string;
  /** The host interface that carries localIP, when known. */
  parent?: string;
  /** This node's VXLAN tunnel address, put on the device as a /32. */
  address: string;
}

export interface IPIPDevice {
  name: 'tunl0';
  mtu: number;
  address?: string;
}

/** A permanent ARP entry. */
export interface Neighbour {
  dev: string;
  ip: string;
  mac: string;
}

/** A permanent bridge FDB entry (`self`): frames for `mac` go to the VTEP at `dst`. */
export interface FdbEntry {
  dev: string;
  mac: string;
  dst: string;
}

/** NAT outgoing: what leaves the pools for elsewhere takes the host's address. */
export interface NatOutgoing {
  /** CIDRs of all pools (LoadBalancer-only pools excluded): destinations that are never NATed. */
  allPools: string[];
  /** CIDRs of pools with natOutgoing. */
  masqPools: string[];
  /** Node IPs as /32s, also excluded when NATOutgoingExclusions is IPPoolsAndHostIPs. */
  hostIPs?: string[];
  /** SNAT to this address instead of masquerading. */
  snatAddress?: string;
  portRange?: [number, number];
  /** Tunnel devices: host-sourced traffic leaving through them with a non-tunnel source is masqueraded. */
  tunnelDevices: string[];
}

export interface Sysctl {
  /** Path under /proc/sys, e.g. `net/ipv4/ip_forward`. */
  key: string;
  value: string;
}

export interface MTUs {
  host: number;
  vxlan: number;
  ipip: number;
  /** What pods should use: the smallest MTU of the enabled encapsulations. */
  pod: number;
}

export interface DesiredDataplane {
  /** Sorted by destination. */
  routes: DesiredRoute[];
  vxlan?: VXLANDevice;
  ipip?: IPIPDevice;
  neighbours: Neighbour[];
  fdb: FdbEntry[];
  nat?: NatOutgoing;
  sysctls: Sysctl[];
  mtu: MTUs;
  /** Things that keep part of the desired state back (missing tunnel address, unknown node IP...). */
  notes: string[];
}

export const VXLAN_DEVICE = 'vxlan.calico';
export const IPIP_DEVICE = 'tunl0';
