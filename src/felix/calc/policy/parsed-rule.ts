/**
 * Felix's rule scanner: a v3 rule (after the v1 selector rewriting) becomes a ParsedRule whose
 * selectors and named ports are replaced by set definitions. Family-independent; the compiler
 * filters per family later.
 */
import { parsePort, type Port } from '../../../api/common/ports.js';
import { tryParseProtocol } from '../../../api/common/protocol.js';
import type { Rule as ApiRule, EntityRule } from '../../../api/kinds/rule.js';
import { makeUniqueId, type Selector } from '../../../selector/index.js';
import { canonicalCIDR, tryParseCIDR, type IPFamily } from '../../../net/index.js';
import type { PortRange, Protocol } from './ruleset.js';
import { cachedSelector, entitySelector } from './selectors.js';

export type RuleAction = 'allow' | 'deny' | 'pass' | 'log';
export type NamedPortProto = 'tcp' | 'udp' | 'sctp';

/** An IP set the rules need: a selector's addresses, or (address, proto, port) of a named port. */
export interface SetDef {
  /** Calico's IP set unique ID: the selector's `s:…`, or `n:…` for a named port. */
  id: string;
  selector: Selector;
  namedPort?: { name: string; proto: NamedPortProto };
}

export interface Net {
  cidr: string;
  family: IPFamily;
}

export interface ParsedRule {
  action: RuleAction;
  ipVersion?: IPFamily;
  protocol?: Protocol;
  notProtocol?: Protocol;
  icmp?: { type: number; code?: number };
  notIcmp?: { type: number; code?: number };
  srcNets: Net[];
  notSrcNets: Net[];
  dstNets: Net[];
  notDstNets: Net[];
  srcPorts: PortRange[];
  notSrcPorts: PortRange[];
  dstPorts: PortRange[];
  notDstPorts: PortRange[];
  srcSets: SetDef[];
  notSrcSets: SetDef[];
  dstSets: SetDef[];
  notDstSets: SetDef[];
  srcPortSets: SetDef[];
  notSrcPortSets: SetDef[];
  dstPortSets: SetDef[];
  notDstPortSets: SetDef[];
}

const PROTO_NAMES: Record<number, Protocol> = {
  1: 'icmp',
  6: 'tcp',
  17: 'udp',
  58: 'icmpv6',
  132: 'sctp',
  136: 'udplite',
};

/** A v3 protocol as the ruleset spells it: a name both backends know, else the number. */
export function irProtocol(v: string | number | undefined): Protocol | undefined {
  if (v === undefined || v === '') return undefined;
  const p = tryParseProtocol(v);
  if (p === undefined) return undefined;
  if (typeof p === 'number') return PROTO_NAMES[p] ?? p;
  return p.toLowerCase() as Protocol;
}

// Rules repeat the same CIDRs, selectors and named ports: memoise the expensive parts.
const MAX_CACHED = 50_000;
function memo<V>(cache: Map<string, V>, key: string, make: () => V): V {
  let v = cache.get(key);
  if (v === undefined) {
    v = make();
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, v);
  }
  return v;
}

const netCache = new Map<string, Net | null>();

// Most rule fields are empty: share one empty list (ParsedRules are never mutated).
const EMPTY: never[] = [];

function nets(list: string[] | undefined): Net[] {
  if (!list || list.length === 0) return EMPTY;
  const out: Net[] = [];
  for (const n of list ?? []) {
    const net = memo(netCache, n, () => {
      // NetworkSet-style bare addresses are tolerated; validation rejects them in rules.
      const c = tryParseCIDR(n, { allowBareIP: true });
      return c ? { cidr: canonicalCIDR(n.includes('/') ? n : `${n}/${c.prefix}`), family: c.family } : null;
    });
    if (net) out.push(net);
  }
  return out;
}

const NO_PORTS = { numeric: EMPTY, named: EMPTY };

function splitPorts(list: (string | number)[] | undefined): { numeric: PortRange[]; named: string[] } {
  if (!list || list.length === 0) return NO_PORTS;
  const numeric: PortRange[] = [];
  const named: string[] = [];
  for (const v of list ?? []) {
    let p: Port;
    try {
      p = parsePort(v);
    } catch {
      continue;
    }
    if (p.portName) named.push(p.portName);
    else numeric.push({ first: p.minPort, last: p.maxPort });
  }
  return { numeric, named };
}

const selectorSetCache = new Map<string, SetDef>();

function selectorSet(text: string): SetDef[] {
  if (text === '') return EMPTY;
  return [
    memo(selectorSetCache, text, () => {
      const selector = cachedSelector(text);
      return { id: selector.uniqueId(), selector };
    }),
  ];
}

const portSetCache = new Map<string, SetDef>();

const ALL_TEXT = 'all()';

function namedPortSets(names: string[], positive: string, proto: NamedPortProto): SetDef[] {
  if (names.length === 0) return EMPTY;
  // Felix filters a named port by the direction's positive selector (all() when there is none).
  const text = positive === '' ? ALL_TEXT : positive;
  return names.map((name) =>
    memo(portSetCache, `${text}\0${proto}\0${name}`, () => {
      const selector = cachedSelector(text);
      return {
        id: makeUniqueId('n', `${selector.uniqueId()},${proto},${name}`),
        selector,
        namedPort: { name, proto },
      };
    }),
  );
}

/** Positive and negated selectors folded into one when possible (Felix's combineMatchesIfPossible). */
function combine(positive: string, negated: string): [string, string] {
  if (positive === '' || negated === '') return [positive, negated];
  return [`(${positive}) && (!(${negated}))`, ''];
}

function icmpOf(
  f: { type?: number; code?: number } | undefined,
): { type: number; code?: number } | undefined {
  if (!f || typeof f.type !== 'number') return undefined;
  return typeof f.code === 'number' ? { type: f.type, code: f.code } : { type: f.type };
}

const entityCache = new Map<string, string>();

// The usual entity has a selector and nothing else: by namespace, then selector text.
const plainEntityCache = new Map<string, Map<string, string>>();

function plainEntitySelector(e: EntityRule & { selector: string }, ns: string): string {
  let m = plainEntityCache.get(ns);
  if (!m) {
    if (plainEntityCache.size >= MAX_CACHED) plainEntityCache.clear();
    plainEntityCache.set(ns, (m = new Map()));
  }
  let sel = m.get(e.selector);
  if (sel === undefined) {
    sel = entitySelector(e, ns);
    if (m.size >= MAX_CACHED) m.clear();
    m.set(e.selector, sel);
  }
  return sel;
}

function side(e: EntityRule | undefined, ns: string, proto: NamedPortProto) {
  let sel = '';
  if (e?.selector && !e.namespaceSelector && !e.serviceAccounts && !e.notSelector) {
    sel = plainEntitySelector(e as EntityRule & { selector: string }, ns);
  } else if (e && (e.selector || e.namespaceSelector || e.serviceAccounts || e.notSelector)) {
    // Exactly what entitySelector reads (absent and empty mean the same there); selectors and
    // names cannot hold NUL or \x01.
    const sa = e.serviceAccounts;
    const saKey = sa ? `${sa.selector ?? ''}\x01${(sa.names ?? []).join('\x01')}` : '';
    const k = `${ns}\0${e.selector ?? ''}\0${e.namespaceSelector ?? ''}\0${saKey}\0${e.notSelector?.trim() ? 1 : 0}`;
    sel = memo(entityCache, k, () => entitySelector(e, ns));
  }
  const [pos, neg] = combine(sel, e?.notSelector?.trim() ?? '');
  const ports = splitPorts(e?.ports);
  const notPorts = splitPorts(e?.notPorts);
  return {
    nets: nets(e?.nets),
    notNets: nets(e?.notNets),
    ports: ports.numeric,
    notPorts: notPorts.numeric,
    portSets: namedPortSets(ports.named, pos, proto),
    notPortSets: namedPortSets(notPorts.named, pos, proto),
    // The plain selector set is redundant when only named ports constrain this side: their sets
    // are already filtered by the selector.
    sets: ports.numeric.length > 0 || ports.named.length === 0 ? selectorSet(pos) : EMPTY,
    notSets: selectorSet(neg),
  };
}

/**
 * Converts one v3 rule of a policy in `namespace` ("" for global policies and profiles).
 * Returns undefined for rules Felix cannot render (services, unknown action).
 */
export function parseRule(r: ApiRule, namespace: string): ParsedRule | undefined {
  const action = r.action?.toLowerCase();
  if (action !== 'allow' && action !== 'deny' && action !== 'pass' && action !== 'log') return undefined;
  // Service matches need the Kubernetes service index, which the policy input does not carry.
  if (r.source?.services || r.destination?.services) return undefined;
  const protocol = irProtocol(r.protocol);
  let proto: NamedPortProto = 'tcp';
  if (protocol === 'udp' || protocol === 'sctp') proto = protocol;
  const src = side(r.source, namespace, proto);
  const dst = side(r.destination, namespace, proto);
  const out: ParsedRule = {
    action,
    srcNets: src.nets,
    notSrcNets: src.notNets,
    dstNets: dst.nets,
    notDstNets: dst.notNets,
    srcPorts: src.ports,
    notSrcPorts: src.notPorts,
    dstPorts: dst.ports,
    notDstPorts: dst.notPorts,
    srcSets: src.sets,
    notSrcSets: src.notSets,
    dstSets: dst.sets,
    notDstSets: dst.notSets,
    srcPortSets: src.portSets,
    notSrcPortSets: src.notPortSets,
    dstPortSets: dst.portSets,
    notDstPortSets: dst.notPortSets,
  };
  if (r.ipVersion === 4 || r.ipVersion === 6) out.ipVersion = r.ipVersion;
  if (protocol !== undefined) out.protocol = protocol;
  const notProtocol = irProtocol(r.notProtocol);
  if (notProtocol !== undefined) out.notProtocol = notProtocol;
  const icmp = icmpOf(r.icmp);
  if (icmp) out.icmp = icmp;
  const notIcmp = icmpOf(r.notICMP);
  if (notIcmp) out.notIcmp = notIcmp;
  return out;
}

/** Every set a list of rules references. */
export function setsOf(rules: readonly ParsedRule[]): SetDef[] {
  const out: SetDef[] = [];
  for (const r of rules) {
    out.push(
      ...r.srcSets,
      ...r.notSrcSets,
      ...r.dstSets,
      ...r.notDstSets,
      ...r.srcPortSets,
      ...r.notSrcPortSets,
      ...r.dstPortSets,
      ...r.notDstPortSets,
    );
  }
  return out;
}
