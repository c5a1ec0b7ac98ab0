/**
 * The main-table routes Felix wants: /32s to local workloads, blackholes for this host's blocks,
 * and routes to other hosts' blocks (tunnelled or direct, per pool mode and subnet).
 */
import {
  compareIP,
  formatCIDR,
  maskCIDR,
  nthAddress,
  tryParseCIDR,
  cidrContainsIP,
  parseIP,
  formatIP,
  type CIDR,
} from '../../../net/index.js';
import type { AllocationBlock } from '../../../ipam/model.js';
import type { RoutingConfig } from './config.js';
import type { NodeFacts } from './nodes.js';
import { poolContaining, type PoolFacts } from './pools.js';
import {
  IPIP_DEVICE,
  ROUTE_CLASSES,
  VXLAN_DEVICE,
  type DesiredRoute,
  type RouteClass,
  type WorkloadEndpoint,
} from './types.js';

/** Felix's own protocol for routes that have no Calico interface to tell them apart. */
export const CALICO_ROUTE_PROTOCOL = 80;
/** RTPROT_BOOT: what `ip route add` uses unless told otherwise. */
export const BOOT_PROTOCOL = 3;

/** Blackhole, same-subnet and IPIP routes: 80 while device routes use boot, else the device protocol. */
export function exclusiveProtocol(cfg: RoutingConfig): number {
  return cfg.deviceRouteProtocol === BOOT_PROTOCOL ? CALICO_ROUTE_PROTOCOL : cfg.deviceRouteProtocol;
}

export function felixProgramsIPIP(cfg: RoutingConfig): boolean {
  return cfg.programClusterRoutes === 'Enabled' || cfg.programClusterRoutes === 'EnabledIPIPOnly';
}

export function felixProgramsNoEncap(cfg: RoutingConfig): boolean {
  return cfg.programClusterRoutes === 'Enabled' || cfg.programClusterRoutes === 'EnabledNoEncapOnly';
}

export interface RouteContext {
  cfg: RoutingConfig;
  me?: NodeFacts;
  nodes: ReadonlyMap<string, NodeFacts>;
  /** The host interface carrying this node's IP. */
  hostIface?: string;
  /** Whether the VXLAN / IPIP device is part of the desired state. */
  vxlanDevice: boolean;
  ipipDevice: boolean;
  notes: string[];
}

function v4CIDR(text: string): CIDR | undefined {
  const c = tryParseCIDR(text, { allowBareIP: true });
  return c?.family === 4 ? maskCIDR(c) : undefined;
}

/** `<ip>/32 dev <cali…> scope link` for every IPv4 network of the local workloads. */
export function workloadRoutes(
  endpoints: readonly WorkloadEndpoint[],
  nodeName: string,
  cfg: RoutingConfig,
): DesiredRoute[] {
  const out: DesiredRoute[] = [];
  for (const wep of endpoints) {
    const spec = wep.spec;
    if (!spec || spec.node !== nodeName || !spec.interfaceName) continue;
    for (const net of spec.ipNetworks ?? []) {
      const c = v4CIDR(net);
      if (!c) continue;
      out.push({
        dst: formatCIDR(c),
        type: 'unicast',
        dev: spec.interfaceName,
        scope: 'link',
        protocol: cfg.deviceRouteProtocol,
        class: 'local-workload',
      });
    }
  }
  return out;
}

function blackholeClass(encap: PoolFacts['encap']): RouteClass {
  return encap === 'vxlan' ? 'blackhole-vxlan' : encap === 'ipip' ? 'blackhole-ipip' : 'blackhole-no-encap';
}

/** The host name in a block's `affinity` (`host:<name>`), if it is host-affine. */
export function affineHost(block: AllocationBlock): string | undefined {
  return block.affinity?.startsWith('host:') ? block.affinity.slice(5) : undefined;
}

/**
 * The route from this host to `dst` on `target` for a pool: direct via the node IP when the pool
 * does not encapsulate or the target shares our subnet in CrossSubnet mode, else through the
 * pool's tunnel. Undefined when Felix leaves it to BIRD or does not know enough yet (noted).
 */
export function remoteRoute(
  dst: string,
  pool: PoolFacts,
  target: NodeFacts | undefined,
  targetName: string,
  ctx: RouteContext,
): DesiredRoute | undefined {
  const { cfg } = ctx;
  if (pool.encap === 'ipip' && !felixProgramsIPIP(cfg)) return undefined;
  if (pool.encap === 'none' && !felixProgramsNoEncap(cfg)) return undefined;
  if (!target?.ip) {
    ctx.notes.push(`node ${targetName} has no known IPv4 address: no route to ${dst} yet`);
    return undefined;
  }
  const targetIP = parseIP(target.ip);
  const sameSubnet =
    pool.mode === 'CrossSubnet' && ctx.me?.subnet !== undefined && cidrContainsIP(ctx.me.subnet, targetIP);
  const proto = exclusiveProtocol(cfg);
  if (pool.encap === 'none' || sameSubnet) {
    if (!ctx.hostIface) {
      ctx.notes.push(`no host interface carries this node's IP: no direct route to ${dst} yet`);
      return undefined;
    }
    const cls: RouteClass =
      pool.encap === 'vxlan' ? 'vxlan-same-subnet' : pool.encap === 'ipip' ? 'ipip-same-subnet' : 'no-encap';
    return {
      dst,
      type: 'unicast',
      gateway: target.ip,
      dev: ctx.hostIface,
      onlink: true,
      scope: 'universe',
      protocol: proto,
      class: cls,
    };
  }
  if (pool.encap === 'vxlan') {
    if (!ctx.vxlanDevice) return undefined;
    if (!target.vxlanTunnelIP) {
      ctx.notes.push(`node ${targetName} has no VXLAN tunnel address: no route to ${dst} yet`);
      return undefined;
    }
    return {
      dst,
      type: 'unicast',
      gateway: target.vxlanTunnelIP,
      dev: VXLAN_DEVICE,
      onlink: true,
      scope: 'universe',
      protocol: cfg.deviceRouteProtocol,
      class: 'vxlan-tunnel',
    };
  }
  if (!ctx.ipipDevice) return undefined;
  return {
    dst,
    type: 'unicast',
    gateway: target.ip,
    dev: IPIP_DEVICE,
    onlink: true,
    scope: 'universe',
    protocol: proto,
    class: 'ipip-tunnel',
  };
}

/**
 * Routes from IPAM blocks: a blackhole for each non-/32 block affine to this host, a route to
 * each other host's blocks, and a /32 to the borrowing host for every address allocated to a
 * node other than the block's owner (its `node` attribute).
 */
export function blockRoutes(
  blocks: readonly AllocationBlock[],
  pools: readonly PoolFacts[],
  nodeName: string,
  ctx: RouteContext,
): DesiredRoute[] {
  const out: DesiredRoute[] = [];
  const push = (r: DesiredRoute | undefined) => {
    if (r) out.push(r);
  };
  for (const block of blocks) {
    if (block.deleted) continue;
    const cidr = v4CIDR(block.cidr);
    if (!cidr) continue;
    const pool = poolContaining(pools, cidr);
    if (!pool) continue;
    const dst = formatCIDR(cidr);
    const owner = affineHost(block);
    if (owner === nodeName) {
      if (cidr.prefix < 32 && (pool.encap !== 'none' || felixProgramsNoEncap(ctx.cfg))) {
        out.push({
          dst,
          type: 'blackhole',
          scope: 'universe',
          protocol: exclusiveProtocol(ctx.cfg),
          class: blackholeClass(pool.encap),
        });
      }
    } else if (owner) {
      push(remoteRoute(dst, pool, ctx.nodes.get(owner), owner, ctx));
    }
    block.allocations.forEach((attrIndex, ordinal) => {
      if (attrIndex === null) return;
      const attr = block.attributes[attrIndex];
      const node = attr?.secondary?.node;
      if (!node || node === owner || node === nodeName || attr.releasedAt) return;
      const ip = nthAddress(cidr, ordinal);
      push(remoteRoute(`${formatIP(ip)}/32`, pool, ctx.nodes.get(node), node, ctx));
    });
  }
  return out;
}

const CLASS_RANK = new Map<RouteClass, number>(ROUTE_CLASSES.map((c, i) => [c, i]));

function compareDst(a: string, b: string): number {
  const [aa, ap] = a.split('/');
  const [ba, bp] = b.split('/');
  return compareIP(parseIP(aa), parseIP(ba)) || Number(ap) - Number(bp);
}

/** One route per destination (the best class wins), sorted by destination. */
export function mergeRoutes(routes: readonly DesiredRoute[]): DesiredRoute[] {
  const best = new Map<string, DesiredRoute>();
  for (const r of routes) {
    const cur = best.get(r.dst);
    if (!cur || CLASS_RANK.get(r.class)! < CLASS_RANK.get(cur.class)!) best.set(r.dst, r);
  }
  return [...best.values()].sort((a, b) => compareDst(a.dst, b.dst));
}
