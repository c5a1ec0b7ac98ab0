/**
 * Which BGP sessions this node has in one address family, following Calico's rules:
 *
 * 1. the node-to-node mesh (unless disabled, and never on or towards route reflectors);
 * 2. global BGPPeers (no node, no nodeSelector), then node-specific ones: a peerIP, or every Calico
 *    node a peerSelector matches;
 * 3. automatic reverse peerings: a node that another node peers with (by peerSelector, or by a
 *    peerIP that is a Calico node's address) peers back, unless `reversePeering: Manual`.
 *
 * The first writer of a (address, port) wins, in that order; the result is sorted by name so the
 * rendered text only changes when the sessions do.
 */
import {
  parseASNumber,
  parseDuration,
  parseIPPort,
  type BGPPeer,
  type BGPPeerSpec,
} from '../../api/index.js';
import { formatIP, tryParseIP, type IPFamily } from '../../net/index.js';
import { parseSelector, type Selector } from '../../selector/index.js';
import { addressOf, type ClusterView, type NodeFacts } from './cluster.js';
import type { LocalFamily, PeerPassword, PeerRecord, PeerType, SecretValues } from './types.js';

const BGP_PORT = 179;

/** `10.0.0.2` → `10_0_0_2`, `fd00::2` → `fd00__2`, plus `_port_<n>` when a port is set. */
export function peerName(type: PeerType, ip: string, port?: number): string {
  return `${type}_${ip.replace(/[.:]/g, '_')}${port ? `_port_${port}` : ''}`;
}

/** Calico makes exactly one side initiate: the one whose address is lower *as a string* is passive. */
export function isPassiveTowards(peerIP: string, myIP: string): boolean {
  return peerIP > myIP;
}

/** Whole seconds of a Go duration string (`90s`, `1m`), or undefined when unset or invalid. */
export function durationSeconds(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const ms = parseDuration(text);
  return ms === undefined ? undefined : Math.floor(ms / 1000);
}

export function resolvePassword(
  ref: { name?: string; key: string } | undefined,
  secrets: SecretValues | undefined,
): PeerPassword | undefined {
  if (!ref) return undefined;
  const value = secrets?.[ref.name ?? '']?.[ref.key];
  if (value === undefined) return { problem: `secret ${ref.name ?? ''}/${ref.key} not found` };
  return { value };
}

interface Context {
  cluster: ClusterView;
  self: NodeFacts;
  local: LocalFamily;
  family: IPFamily;
  secrets: SecretValues | undefined;
  peers: Map<string, PeerRecord>;
  selectors: Map<string, Selector | null>;
}

/** Every session of `cluster.self` in `family`, sorted by protocol name. */
export function computePeers(
  cluster: ClusterView,
  family: IPFamily,
  bgpPeers: readonly BGPPeer[],
  secrets: SecretValues | undefined,
): PeerRecord[] {
  const self = cluster.self;
  const local = self && addressOf(self, family);
  if (!self || !local) return [];
  const ctx: Context = { cluster, self, local, family, secrets, peers: new Map(), selectors: new Map() };
  const sorted = [...bgpPeers].sort((a, b) => compareNames(a.metadata.name, b.metadata.name));
  addMesh(ctx);
  for (const p of sorted) if (isGlobal(p.spec ?? {})) addExplicit(ctx, p, 'Global');
  for (const p of sorted) {
    const spec = p.spec ?? {};
    if (!isGlobal(spec) && appliesTo(ctx, spec, self)) addExplicit(ctx, p, 'Node');
  }
  for (const p of sorted) addReverse(ctx, p);
  return [...ctx.peers.values()].sort((a, b) => compareNames(a.name, b.name));
}

function addMesh(ctx: Context): void {
  const { cluster, self, local } = ctx;
  if (!cluster.meshEnabled || self.clusterId) return;
  const password = resolvePassword(cluster.global.nodeMeshPassword?.secretKeyRef, ctx.secrets);
  const restart = durationSeconds(cluster.global.nodeMeshMaxRestartTime);
  for (const other of cluster.nodes) {
    const addr = addressOf(other, ctx.family);
    if (other.name === self.name || !addr || addr.ip === local.ip || other.clusterId) continue;
    add(ctx, {
      ...session(ctx, 'Mesh', addr.ip, other.listenPort, other.asNumber, undefined, other),
      sourceAddress: local.ip,
      passive: isPassiveTowards(addr.ip, local.ip),
      password,
      restartTimeSeconds: restart,
      origin: `node-to-node mesh with ${other.name}`,
    });
  }
}

/** A global or node-specific BGPPeer that applies to this node. */
function addExplicit(ctx: Context, p: BGPPeer, type: 'Global' | 'Node'): void {
  const spec = p.spec ?? {};
  const origin = `BGPPeer ${p.metadata.name ?? ''}`;
  if (spec.peerIP) {
    const target = parseIPPort(spec.peerIP);
    if (!target || target.addr.family !== ctx.family) return;
    const ip = formatIP(target.addr);
    if (ip === ctx.local.ip) return;
    const as = parseASNumber(spec.asNumber) || ctx.cluster.globalAS;
    const node = ctx.cluster.nodeWithIP(ip);
    // A Calico node listening on a non-default port is reached there unless the peer says otherwise.
    const port = target.port || (node && node.asNumber === as ? node.listenPort : undefined);
    const rec = fromSpec(ctx, spec, session(ctx, type, ip, port, as, spec, node), origin);
    // Global peerings to other Calico nodes get the mesh's passive rule; node-specific ones do not.
    if (type === 'Global' && node) rec.passive = isPassiveTowards(ip, ctx.local.ip);
    const via = spec.reachableBy ? tryParseIP(spec.reachableBy) : undefined;
    if (via && via.family === ctx.family) rec.reachableBy = formatIP(via);
    add(ctx, rec);
    return;
  }
  const sel = selector(ctx, spec.peerSelector);
  if (!sel) return;
  for (const node of ctx.cluster.nodes) {
    const addr = addressOf(node, ctx.family);
    if (node.name === ctx.self.name || !addr || addr.ip === ctx.local.ip || !sel.evaluate(node.labels))
      continue;
    add(
      ctx,
      fromSpec(ctx, spec, session(ctx, type, addr.ip, node.listenPort, node.asNumber, spec, node), origin),
    );
  }
}

/** This node is a remote end of `p`: it peers back with every node `p` applies to. */
function addReverse(ctx: Context, p: BGPPeer): void {
  const spec = p.spec ?? {};
  if (spec.reversePeering === 'Manual' || !isRemoteOf(ctx, spec)) return;
  const origin = `BGPPeer ${p.metadata.name ?? ''} (reverse peering)`;
  for (const node of ctx.cluster.nodes) {
    const addr = addressOf(node, ctx.family);
    if (node.name === ctx.self.name || !addr || addr.ip === ctx.local.ip) continue;
    if (!isGlobal(spec) && !appliesTo(ctx, spec, node)) continue;
    // Session options (password, timers, TTL, source address) apply to both ends; AS and next-hop
    // handling described the other end's side, so they are not carried over.
    const reverse: BGPPeerSpec = {
      ...spec,
      localASNumber: undefined,
      nextHopMode: undefined,
      keepOriginalNextHop: undefined,
    };
    add(
      ctx,
      fromSpec(
        ctx,
        reverse,
        session(ctx, 'Node', addr.ip, node.listenPort, node.asNumber, reverse, node),
        origin,
      ),
    );
  }
}

/** True if this node is what `spec` peers with: selected by peerSelector, or its address and AS. */
function isRemoteOf(ctx: Context, spec: BGPPeerSpec): boolean {
  if (spec.peerIP) {
    const target = parseIPPort(spec.peerIP);
    if (!target || target.addr.family !== ctx.family || formatIP(target.addr) !== ctx.local.ip) return false;
    const as = parseASNumber(spec.asNumber) || ctx.cluster.globalAS;
    return as === ctx.self.asNumber && (!target.port || target.port === (ctx.self.listenPort ?? BGP_PORT));
  }
  const sel = selector(ctx, spec.peerSelector);
  return sel !== undefined && sel.evaluate(ctx.self.labels);
}

/** The parts every kind of session shares: name, AS, iBGP/eBGP and route-reflector client status. */
function session(
  ctx: Context,
  type: PeerType,
  ip: string,
  port: number | undefined,
  asNumber: number,
  spec: BGPPeerSpec | undefined,
  peerNode: NodeFacts | undefined,
): PeerRecord {
  const localAS = spec ? parseASNumber(spec.localASNumber) || undefined : undefined;
  const internal = asNumber === (localAS ?? ctx.self.asNumber);
  const clusterId = ctx.self.clusterId;
  const rrClient = clusterId !== undefined && internal && peerNode?.clusterId !== clusterId;
  return {
    name: peerName(type, ip, port),
    type,
    family: ctx.family,
    ip,
    port,
    asNumber,
    localAS,
    passive: false,
    internal,
    rrClusterId: rrClient ? clusterId : undefined,
    origin: '',
  };
}

/** Fills the per-session options a BGPPeer carries. */
function fromSpec(ctx: Context, spec: BGPPeerSpec, base: PeerRecord, origin: string): PeerRecord {
  const rec: PeerRecord = { ...base, origin };
  if (spec.sourceAddress !== 'None') rec.sourceAddress = ctx.local.ip;
  if (spec.ttlSecurity) rec.ttlSecurity = spec.ttlSecurity;
  rec.password = resolvePassword(spec.password?.secretKeyRef, ctx.secrets);
  rec.restartTimeSeconds = durationSeconds(spec.maxRestartTime);
  const keepalive = durationSeconds(spec.keepaliveTime);
  if (keepalive) rec.keepaliveSeconds = keepalive;
  if (spec.nextHopMode === 'Self') rec.nextHop = 'self';
  else if (spec.nextHopMode === 'Keep') rec.nextHop = 'keep';
  // The deprecated flag only ever applied to eBGP sessions.
  else if (spec.keepOriginalNextHop && !rec.internal) rec.nextHop = 'keep';
  if (spec.numAllowedLocalASNumbers) rec.allowLocalAS = spec.numAllowedLocalASNumbers;
  return rec;
}

function add(ctx: Context, rec: PeerRecord): void {
  const key = `${rec.ip}|${rec.port ?? BGP_PORT}`;
  if (!ctx.peers.has(key)) ctx.peers.set(key, rec);
}

function isGlobal(spec: BGPPeerSpec): boolean {
  return !spec.node && !spec.nodeSelector;
}

function appliesTo(ctx: Context, spec: BGPPeerSpec, node: NodeFacts): boolean {
  if (spec.node) return spec.node === node.name;
  const sel = selector(ctx, spec.nodeSelector);
  return sel !== undefined && sel.evaluate(node.labels);
}

/** Parsed once per text; an unparsable selector (validation should have stopped it) selects nothing. */
function selector(ctx: Context, text: string | undefined): Selector | undefined {
  if (!text) return undefined;
  let sel = ctx.selectors.get(text);
  if (sel === undefined) {
    try {
      sel = parseSelector(text);
    } catch {
      sel = null;
    }
    ctx.selectors.set(text, sel);
  }
  return sel ?? undefined;
}

function compareNames(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}
