/**
 * The lab's wiring, all inside namespaces it creates (the root namespace gets no address, route or
 * interface): a fabric namespace holding a Linux bridge that does not route, hosts with an `eth0`
 * on it (198.51.100.1N/24, default route via 198.51.100.1), and optionally a ToR router namespace
 * at 198.51.100.1. Cross-host pod traffic therefore flows only along routes Calico programs.
 *
 * With two subnets, each has its own fabric namespace and bridge, and a router namespace with a
 * port on both forwards between them (it knows the two subnets and nothing of the pods), so only
 * encapsulated pod traffic crosses it.
 */
import { CROSS_SUBNETS, OUTSIDE_IP, SINGLE_SUBNET, type LabNames, type Subnet } from './names.js';
import { createNetns, ipBatch, setSysctl } from './netns.js';

/** A fabric: a namespace with bridge br0 and forwarding off (it switches, never routes). */
export async function createFabric(names: LabNames, ns = names.fabricNetns): Promise<void> {
  await createNetns(ns);
  await ipBatch(ns, ['link add br0 type bridge', 'link set br0 up']);
  await setSysctl(ns, 'net/ipv4/ip_forward', '0');
}

/** Plugs a namespace into a fabric's bridge: `ifname` inside it, `<port>` on br0. */
async function attach(
  fabricNs: string,
  netns: string,
  port: string,
  ifname: string,
  address: string,
  prefix: number,
): Promise<void> {
  await ipBatch(fabricNs, [
    `link add ${port} type veth peer name ${ifname} netns ${netns}`,
    `link set ${port} master br0 up`,
  ]);
  await ipBatch(netns, [`addr add ${address}/${prefix} dev ${ifname}`, `link set ${ifname} up`]);
}

/**
 * A host: forwarding on, its address on its subnet's fabric, and a default route. Proxy ARP on a
 * pod's veth answers for 169.254.1.1 only if the host routes that address through another interface.
 */
export async function createHost(
  names: LabNames,
  index: number,
  address: string,
  subnet: Subnet,
): Promise<void> {
  const ns = names.hostName(index);
  await createNetns(ns);
  await attach(names.fabricNetnsOf(subnet), ns, `h${index}`, 'eth0', address, subnet.prefix);
  await ipBatch(ns, [`route add default via ${subnet.gateway} dev eth0`]);
  await setSysctl(ns, 'net/ipv4/ip_forward', '1');
}

/** The ToR router's namespace (gobgpd runs there; it exchanges routes, it does not forward). */
export async function createTor(names: LabNames): Promise<void> {
  const ns = names.torNetns;
  await createNetns(ns);
  await attach(names.fabricNetns, ns, 'tor', 'eth0', SINGLE_SUBNET.gateway, SINGLE_SUBNET.prefix);
}

/**
 * The second fabric and the router joining it to the first: `eth1` and `eth2` at the subnets'
 * gateways, forwarding on, and OUTSIDE_IP, an address outside every pool and subnet (where NAT
 * outgoing is seen from).
 */
export async function createRouter(names: LabNames): Promise<void> {
  await createFabric(names, names.fabricNetnsOf(CROSS_SUBNETS[1]));
  const ns = names.routerNetns;
  await createNetns(ns);
  for (const s of CROSS_SUBNETS) {
    await attach(names.fabricNetnsOf(s), ns, 'rtr', `eth${s.index + 1}`, s.gateway, s.prefix);
  }
  // On lo (the kernel may lack the dummy module): the hosts reach it only through the router.
  await ipBatch(ns, [`addr add ${OUTSIDE_IP}/32 dev lo`]);
  await setSysctl(ns, 'net/ipv4/ip_forward', '1');
}
