/**
 * computeDesired: the whole routing dataplane for one host as a pure function of the datastore
 * snapshot (plus the host's interfaces). Same input, same output: the drivers diff it against the
 * kernel, so recomputing from scratch on every change costs only CPU, never churn.
 */
import { nodeFacts, type NodeFacts } from './nodes.js';
import { poolFacts, type PoolFacts } from './pools.js';
import { computeMTUs } from './mtu.js';
import { natOutgoing } from './nat.js';
import { blockRoutes, mergeRoutes, workloadRoutes, type RouteContext } from './routes.js';
import { ipipDevice, vxlanDevice, vxlanPeers } from './tunnels.js';
import { IPIP_DEVICE, VXLAN_DEVICE, type DesiredDataplane, type RoutingInput, type Sysctl } from './types.js';

/** The interface carrying `ip` (never one of our tunnels). */
export function interfaceWithIP(input: RoutingInput, ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  return input.hostInterfaces.find(
    (i) => i.name !== VXLAN_DEVICE && i.name !== IPIP_DEVICE && i.addresses.includes(ip),
  )?.name;
}

export function computeDesired(input: RoutingInput): DesiredDataplane {
  const { cfg, notes } = { cfg: input.config, notes: [] as string[] };
  const nodes = new Map<string, NodeFacts>();
  for (const n of input.nodes) {
    const f = nodeFacts(n);
    if (f.name) nodes.set(f.name, f);
  }
  const me = nodes.get(input.nodeName);
  const pools = input.pools.map(poolFacts).filter((p): p is PoolFacts => p !== undefined);
  pools.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));

  const vxlanOn = cfg.vxlanEnabled ?? pools.some((p) => p.encap === 'vxlan');
  const ipipOn = cfg.ipipEnabled ?? pools.some((p) => p.encap === 'ipip');
  const mtu = computeMTUs(input.hostInterfaces, cfg, { vxlan: vxlanOn, ipip: ipipOn });
  const hostIface = interfaceWithIP(input, me?.ip);

  const vxlan = vxlanOn ? vxlanDevice(me, cfg, mtu.vxlan, hostIface, notes) : undefined;
  const ipip = ipipOn ? ipipDevice(me, mtu.ipip) : undefined;
  const peers = vxlan ? vxlanPeers(nodes.values(), input.nodeName) : { neighbours: [], fdb: [] };

  const ctx: RouteContext = {
    cfg,
    me,
    nodes,
    hostIface,
    vxlanDevice: vxlan !== undefined,
    ipipDevice: ipip !== undefined,
    notes,
  };
  const routes = mergeRoutes([
    ...workloadRoutes(input.endpoints, input.nodeName, cfg),
    ...blockRoutes(input.blocks, pools, input.nodeName, ctx),
  ]);

  const tunnels = [...(vxlan ? [vxlan.name] : []), ...(ipip?.address ? [ipip.name] : [])];
  const nat = natOutgoing(pools, nodes.values(), cfg, tunnels);
  const sysctls: Sysctl[] =
    cfg.ipForwarding === 'Enabled' ? [{ key: 'net/ipv4/ip_forward', value: '1' }] : [];

  const out: DesiredDataplane = {
    routes,
    neighbours: peers.neighbours,
    fdb: peers.fdb,
    sysctls,
    mtu,
    notes: [...new Set(notes)],
  };
  if (vxlan) out.vxlan = vxlan;
  if (ipip) out.ipip = ipip;
  if (nat) out.nat = nat;
  return out;
}
