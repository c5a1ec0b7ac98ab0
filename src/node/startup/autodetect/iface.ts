/**
 * Host interfaces as `ip -j addr show` reports them (only the fields autodetection reads), and the
 * address predicates Calico applies to them.
 */
import {
  cidrContainsIP,
  formatIP,
  tryParseIP,
  type CIDR,
  type IPAddr,
  type IPFamily,
} from '../../../net/index.js';

/** One entry of `addr_info`: `family` is `inet` or `inet6`; `local` is the interface's own address. */
export interface IfaceAddr {
  family: string;
  local: string;
  prefixlen: number;
  scope?: string;
}

/** One interface of `ip -j addr show`. */
export interface Iface {
  ifindex: number;
  ifname: string;
  flags?: string[];
  addr_info?: IfaceAddr[];
}

/** An interface address parsed: the host address (not masked) with the interface's prefix length. */
export interface HostAddress {
  iface: string;
  ip: IPAddr;
  prefix: number;
}

export function familyName(f: IPFamily): 'inet' | 'inet6' {
  return f === 4 ? 'inet' : 'inet6';
}

/** The interface's addresses of one family, in the order the kernel lists them. */
export function addressesOf(iface: Iface, family: IPFamily): HostAddress[] {
  const out: HostAddress[] = [];
  for (const a of iface.addr_info ?? []) {
    if (a.family !== familyName(family)) continue;
    const ip = tryParseIP(a.local);
    if (!ip || ip.family !== family) continue;
    out.push({ iface: iface.ifname, ip, prefix: a.prefixlen });
  }
  return out;
}

/** Every address of the family on every interface (no exclusions): what "a host address" means. */
export function allHostAddresses(ifaces: readonly Iface[], family: IPFamily): HostAddress[] {
  return ifaces.flatMap((i) => addressesOf(i, family));
}

/** The interface carrying exactly this address, if any. */
export function findAddress(ifaces: readonly Iface[], ip: IPAddr): HostAddress | undefined {
  return allHostAddresses(ifaces, ip.family).find((a) => a.ip.value === ip.value);
}

const V4_UNUSABLE: CIDR[] = [
  { family: 4, addr: 0x00000000n, prefix: 32 }, // unspecified
  { family: 4, addr: 0x7f000000n, prefix: 8 }, // loopback
  { family: 4, addr: 0xa9fe0000n, prefix: 16 }, // link-local
  { family: 4, addr: 0xe0000000n, prefix: 4 }, // multicast
  { family: 4, addr: 0xffffffffn, prefix: 32 }, // limited broadcast
];
const V6_UNUSABLE: CIDR[] = [
  { family: 6, addr: 0n, prefix: 128 }, // unspecified
  { family: 6, addr: 1n, prefix: 128 }, // loopback
  { family: 6, addr: 0xfe80n << 112n, prefix: 10 }, // link-local
  { family: 6, addr: 0xffn << 120n, prefix: 8 }, // multicast
];

/** Go's IsGlobalUnicast: anything but unspecified, loopback, link-local, multicast and broadcast. */
export function isGlobalUnicast(ip: IPAddr): boolean {
  return !(ip.family === 4 ? V4_UNUSABLE : V6_UNUSABLE).some((c) => cidrContainsIP(c, ip));
}

/** `10.0.0.5/24`: the host address with its prefix, as Node.spec.bgp stores it. */
export function hostCIDR(a: { ip: IPAddr; prefix: number }): string {
  return `${formatIP(a.ip)}/${a.prefix}`;
}

/** Highest ifindex first: Calico scans in this order (kept for backwards compatibility). */
export function reverseIndexOrder(ifaces: readonly Iface[]): Iface[] {
  return [...ifaces].sort((a, b) => b.ifindex - a.ifindex);
}
