/**
 * The lab's wiring, all inside namespaces it creates (the root namespace gets no address, route or
 * interface): a fabric namespace holding a Linux bridge that does not route, hosts with an `eth0`
 * on it (198.51.100.1N/24, default route via 198.51.100.1), and optionally a ToR router namespace
 * at 198.51.100.1. Cross-host pod traffic therefore flows only along routes Calico programs.
 */
import { FABRIC_PREFIX, GATEWAY_IP, type LabNames } from './names.js';
import { createNetns, ipBatch, setSysctl } from './netns.js';

/** The fabric: a namespace with bridge br0 and forwarding off (it switches, never routes). */
export async function createFabric(names: LabNames): Promise<void> {
  const ns = names.fabricNetns;
  await createNetns(ns);
  await ipBatch(ns, ['link add br0 type bridge', 'link set br0 up']);
  await setSysctl(ns, 'net/ipv4/ip_forward', '0');
}

/** Plugs a namespace into the bridge: `eth0` inside it, `<port>` on br0. */
async function attach(names: LabNames, netns: string, port: string, address: string): Promise<void> {
  await ipBatch(names.fabricNetns, [
    `link add ${port} type veth peer name eth0 netns ${netns}`,
    `link set ${port} master br0 up`,
  ]);
  await ipBatch(netns, [`addr add ${address}/${FABRIC_PREFIX} dev eth0`, 'link set eth0 up']);
}

/**
 * A host: forwarding on, its address on the fabric, and a default route. Proxy ARP on a pod's veth
 * answers for 169.254.1.1 only if the host routes that address through another interface.
 */
export async function createHost(names: LabNames, index: number, address: string): Promise<void> {
  const ns = names.hostName(index);
  await createNetns(ns);
  await attach(names, ns, `h${index}`, address);
  await ipBatch(ns, [`route add default via ${GATEWAY_IP} dev eth0`]);
  await setSysctl(ns, 'net/ipv4/ip_forward', '1');
}

/** The ToR router's namespace (gobgpd runs there; it exchanges routes, it does not forward). */
export async function createTor(names: LabNames): Promise<void> {
  const ns = names.torNetns;
  await createNetns(ns);
  await attach(names, ns, 'tor', GATEWAY_IP);
}
