/**
 * renderBirdConfig: the whole bird.cfg for one node, in BIRD 2 syntax, both address families in
 * one daemon. Pure and deterministic: the same input gives the same text byte for byte (peers and
 * CIDRs sorted, no timestamps), so a changed text always means the datastore changed.
 *
 * Layout follows Calico's bird.cfg + bird_aggr.cfg + bird_ipam.cfg, ported to BIRD 2: channels
 * (`ipv4 { ... }`) carry import/export/next-hop settings, and the listen port and bind address are
 * per-session (`local port`, `strict bind`) since BIRD 2 has no global `listen bgp`.
 */
import type { IPFamily } from '../../net/index.js';
import { addressOf, ClusterView } from './cluster.js';
import { computePeers } from './peers.js';
import { familyPolicy, renderPolicy, staticRoutes, type FamilyPolicy } from './policy.js';
import { routerIdFor } from './router-id.js';
import type { BirdInput, LocalFamily, PeerRecord, StaticRoute } from './types.js';

type LogLevel = 'debug' | 'info' | 'none';

const DEFAULT_TIMERS = { connectDelay: 2, connectRetry: 5, errorWait: [5, 30] as [number, number] };

export function renderBirdConfig(input: BirdInput): string {
  const cluster = new ClusterView(input);
  const opts = input.options ?? {};
  const level = logLevel(cluster.setting('logSeverityScreen'));
  const L: string[] = [];
  L.push(`# BIRD 2 configuration for Calico node ${comment(input.nodeName)}, rendered by calico-ts confd.`);
  L.push(`# Do not edit: confd rewrites this file whenever the datastore changes.`, '');
  L.push(opts.logFile ? `log ${quote(opts.logFile)} all;` : 'log stderr all;');
  L.push(`router id ${routerIdFor(cluster, input.nodeName, opts.routerId)};`, '');
  if (!cluster.self)
    L.push(`# Node ${comment(input.nodeName)} has no Node resource yet: no BGP sessions.`, '');

  const families: { family: IPFamily; local: LocalFamily }[] = [];
  for (const family of [4, 6] as const) {
    const local = cluster.self && addressOf(cluster.self, family);
    if (local) families.push({ family, local });
    else L.push(`# IPv${family} disabled on this node (no spec.bgp.ipv${family}Address).`, '');
  }

  const perFamily = families.map(({ family, local }) => {
    const policy = familyPolicy(
      cluster,
      family,
      input.ipPools,
      input.blocks,
      opts.staticBlockRoutes !== false,
    );
    const peers = computePeers(cluster, family, input.bgpPeers, input.secrets);
    return { family, local, policy, peers };
  });

  for (const f of perFamily) {
    L.push(`# ---- IPv${f.family} route policy ----`, '');
    L.push(...renderPolicy(f.policy));
    const reachable = reachableByRoutes(f.family, f.peers);
    const statics = staticRoutes(f.policy, reachable);
    if (statics.length) L.push(...renderStatic(f.policy, statics), '');
  }

  L.push(`# ---- Kernel, interfaces ----`, '');
  const k = opts.kernel ?? {};
  for (const f of perFamily) {
    const n = f.policy.names;
    L.push(`protocol kernel ${n.kernel} {`);
    L.push(`  ${n.channel} {`);
    L.push(`    import all; # routes others added: Felix's blackholes, workload routes`);
    L.push(`    export filter ${n.kernelFilter};`);
    L.push(`  };`);
    if (k.learn !== false) L.push(`  learn;`);
    if (k.persist !== false) L.push(`  persist;`);
    L.push(`  scan time ${k.scanTime ?? 2};`);
    if (k.gracefulRestart !== false) L.push(`  graceful restart;`);
    if (k.mergePaths !== false) L.push(`  merge paths on;`);
    // One fixed metric: BIRD 2 replaces its routes in place only while the metric stays the same.
    L.push(`  metric ${k.metric ?? f.policy.priority};`);
    L.push(`}`, '');
  }
  L.push(`protocol device {`);
  pushDebug(L, level, false);
  L.push(`  scan time ${opts.deviceScanTime ?? 2};`);
  L.push(`}`, '');
  if (perFamily.length) {
    // Connected routes resolve the recursive next hops of multihop sessions.
    const ignored = (cluster.setting('ignoredInterfaces') ?? []).map((i) => `-${quote(i)}`);
    const patterns = [...ignored, '-"cali*"', '-"kube-ipvs*"', '"*"'];
    L.push(`protocol direct {`);
    pushDebug(L, level, false);
    for (const f of perFamily) L.push(`  ${f.policy.names.channel};`);
    L.push(`  interface ${patterns.join(', ')};`);
    L.push(`}`, '');
  }

  for (const f of perFamily) {
    L.push(`# ---- IPv${f.family} BGP ----`, '');
    L.push(...renderTemplate(input, cluster, f.policy, level));
    if (f.peers.length === 0) L.push(`# No BGP peers configured for this node.`, '');
    for (const p of f.peers) L.push(...renderPeer(p, f.policy, cluster), '');
  }
  while (L.length && L[L.length - 1] === '') L.pop();
  return L.join('\n') + '\n';
}

function renderTemplate(input: BirdInput, cluster: ClusterView, p: FamilyPolicy, level: LogLevel): string[] {
  const t = { ...DEFAULT_TIMERS, ...(input.options?.timers ?? {}) };
  const n = p.names;
  const port = cluster.self?.listenPort;
  const L = [`template bgp ${n.template} {`];
  pushDebug(L, level, true);
  L.push(`  description "Connection to BGP peer";`);
  L.push(`  local${port ? ` port ${port}` : ''} as ${cluster.self?.asNumber ?? cluster.globalAS};`);
  L.push(`  ${n.channel} {`);
  L.push(`    gateway recursive;`);
  L.push(`    add paths on;`);
  L.push(`    import filter ${n.importFilter};`);
  L.push(`    export filter ${n.exportIBGP};`);
  L.push(`  };`);
  L.push(`  graceful restart;`);
  L.push(`  connect delay time ${t.connectDelay};`);
  L.push(`  connect retry time ${t.connectRetry};`);
  L.push(`  error wait time ${t.errorWait[0]},${t.errorWait[1]};`);
  L.push(`}`, '');
  return L;
}

function renderPeer(r: PeerRecord, p: FamilyPolicy, cluster: ClusterView): string[] {
  const n = p.names;
  const L = [`# ${comment(r.origin)}`, `protocol bgp ${r.name} from ${n.template} {`];
  if (r.localAS !== undefined) L.push(`  local as ${r.localAS};`);
  L.push(`  neighbor ${r.ip}${r.port ? ` port ${r.port}` : ''} as ${r.asNumber};`);
  if (r.sourceAddress) {
    L.push(`  source address ${r.sourceAddress};`);
    // bindMode NodeIP: listen on the node's address only.
    if (cluster.setting('bindMode') === 'NodeIP') L.push(`  strict bind on;`);
  }
  if (r.ttlSecurity) L.push(`  ttl security on;`, `  multihop ${r.ttlSecurity};`);
  else L.push(`  ttl security off;`, `  multihop;`);
  const channel: string[] = [];
  if (!r.internal) channel.push(`export filter ${n.exportEBGP};`);
  if (r.nextHop) channel.push(`next hop ${r.nextHop};`);
  if (channel.length) L.push(`  ${n.channel} { ${channel.join(' ')} };`);
  if (r.passive) L.push(`  passive on; # the peer's address is higher: it connects`);
  if (r.restartTimeSeconds !== undefined) L.push(`  graceful restart time ${r.restartTimeSeconds};`);
  if (r.keepaliveSeconds !== undefined) L.push(`  keepalive time ${r.keepaliveSeconds};`);
  if (r.rrClusterId) L.push(`  rr client;`, `  rr cluster id ${r.rrClusterId};`);
  if (r.allowLocalAS) L.push(`  allow local as ${r.allowLocalAS};`);
  if (r.password) {
    const problem = 'problem' in r.password ? r.password.problem : passwordProblem(r.password.value);
    if (problem) L.push(`  disabled; # not started: ${comment(problem)}`);
    else if ('value' in r.password) L.push(`  password ${quote(r.password.value)};`);
  }
  L.push(`}`);
  return L;
}

/** BIRD strings have no escapes: a password with a quote or a line break cannot be written. */
function passwordProblem(pw: string): string | undefined {
  if (pw === '') return 'the BGP password is empty';
  if (/["\n\r\0]/.test(pw)) return 'the BGP password contains a quote or line break, which BIRD cannot read';
  return undefined;
}

function renderStatic(p: FamilyPolicy, routes: StaticRoute[]): string[] {
  const L = [`protocol static ${p.names.statics} {`, `  ${p.names.channel};`];
  for (const r of routes) {
    L.push(`  route ${r.cidr} ${r.via ? `via ${r.via}` : 'blackhole'}; # ${comment(r.comment)}`);
  }
  L.push(`}`);
  return L;
}

/** `reachableBy`: a host route to an explicit peer through a gateway, for peers that are off-link. */
function reachableByRoutes(family: IPFamily, peers: PeerRecord[]): StaticRoute[] {
  const host = family === 4 ? 32 : 128;
  return peers
    .filter((p) => p.reachableBy)
    .map((p) => ({ cidr: `${p.ip}/${host}`, via: p.reachableBy, comment: `reachableBy (${p.origin})` }));
}

/** Calico keeps only debug and info; every other severity silences BIRD's protocol logging. */
function logLevel(severity: string | undefined): LogLevel {
  const s = (severity ?? 'info').toLowerCase();
  return s === 'debug' ? 'debug' : s === 'info' ? 'info' : 'none';
}

function pushDebug(L: string[], level: LogLevel, bgp: boolean): void {
  if (level === 'debug') L.push(`  debug all;`);
  else if (level === 'info')
    L.push(bgp ? `  debug { states, routes, filters, events };` : `  debug { states };`);
}

/** A BIRD string literal (callers ensure there is no quote or line break in it). */
function quote(s: string): string {
  return `"${s.replace(/["\n\r]/g, '')}"`;
}

/** Text safe inside a `#` comment: one line. */
function comment(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}
