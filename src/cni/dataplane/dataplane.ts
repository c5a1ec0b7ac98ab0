/** What the CNI plugin needs from the kernel: wire a pod, unwire it, and check the wiring. */
import type { CniLogger } from '../logger.js';

/** Calico's fixed host-side MAC: every pod sees the same gateway MAC. */
export const HOST_VETH_MAC = 'ee:ee:ee:ee:ee:ee';
/** The IPv6 link-local address the kernel derives (EUI-64) from HOST_VETH_MAC. */
export const HOST_VETH_LINK_LOCAL = 'fe80::ecee:eeff:feee:eeee';
/** The IPv4 next hop pods use; proxy ARP on the host veth answers for it. */
export const POD_GATEWAY_V4 = '169.254.1.1';

export interface PodWiring {
  /** The pod's network namespace (a path, e.g. /run/netns/x or /proc/<pid>/ns/net). */
  netns: string;
  /** Container-side interface name (CNI_IFNAME). */
  ifname: string;
  /** Host-side veth name (cali…). */
  hostVeth: string;
  /** 0 ⇒ the kernel's default. */
  mtu: number;
  numQueues: number;
  /** The pod's addresses with /32 or /128. */
  addresses: string[];
  /** Destinations routed from the pod through the host (0.0.0.0/0 and ::/0 by default). */
  routes: string[];
  allowIpForwarding: boolean;
  /** Add `<ip> dev <hostVeth> scope link` routes on the host (false when IPAM returned no routes). */
  hostRoutes: boolean;
  /** CHECK: the container MAC ADD reported. */
  containerMac?: string;
}

export interface Dataplane {
  /**
   * Creates the veth pair and wires both ends. All or nothing: on failure it removes what it
   * created and throws a CniError.
   */
  setup(w: PodWiring, log: CniLogger): Promise<{ containerMac: string }>;
  hostVethExists(name: string): Promise<boolean>;
  /** Deletes a host-side veth (and with it its peer); absent is fine. */
  removeHostVeth(name: string, log: CniLogger): Promise<void>;
  /**
   * DEL: deletes `ifname` inside `netns` (and so the pair). A missing namespace or interface is
   * success; returns whether something was deleted.
   */
  removeContainerInterface(netns: string, ifname: string, log: CniLogger): Promise<boolean>;
  /** CHECK: every way the kernel state differs from what setup() creates; empty when all is well. */
  check(w: PodWiring, log: CniLogger): Promise<string[]>;
}
