/**
 * Route policy in one address family: which routes go to BGP peers (this host's blocks, aggregated;
 * service ranges; what a route reflector reflects) and which BGP routes BIRD writes into the kernel.
 * Rendered as BIRD 2 functions and filters; names carry a `_v6` suffix in the IPv6 family so both
 * families live in one BIRD 2 daemon.
 */
import type { BGPConfigurationSpec, IPPool } from '../../api/index.js';
import { canonicalCIDR, tryParseCIDR, type IPFamily } from '../../net/index.js';
import type { ClusterView } from './cluster.js';
import type { StaticRoute } from './types.js';

/** Kernel metrics travel in LOCAL_PREF as this minus the metric (Calico's priority encoding). */
export const MAX_PRIORITY = 2147483647;
export const DEFAULT_NORMAL_ROUTE_PRIORITY = 1024;

export interface FamilyNames {
  channel: 'ipv4' | 'ipv6';
  aggr: string;
  exportFn: string;
  exportIBGP: string;
  exportEBGP: string;
  importFilter: string;
  kernelFilter: string;
  communities: string;
  template: string;
  kernel: string;
  statics: string;
}

export function familyNames(family: IPFamily): FamilyNames {
  const s = family === 4 ? '' : '_v6';
  return {
    channel: family === 4 ? 'ipv4' : 'ipv6',
    aggr: `calico_aggr${s}`,
    exportFn: `calico_export_to_bgp_peers${s}`,
    exportIBGP: `calico_export_ibgp${s}`,
    exportEBGP: `calico_export_ebgp${s}`,
    importFilter: `calico_import_from_bgp_peers${s}`,
    kernelFilter: `calico_kernel_programming${s}`,
    communities: `apply_communities${s}`,
    template: `bgp_template${s}`,
    kernel: family === 4 ? 'kernel4' : 'kernel6',
    statics: family === 4 ? 'calico_static' : 'calico_static_v6',
  };
}

type PoolKind = 'noEncap' | 'ipip' | 'vxlan';

interface PoolFacts {
  cidr: string;
  kind: PoolKind;
  exportDisabled: boolean;
}

/** Everything the filters of one family need, computed from the input. */
export interface FamilyPolicy {
  family: IPFamily;
  names: FamilyNames;
  priority: number;
  isRouteReflector: boolean;
  blocks: string[];
  pools: PoolFacts[];
  /** Service CIDRs every node advertises (and BIRD never programs). */
  serviceRanges: { cidr: string; what: string }[];
  /** LoadBalancer/external ranges a route reflector passes on (per-service routes of other nodes). */
  reflectedServiceRanges: string[];
  communities: { cidr: string; statements: string[] }[];
  programClusterRoutes: string;
  /** This host's blocks are also originated by `protocol static` (see BirdRenderOptions.staticBlockRoutes). */
  staticBlocks: boolean;
}

export function familyPolicy(
  cluster: ClusterView,
  family: IPFamily,
  pools: readonly IPPool[],
  blocks: readonly string[],
  staticBlocks: boolean,
): FamilyPolicy {
  const g = cluster.global;
  const priority =
    (family === 4
      ? cluster.setting('ipv4NormalRoutePriority')
      : cluster.setting('ipv6NormalRoutePriority')) || DEFAULT_NORMAL_ROUTE_PRIORITY;
  const ranges = (list: { cidr?: string }[] | undefined): string[] =>
    cidrsOf(
      (list ?? []).map((x) => x.cidr ?? ''),
      family,
    );
  const lbAggregated = g.serviceLoadBalancerAggregation !== 'Disabled';
  const serviceRanges = [
    ...ranges(g.serviceClusterIPs).map((cidr) => ({ cidr, what: 'serviceClusterIPs' })),
    ...ranges(g.serviceExternalIPs).map((cidr) => ({ cidr, what: 'serviceExternalIPs' })),
    ...(lbAggregated ? ranges(g.serviceLoadBalancerIPs) : []).map((cidr) => ({
      cidr,
      what: 'serviceLoadBalancerIPs',
    })),
  ];
  return {
    family,
    names: familyNames(family),
    priority,
    isRouteReflector: cluster.self?.clusterId !== undefined,
    blocks: cidrsOf(blocks, family),
    pools: poolFacts(pools, family),
    serviceRanges,
    reflectedServiceRanges: [...ranges(g.serviceLoadBalancerIPs), ...ranges(g.serviceExternalIPs)],
    communities: communityStatements(cluster, family),
    programClusterRoutes: cluster.setting('programClusterRoutes') ?? 'EnabledNoEncapOnly',
    staticBlocks,
  };
}

/** Canonical, de-duplicated and sorted CIDRs of one family (sorted as strings, as Calico does). */
function cidrsOf(list: readonly string[], family: IPFamily): string[] {
  const out = new Set<string>();
  for (const text of list) {
    const c = tryParseCIDR(text);
    if (c && c.family === family) out.add(canonicalCIDR(text));
  }
  return [...out].sort();
}

function poolFacts(pools: readonly IPPool[], family: IPFamily): PoolFacts[] {
  const out = new Map<string, PoolFacts>();
  for (const p of pools) {
    const spec = p.spec;
    const c = spec?.cidr ? tryParseCIDR(spec.cidr) : undefined;
    if (!spec || !c || c.family !== family) continue;
    const cidr = canonicalCIDR(spec.cidr);
    const on = (m: string | undefined) => m === 'Always' || m === 'CrossSubnet';
    const kind: PoolKind = on(spec.vxlanMode) ? 'vxlan' : on(spec.ipipMode) ? 'ipip' : 'noEncap';
    out.set(cidr, { cidr, kind, exportDisabled: spec.disableBGPExport === true });
  }
  return [...out.values()].sort((a, b) => (a.cidr < b.cidr ? -1 : a.cidr > b.cidr ? 1 : 0));
}

/** `bgp_community.add(...)` lines per advertised prefix (the node's own list over the global one). */
function communityStatements(cluster: ClusterView, family: IPFamily): FamilyPolicy['communities'] {
  const spec: BGPConfigurationSpec = cluster.perNode.prefixAdvertisements?.length
    ? cluster.perNode
    : cluster.global;
  const named = new Map((spec.communities ?? cluster.global.communities ?? []).map((c) => [c.name, c.value]));
  const out: FamilyPolicy['communities'] = [];
  for (const adv of spec.prefixAdvertisements ?? []) {
    const c = tryParseCIDR(adv.cidr ?? '');
    if (!c || c.family !== family) continue;
    const statements: string[] = [];
    for (const ref of adv.communities ?? []) {
      const value = named.get(ref) ?? ref;
      const parts = value.split(':');
      if (!parts.every((p) => /^\d+$/.test(p))) continue;
      if (parts.length === 2) statements.push(`bgp_community.add((${parts.join(', ')}));`);
      else if (parts.length === 3) statements.push(`bgp_large_community.add((${parts.join(', ')}));`);
    }
    if (statements.length) out.push({ cidr: canonicalCIDR(adv.cidr), statements });
  }
  return out;
}

/** True when BIRD, not Felix, writes routes of this pool into the kernel. */
function birdProgramsPool(p: PoolFacts, mode: string): boolean {
  // Stock BIRD 2 has no krt_tunnel: IPIP routes through tunl0 are always Felix's.
  if (p.kind !== 'noEncap') return false;
  return mode === 'Enabled' || mode === 'EnabledNoEncapOnly';
}

/** Functions and filters of one family, in the order BIRD needs them declared. */
export function renderPolicy(p: FamilyPolicy): string[] {
  const n = p.names;
  const L: string[] = [];
  const prio = p.priority;

  if (p.communities.length) {
    L.push(`# BGP communities for advertised prefixes (prefixAdvertisements).`);
    L.push(`function ${n.communities}() {`);
    for (const c of p.communities) {
      L.push(`  if ( net ~ ${c.cidr} ) then {`);
      for (const s of c.statements) L.push(`    ${s}`);
      L.push(`  }`);
    }
    L.push(`}`, '');
  }

  L.push(
    `# This host's blocks: each advertised whole; addresses inside only when elevated (metric < ${prio}).`,
  );
  L.push(`function ${n.aggr}() {`);
  if (p.blocks.length === 0) L.push(`  # No blocks are affine to this host.`);
  for (const b of p.blocks) {
    // With BIRD's own blackhole for the block, Felix's (learned from the kernel) would be a second path.
    if (p.staticBlocks && !isHostRoute(b))
      L.push(`  if ( net = ${b} ) then { if ( source = RTS_STATIC ) then { accept; } reject; }`);
    else L.push(`  if ( net = ${b} ) then { accept; }`);
    L.push(`  if ( net ~ ${b} ) then { if ( krt_metric < ${prio} ) then { accept; } reject; }`);
  }
  L.push(`}`, '');

  L.push(`# What this host advertises to its BGP peers (the caller rejects everything else).`);
  L.push(`function ${n.exportFn}(bool internal_peer) {`);
  L.push(
    `  # Priorities travel as LOCAL_PREF = ${MAX_PRIORITY} - kernel metric; metric 0 (Linux's unset) is normal.`,
  );
  L.push(`  if ( !defined(krt_metric) ) then { krt_metric = 0; }`);
  L.push(`  if ( krt_metric = 0 ) then {`);
  L.push(`    krt_metric = ${prio};`);
  L.push(
    `    if ( source = RTS_BGP && defined(bgp_local_pref) && bgp_local_pref <= ${MAX_PRIORITY} ) then {`,
  );
  L.push(`      krt_metric = ${MAX_PRIORITY} - bgp_local_pref;`);
  L.push(`    }`);
  L.push(`  }`);
  L.push(`  if ( source != RTS_BGP && krt_metric <= ${MAX_PRIORITY} ) then {`);
  L.push(`    bgp_local_pref = ${MAX_PRIORITY} - krt_metric;`);
  L.push(`  }`);
  for (const pool of p.pools.filter((x) => x.exportDisabled)) {
    L.push(`  if ( net ~ ${pool.cidr} ) then { reject; } # BGP export is disabled for this IP pool.`);
  }
  L.push(`  # Felix's routes through its tunnel devices lead to other hosts' blocks.`);
  L.push(
    `  if ( internal_peer && (ifname ~ "*.cali" || ifname ~ "*.calico" || ifname = "tunl0") ) then { reject; }`,
  );
  L.push(`  if ( ifname ~ "bpf*.cali" ) then { reject; } # eBPF-mode local routes`);
  if (!p.isRouteReflector) {
    L.push(`  # Only route reflectors pass on routes learned from other BGP speakers.`);
    L.push(`  if ( source = RTS_BGP ) then { reject; }`);
  }
  if (p.communities.length) L.push(`  ${n.communities}();`);
  L.push(`  ${n.aggr}();`);
  for (const s of p.serviceRanges) L.push(`  if ( net ~ ${s.cidr} ) then { accept; } # ${s.what}`);
  if (p.isRouteReflector) {
    for (const cidr of p.reflectedServiceRanges) {
      L.push(`  if ( net ~ ${cidr} ) then { accept; } # service addresses of other nodes`);
    }
  }
  for (const pool of p.pools.filter((x) => !x.exportDisabled)) {
    L.push(`  if ( net ~ ${pool.cidr} ) then { accept; } # IP pool`);
  }
  L.push(`}`, '');

  L.push(`filter ${n.exportIBGP} { ${n.exportFn}(true); reject; }`);
  L.push(`filter ${n.exportEBGP} { ${n.exportFn}(false); reject; }`, '');

  L.push(`# Routes from peers; elevated-priority routes win over others for the same prefix.`);
  L.push(`filter ${n.importFilter} {`);
  L.push(
    `  if ( defined(bgp_local_pref) && bgp_local_pref > ${MAX_PRIORITY - prio} ) then { preference = 200; }`,
  );
  L.push(`  accept;`);
  L.push(`}`, '');

  L.push(`# What BIRD writes into the kernel.`);
  L.push(`filter ${n.kernelFilter} {`);
  L.push(`  if ( source = RTS_DEVICE ) then { reject; } # connected routes: the kernel has them`);
  L.push(`  # Block blackholes are Felix's; service ranges are advertised, never programmed.`);
  L.push(`  if ( source = RTS_STATIC && dest = RTD_BLACKHOLE ) then { reject; }`);
  for (const s of p.serviceRanges) L.push(`  if ( net ~ ${s.cidr} ) then { reject; } # ${s.what}`);
  for (const pool of p.pools) {
    if (birdProgramsPool(pool, p.programClusterRoutes)) {
      L.push(`  if ( net ~ ${pool.cidr} ) then { accept; } # no-encap IP pool: BIRD programs its routes`);
    } else {
      const why =
        pool.kind === 'vxlan'
          ? 'VXLAN routes are handled by Felix.'
          : pool.kind === 'ipip'
            ? 'IPIP routes are handled by Felix.'
            : 'Cluster routes are handled by Felix.';
      L.push(`  if ( net ~ ${pool.cidr} ) then { reject; } # ${why}`);
    }
  }
  L.push(`  accept;`);
  L.push(`}`, '');
  return L;
}

/** `protocol static` routes: this host's blocks, service ranges, and peers' reachableBy gateways. */
export function staticRoutes(p: FamilyPolicy, reachable: StaticRoute[]): StaticRoute[] {
  const out: StaticRoute[] = [];
  if (p.staticBlocks) {
    for (const b of p.blocks) {
      // A /32 block is one workload address: its own route on the cali interface covers it.
      if (!isHostRoute(b)) out.push({ cidr: b, comment: 'block affine to this host' });
    }
  }
  for (const s of p.serviceRanges) out.push({ cidr: s.cidr, comment: s.what });
  out.push(...reachable);
  return out;
}

function isHostRoute(cidr: string): boolean {
  return cidr.endsWith('/32') || cidr.endsWith('/128');
}
