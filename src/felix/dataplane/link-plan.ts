/**
 * The tunnel devices as the kernel holds them (`ip -j -d addr show dev X`) and the `ip -batch`
 * lines that turn them into the desired ones. Pure.
 */
import type { IPIPDevice, VXLANDevice } from '../calc/routing/index.js';

export interface KernelLink {
  name: string;
  kind?: string;
  vni?: number;
  local?: string;
  parent?: string;
  port?: number;
  learning?: boolean;
  mac: string;
  mtu: number;
  /** Administratively up. */
  up: boolean;
  /** Not operationally down (a veth whose peer is gone is down). */
  operUp: boolean;
  /** IPv4 addresses as `a.b.c.d/len`. */
  addresses: string[];
}

interface IpAddrDetailJSON {
  ifname?: string;
  flags?: string[];
  operstate?: string;
  mtu?: number;
  address?: string;
  linkinfo?: {
    info_kind?: string;
    info_data?: { id?: number; local?: string; link?: string; port?: number; learning?: boolean };
  };
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

function parseOne(l: IpAddrDetailJSON): KernelLink | undefined {
  if (!l?.ifname) return undefined;
  const data = l.linkinfo?.info_data ?? {};
  const link: KernelLink = {
    name: l.ifname,
    mac: (l.address ?? '').toLowerCase(),
    mtu: l.mtu ?? 0,
    up: (l.flags ?? []).includes('UP'),
    operUp: l.operstate !== 'DOWN',
    addresses: (l.addr_info ?? [])
      .filter((a) => a.family === 'inet' && a.local)
      .map((a) => `${a.local}/${a.prefixlen ?? 32}`),
  };
  if (l.linkinfo?.info_kind) link.kind = l.linkinfo.info_kind;
  if (data.id !== undefined) link.vni = data.id;
  if (data.local) link.local = data.local;
  if (data.link) link.parent = data.link;
  if (data.port !== undefined) link.port = data.port;
  if (data.learning !== undefined) link.learning = data.learning;
  return link;
}

/** Parses `ip -j -d addr show` (all interfaces, or one with `dev X`). */
export function parseLinks(json: unknown): KernelLink[] {
  if (!Array.isArray(json)) return [];
  return (json as IpAddrDetailJSON[]).map(parseOne).filter((l): l is KernelLink => l !== undefined);
}

/** Properties that cannot be changed in place: the device is recreated (as Felix does). */
export function vxlanIncompatible(d: VXLANDevice, k: KernelLink): string | undefined {
  if (k.kind !== 'vxlan') return `it is a ${k.kind ?? 'plain'} device`;
  if (k.vni !== d.vni) return `VNI ${k.vni} instead of ${d.vni}`;
  if (k.local !== d.localIP) return `local ${k.local ?? 'unset'} instead of ${d.localIP}`;
  if (k.port !== d.port) return `port ${k.port} instead of ${d.port}`;
  if (k.learning !== false) return 'learning is on';
  if (d.parent && k.parent !== d.parent) return `parent ${k.parent ?? 'unset'} instead of ${d.parent}`;
  return undefined;
}

function addressLines(dev: string, want: string | undefined, have: readonly string[]): string[] {
  const target = want ? `${want}/32` : undefined;
  const lines = have.filter((a) => a !== target).map((a) => `addr del ${a} dev ${dev}`);
  if (target && !have.includes(target)) lines.push(`addr add ${target} dev ${dev}`);
  return lines;
}

export function vxlanCreateLines(d: VXLANDevice): string[] {
  const parent = d.parent ? ` dev ${d.parent}` : '';
  return [
    `link add ${d.name} type vxlan id ${d.vni} local ${d.localIP}${parent} dstport ${d.port} nolearning`,
    `link set ${d.name} address ${d.mac} mtu ${d.mtu} up`,
    `addr add ${d.address}/32 dev ${d.name}`,
  ];
}

/** Lines that make the VXLAN device match `d` (or delete it when `d` is undefined). */
export function planVXLAN(name: string, d: VXLANDevice | undefined, k: KernelLink | undefined): string[] {
  if (!d) return k ? [`link del ${name}`] : [];
  if (!k) return vxlanCreateLines(d);
  if (vxlanIncompatible(d, k)) return [`link del ${d.name}`, ...vxlanCreateLines(d)];
  const set: string[] = [];
  if (k.mac !== d.mac.toLowerCase()) set.push(`address ${d.mac}`);
  if (k.mtu !== d.mtu) set.push(`mtu ${d.mtu}`);
  if (!k.up) set.push('up');
  return [
    ...(set.length ? [`link set ${d.name} ${set.join(' ')}`] : []),
    ...addressLines(d.name, d.address, k.addresses),
  ];
}

/**
 * Lines for tunl0 once it exists. Not desired: only its addresses go (the fallback device may
 * belong to the kernel and cannot always be deleted).
 */
export function planIPIP(name: string, d: IPIPDevice | undefined, k: KernelLink): string[] {
  if (!d) return addressLines(name, undefined, k.addresses);
  const set: string[] = [];
  if (k.mtu !== d.mtu) set.push(`mtu ${d.mtu}`);
  if (!k.up) set.push('up');
  return [
    ...(set.length ? [`link set ${name} ${set.join(' ')}`] : []),
    ...addressLines(name, d.address, k.addresses),
  ];
}
