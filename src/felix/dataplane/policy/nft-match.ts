/**
 * One IR rule → nft rule bodies (matches + statement, no comment). A Match is an AND of fields, but
 * a few fields are ORs across different expressions (numeric ports OR named-port sets, ct state OR
 * ct status dnat) that one nft rule cannot say; such a rule becomes one rule per alternative, each
 * alternative guarded by the negation of the ones before it, so at most one of them matches a
 * packet and any action (a jump, a log) runs at most once.
 */
import { DataplaneError } from '../../errors.js';
import type { Action, CtState, Family, Match, PortRange, Protocol, Rule } from '../../calc/policy/ruleset.js';
import { nftSetName } from './nft-model.js';

export interface MatchContext {
  family: Family;
  /** The nft name of a chain the rule jumps to (throws for an unknown chain). */
  chainRef: (chain: string) => string;
  /**
   * Rendered matches by object, for one rendering pass: the compiler shares its constant matches
   * (conntrack, mark tests) across thousands of rules. Not kept longer (a WeakMap entry per rule
   * made the garbage collector slower than rendering).
   */
  memo?: Map<Match, string[]>;
}

export function invalid(message: string): DataplaneError {
  return new DataplaneError('unsupported', `the policy ruleset cannot be rendered for nftables: ${message}`, {
    code: 'VALIDATION',
  });
}

export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

const PROTOCOL_NAMES: Record<string, string> = {
  tcp: 'tcp',
  udp: 'udp',
  sctp: 'sctp',
  udplite: 'udplite',
  icmp: 'icmp',
  icmpv6: 'ipv6-icmp',
};

function protocol(p: Protocol): string {
  if (typeof p === 'number') {
    if (!Number.isInteger(p) || p < 0 || p > 255) throw invalid(`protocol ${p} is not 0-255`);
    return String(p);
  }
  const name = PROTOCOL_NAMES[p];
  if (!name) throw invalid(`unknown protocol ${String(p)}`);
  return name;
}

function ports(list: PortRange[]): string {
  const items = list.map((r) => {
    for (const n of [r.first, r.last]) {
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw invalid(`port ${n} is not 0-65535`);
    }
    return r.first === r.last ? String(r.first) : `${r.first}-${r.last}`;
  });
  return items.length === 1 ? items[0] : `{ ${items.join(', ')} }`;
}

function anonSet(items: string[]): string {
  return items.length === 1 ? items[0] : `{ ${items.join(', ')} }`;
}

function iface(name: string): string {
  if (!/^[A-Za-z0-9_.@:-]+\+?$/.test(name)) throw invalid(`interface name ${JSON.stringify(name)}`);
  return `"${name.endsWith('+') ? `${name.slice(0, -1)}*` : name}"`;
}

function setRef(name: string): string {
  const n = nftSetName(name);
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(n)) throw invalid(`set name ${JSON.stringify(name)}`);
  return `@${n}`;
}

/** A printable-ASCII string without the quote and backslash nft cannot take inside quotes. */
export function quoteText(text: string, max: number): string {
  return text.replace(/[^\x20-\x7e]|["\\]/g, '_').slice(0, max);
}

/** One OR-alternative: its positive form and its negation. */
interface Alt {
  pos: string;
  neg: string;
}

type Slot = string | Alt[];

function ctStateAlts(states: CtState[], negate: boolean): Slot[] {
  const plain = states.filter((s) => s !== 'dnat');
  const alts: Alt[] = [];
  if (plain.length === 1) alts.push({ pos: `ct state ${plain[0]}`, neg: `ct state != ${plain[0]}` });
  else if (plain.length > 1) {
    // ct state is a bit mask (one bit set per packet): a mask test, not an anonymous set, which
    // the kernel would hold once per rule (and nft would list on every run).
    alts.push({
      pos: `ct state ${plain.join(',')}`,
      neg: `ct state & (${plain.join(' | ')}) == 0`,
    });
  }
  if (states.includes('dnat')) alts.push({ pos: 'ct status dnat', neg: 'ct status != dnat' });
  // "none of": every negation holds (AND); "one of": an OR-group when it spans two expressions.
  if (negate) return alts.map((a) => a.neg);
  return alts.length > 1 ? [alts] : alts.map((a) => a.pos);
}

function markMatch(m: { value: number; mask: number }, op: '==' | '!='): string {
  return `meta mark & ${hex(m.mask)} ${op} ${hex(m.value)}`;
}

/** The match's slots in a fixed order: plain fragments, or OR-groups of alternatives. */
function slots(m: Match, ctx: MatchContext): Slot[] {
  const ip = ctx.family === 4 ? 'ip' : 'ip6';
  const out: Slot[] = [];
  if (m.iif) out.push(`iifname ${iface(m.iif)}`);
  if (m.notIif) out.push(`iifname != ${iface(m.notIif)}`);
  if (m.oif) out.push(`oifname ${iface(m.oif)}`);
  if (m.notOif) out.push(`oifname != ${iface(m.notOif)}`);
  if (m.protocol !== undefined) out.push(`meta l4proto ${protocol(m.protocol)}`);
  if (m.notProtocol !== undefined) out.push(`meta l4proto != ${protocol(m.notProtocol)}`);
  for (const [dir, nets, notNets, sets, notSets] of [
    ['saddr', m.srcNets, m.notSrcNets, m.srcSets, m.notSrcSets],
    ['daddr', m.dstNets, m.notDstNets, m.dstSets, m.notDstSets],
  ] as const) {
    if (nets?.length) out.push(`${ip} ${dir} ${anonSet(nets)}`);
    if (notNets?.length) out.push(`${ip} ${dir} != ${anonSet(notNets)}`);
    for (const s of sets ?? []) out.push(`${ip} ${dir} ${setRef(s)}`);
    for (const s of notSets ?? []) out.push(`${ip} ${dir} != ${setRef(s)}`);
  }
  for (const [dir, addr, list, portSets, notList, notPortSets] of [
    ['sport', 'saddr', m.srcPorts, m.srcPortSets, m.notSrcPorts, m.notSrcPortSets],
    ['dport', 'daddr', m.dstPorts, m.dstPortSets, m.notDstPorts, m.notDstPortSets],
  ] as const) {
    const alts: Alt[] = [];
    if (list?.length) {
      const p = ports(list);
      alts.push({ pos: `th ${dir} ${p}`, neg: `th ${dir} != ${p}` });
    }
    for (const s of portSets ?? []) {
      const key = `${ip} ${addr} . meta l4proto . th ${dir}`;
      alts.push({ pos: `${key} ${setRef(s)}`, neg: `${key} != ${setRef(s)}` });
    }
    if (alts.length === 1) out.push(alts[0].pos);
    else if (alts.length > 1) out.push(alts);
    if (notList?.length) out.push(`th ${dir} != ${ports(notList)}`);
    for (const s of notPortSets ?? []) out.push(`${ip} ${addr} . meta l4proto . th ${dir} != ${setRef(s)}`);
  }
  const icmp = ctx.family === 4 ? 'icmp' : 'icmpv6';
  if (m.icmp) {
    out.push(
      `${icmp} type ${m.icmp.type}` + (m.icmp.code !== undefined ? ` ${icmp} code ${m.icmp.code}` : ''),
    );
  }
  if (m.notIcmp) {
    out.push(
      m.notIcmp.code !== undefined
        ? `${icmp} type . ${icmp} code != { ${m.notIcmp.type} . ${m.notIcmp.code} }`
        : `${icmp} type != ${m.notIcmp.type}`,
    );
  }
  if (m.ctState?.length) out.push(...ctStateAlts(m.ctState, false));
  if (m.notCtState?.length) out.push(...ctStateAlts(m.notCtState, true));
  if (m.mark) out.push(markMatch(m.mark, '=='));
  if (m.notMark) out.push(markMatch(m.notMark, '!='));
  if (m.dstLocal !== undefined) out.push(m.dstLocal ? 'fib daddr type local' : 'fib daddr type != local');
  return out;
}

export function renderAction(a: Action, ctx: MatchContext): string {
  switch (a.type) {
    case 'accept':
    case 'drop':
    case 'return':
    case 'notrack':
      return a.type;
    case 'jump':
    case 'goto':
      return `${a.type} ${ctx.chainRef(a.chain)}`;
    case 'set-mark': {
      if (a.mask >>> 0 === 0xffffffff) return `meta mark set ${hex(a.value)}`;
      const keep = `meta mark & ${hex(~a.mask)}`;
      return `meta mark set ${keep}${a.value ? ` | ${hex(a.value)}` : ''}`;
    }
    case 'log':
      return `log prefix "${quoteText(a.prefix, 127)}"`;
    default:
      throw invalid(`unknown action ${JSON.stringify(a)}`);
  }
}

/** `meta mark set …` by (value, mask): a handful of distinct ones, in every endpoint chain. */
const setMarkText = new Map<string, string>();

/** The rendered prefixes of a match (one per alternative), each empty or ending in a space. */
function matchPrefixes(m: Match, ctx: MatchContext): string[] {
  let out = ctx.memo?.get(m);
  if (out) return out;
  let bodies: string[][] = [[]];
  for (const slot of slots(m, ctx)) {
    if (typeof slot === 'string') {
      for (const b of bodies) b.push(slot);
      continue;
    }
    bodies = bodies.flatMap((b) =>
      slot.map((alt, j) => [...b, ...slot.slice(0, j).map((x) => x.neg), alt.pos]),
    );
  }
  out = bodies.map((b) => (b.length ? b.join(' ') + ' ' : ''));
  ctx.memo?.set(m, out);
  return out;
}

/** The nft bodies of one rule (usually one; one per alternative of its OR-groups). */
export function renderRule(rule: Rule, ctx: MatchContext): string[] {
  const a = rule.action;
  let action: string | undefined;
  if (a.type === 'set-mark') {
    const key = `${a.value >>> 0}/${a.mask >>> 0}`;
    action = setMarkText.get(key);
    if (action === undefined) setMarkText.set(key, (action = renderAction(a, ctx)));
  } else {
    action = renderAction(a, ctx);
  }
  const prefixes = matchPrefixes(rule.match, ctx);
  return prefixes.length === 1 ? [prefixes[0] + action] : prefixes.map((p) => p + action);
}
