/**
 * Tunnel addresses (Calico's allocate-tunnel-addrs, one pass): for IPIP, VXLAN, VXLAN-v6 and
 * WireGuard, an address from an eligible pool, allocated through IPAM under the handle
 * `<type>-tunnel-addr-<node>` and written to the Node; released and cleared when no pool is
 * eligible any more. A pass that finds everything in order writes nothing.
 */
import type { IPPoolSpec, NodeSpec, NodeStatus, Resource } from '../../api/index.js';
import type { Client } from '../../client/index.js';
import { isCalicoError } from '../../errors/index.js';
import type { IPAM } from '../../ipam/ipam-interface.js';
import { partialFulfillmentError } from '../../ipam/ipam-interface.js';
import { cidrContainsIP, tryParseCIDR, tryParseIP, type IPFamily } from '../../net/index.js';
import { parseSelector } from '../../selector/index.js';
import type { NodeConfig } from '../config.js';
import { StartupError } from './errors.js';
import type { StartupLog } from './log.js';

export type TunnelKind = 'wireguard' | 'wireguard-v6' | 'ipip' | 'vxlan' | 'vxlan-v6';

interface TunnelType {
  kind: TunnelKind;
  family: IPFamily;
  /** The allocation's `type` attribute. */
  attrType: string;
  get(spec: NodeSpec): string | undefined;
  set(spec: NodeSpec, ip: string | undefined): void;
  /** Beyond the common checks (use, selector, family, not disabled). */
  wants(pool: IPPoolSpec, node: Resource, cfg: NodeConfig): boolean;
}

function encap(mode: string | undefined): boolean {
  return mode === 'Always' || mode === 'CrossSubnet';
}

function setBGP(spec: NodeSpec, ip: string | undefined): void {
  const bgp = { ...(spec.bgp ?? {}) };
  if (ip) bgp.ipv4IPIPTunnelAddr = ip;
  else delete bgp.ipv4IPIPTunnelAddr;
  if (Object.values(bgp).some((v) => v !== undefined && v !== '')) spec.bgp = bgp;
  else delete spec.bgp;
}

function setWireguard(
  spec: NodeSpec,
  key: 'interfaceIPv4Address' | 'interfaceIPv6Address',
  ip: string | undefined,
): void {
  const wg = { ...(spec.wireguard ?? {}) };
  if (ip) wg[key] = ip;
  else delete wg[key];
  if (wg.interfaceIPv4Address || wg.interfaceIPv6Address) spec.wireguard = wg;
  else delete spec.wireguard;
}

function wireguardKey(node: Resource, family: IPFamily): boolean {
  const st = node.status as NodeStatus | undefined;
  return Boolean(family === 4 ? st?.wireguardPublicKey : st?.wireguardPublicKeyV6);
}

/** In Calico's order: WireGuard, WireGuard-v6, IPIP, VXLAN, VXLAN-v6. */
export const TUNNEL_TYPES: readonly TunnelType[] = [
  {
    kind: 'wireguard',
    family: 4,
    attrType: 'wireguardTunnelAddress',
    get: (s) => s.wireguard?.interfaceIPv4Address,
    set: (s, ip) => setWireguard(s, 'interfaceIPv4Address', ip),
    wants: (_p, node, cfg) => wireguardKey(node, 4) && !cfg.wireguardHostEncryption,
  },
  {
    kind: 'wireguard-v6',
    family: 6,
    attrType: 'wireguardV6TunnelAddress',
    get: (s) => s.wireguard?.interfaceIPv6Address,
    set: (s, ip) => setWireguard(s, 'interfaceIPv6Address', ip),
    wants: (_p, node, cfg) => wireguardKey(node, 6) && !cfg.wireguardHostEncryption,
  },
  {
    kind: 'ipip',
    family: 4,
    attrType: 'ipipTunnelAddress',
    get: (s) => s.bgp?.ipv4IPIPTunnelAddr,
    set: setBGP,
    wants: (p) => encap(p.ipipMode),
  },
  {
    kind: 'vxlan',
    family: 4,
    attrType: 'vxlanTunnelAddress',
    get: (s) => s.ipv4VXLANTunnelAddr,
    set: (s, ip) => {
      if (ip) s.ipv4VXLANTunnelAddr = ip;
      else delete s.ipv4VXLANTunnelAddr;
    },
    wants: (p) => encap(p.vxlanMode),
  },
  {
    kind: 'vxlan-v6',
    family: 6,
    attrType: 'vxlanV6TunnelAddress',
    get: (s) => s.ipv6VXLANTunnelAddr,
    set: (s, ip) => {
      if (ip) s.ipv6VXLANTunnelAddr = ip;
      else delete s.ipv6VXLANTunnelAddr;
    },
    wants: (p) => encap(p.vxlanMode),
  },
];

export function tunnelHandle(kind: TunnelKind, node: string): string {
  return `${kind}-tunnel-addr-${node}`;
}

/** Pools a tunnel of this type may take its address from, for this node. */
export function eligiblePools(
  t: TunnelType,
  pools: readonly Resource[],
  node: Resource,
  cfg: NodeConfig,
): string[] {
  const labels = node.metadata.labels ?? {};
  const out: string[] = [];
  for (const p of pools) {
    const spec = p.spec as IPPoolSpec | undefined;
    const cidr = spec?.cidr ? tryParseCIDR(spec.cidr) : undefined;
    if (!spec || !cidr || cidr.family !== t.family) continue;
    if (spec.disabled || p.metadata.deletionTimestamp) continue;
    if (spec.allowedUses?.length && !spec.allowedUses.includes('Tunnel')) continue;
    let selected = false;
    try {
      selected = parseSelector(spec.nodeSelector || 'all()').evaluate(labels);
    } catch {
      selected = false;
    }
    if (selected && t.wants(spec, node, cfg)) out.push(spec.cidr);
  }
  return out;
}

function inAny(ip: string, cidrs: readonly string[]): boolean {
  const a = tryParseIP(ip);
  return a !== undefined && cidrs.some((c) => cidrContainsIP(tryParseCIDR(c)!, a));
}

async function releaseHandle(ipam: IPAM, handle: string): Promise<void> {
  try {
    await ipam.releaseByHandle(handle);
  } catch (e) {
    if (!isCalicoError(e, 'NOT_FOUND')) throw e;
  }
}

export interface TunnelDeps {
  client: Client;
  ipam: IPAM;
  log: StartupLog;
}

interface Assigned {
  ip: string;
  handle: string;
}

/** One reconciliation of one tunnel type on a working copy of the Node spec. */
async function reconcileType(
  t: TunnelType,
  node: Resource,
  spec: NodeSpec,
  pools: readonly Resource[],
  cfg: NodeConfig,
  deps: TunnelDeps,
  assigned: Assigned[],
): Promise<void> {
  const name = node.metadata.name!;
  const handle = tunnelHandle(t.kind, name);
  const eligible = eligiblePools(t, pools, node, cfg);
  const current = t.get(spec);
  const { ipam, log } = deps;

  if (eligible.length === 0) {
    await releaseHandle(ipam, handle);
    if (current) {
      // Addresses from before handles existed carry neither handle nor attributes.
      const info = await ipam.getAssignmentAttributes(current);
      if (info && !info.handleId && Object.keys(info.attrs).length === 0) {
        await ipam.releaseIPs([{ address: current }]);
      }
      t.set(spec, undefined);
      log.info(`Released ${t.kind} tunnel address ${current}: no pool needs it`, {
        tunnel: t.kind,
        address: current,
      });
    }
    return;
  }

  if (current) {
    const info = await ipam.getAssignmentAttributes(current);
    if (info && info.attrs.type === t.attrType && info.attrs.node === name) {
      if (inAny(current, eligible)) return;
      await ipam.releaseIPs([{ address: current, handleId: info.handleId }]);
      log.info(`Releasing ${t.kind} tunnel address ${current}: its pool is no longer eligible`, {
        tunnel: t.kind,
        address: current,
      });
    } else if (info && !info.handleId && Object.keys(info.attrs).length === 0) {
      // Legacy allocation: keep the address, but under our handle and attributes.
      await ipam.releaseIPs([{ address: current }]);
      try {
        await ipam.assignIP({
          ip: current,
          handleId: handle,
          attrs: { node: name, type: t.attrType },
          hostname: name,
          intendedUse: 'Tunnel',
        });
        assigned.push({ ip: current, handle });
        return;
      } catch {
        // Taken meanwhile: fall through to a fresh address.
      }
    } else if (!info) {
      await releaseHandle(ipam, handle);
    }
    // else: someone else's address; leave it alone and take a new one.
  } else {
    await releaseHandle(ipam, handle);
  }

  const pools4 = t.family === 4 ? eligible : undefined;
  const pools6 = t.family === 6 ? eligible : undefined;
  const r = await ipam.autoAssign({
    num4: t.family === 4 ? 1 : 0,
    num6: t.family === 6 ? 1 : 0,
    handleId: handle,
    attrs: { node: name, type: t.attrType },
    hostname: name,
    ipv4Pools: pools4,
    ipv6Pools: pools6,
    intendedUse: 'Tunnel',
  });
  const a = t.family === 4 ? r.ipv4 : r.ipv6;
  const ip = a.ips[0]?.split('/')[0];
  if (!ip) {
    throw new StartupError(
      'tunnelAllocation',
      `failed to allocate a ${t.kind} tunnel address for node ${name}: ${partialFulfillmentError(a, t.family) ?? 'no address'}`,
      { code: 'IPAM', hint: `pools eligible: ${eligible.join(', ')}` },
    );
  }
  assigned.push({ ip, handle });
  t.set(spec, ip);
  log.info(`Assigned ${t.kind} tunnel address ${ip}`, {
    tunnel: t.kind,
    address: ip,
    handle,
    pools: eligible.join(','),
  });
}

/** Reconciles every tunnel type for the node; returns the tunnel addresses now on the Node. */
export async function reconcileTunnelAddresses(
  cfg: NodeConfig,
  deps: TunnelDeps,
): Promise<Partial<Record<TunnelKind, string>>> {
  for (let attempt = 0; ; attempt++) {
    const node = await deps.client.get('Node', cfg.nodeName);
    const pools = (await deps.client.list('IPPool')).items;
    const before = (node.spec ?? {}) as NodeSpec;
    const spec = structuredClone(before);
    const assigned: Assigned[] = [];
    try {
      for (const t of TUNNEL_TYPES) await reconcileType(t, node, spec, pools, cfg, deps, assigned);
      if (TUNNEL_TYPES.some((t) => t.get(spec) !== t.get(before))) {
        await deps.client.update({ ...node, spec: spec as Record<string, unknown> });
      }
      const out: Partial<Record<TunnelKind, string>> = {};
      for (const t of TUNNEL_TYPES) {
        const ip = t.get(spec);
        if (ip) out[t.kind] = ip;
      }
      return out;
    } catch (e) {
      // Addresses handed out in a failed pass would otherwise leak.
      for (const a of assigned) {
        await deps.ipam.releaseIPs([{ address: a.ip, handleId: a.handle }]).catch(() => undefined);
      }
      if (isCalicoError(e, 'UPDATE_CONFLICT') && attempt < 4) continue;
      throw e;
    }
  }
}
