/**
 * One IR rule as iptables rule bodies (matches + action, no hash comment). iptables ANDs every
 * match of a rule and cannot repeat `-s`/`-d`/`-i`/`-o`/`-p`, so what does not fit one rule is
 * evaluated the way Felix does it (spec §3.6), with "match blocks" on the two scratch mark bits:
 * Scratch0 = "every block so far matched", Scratch1 = "some alternative of this block matched".
 *
 *   -j MARK --set-xmark S0/S0|S1                     (start: all pass, none seen)
 *   -m mark --mark S0/S0 <alt i> -j MARK --set-xmark S1/S1      (an OR block, per alternative)
 *   -m mark --mark 0/S1 -j MARK --set-xmark 0/S0                 (... no alternative matched)
 *   -m mark --mark S0/S0 <alt i> -j MARK --set-xmark 0/S0       (a none-of block, per alternative)
 *   -m mark --mark S0/S0 <the rest of the match> <action>       (the rule itself)
 *
 * A rule whose lists fit in one rule (the usual case) stays one rule. Pure.
 */
import {
  MARK_SCRATCH0,
  MARK_SCRATCH1,
  type Action,
  type CtState,
  type Family,
  type Match,
  type PortRange,
  type Protocol,
  type Rule,
} from '../../calc/policy/ruleset.js';

/** `-m multiport` takes at most 15 "slots"; a port takes one, a range two. */
export const MULTIPORT_SLOTS = 15;
/** The kernel's LOG target keeps at most 29 characters of prefix. */
export const LOG_PREFIX_MAX = 29;
/** The comment match keeps at most 255 characters. */
export const COMMENT_MAX = 255;

export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** Port lists cut into groups of at most 15 slots, in order (Felix's SplitPortList). */
export function splitPorts(ports: readonly PortRange[]): PortRange[][] {
  const out: PortRange[][] = [];
  let cur: PortRange[] = [];
  let slots = 0;
  for (const p of ports) {
    const n = p.first === p.last ? 1 : 2;
    if (slots + n > MULTIPORT_SLOTS) {
      out.push(cur);
      cur = [];
      slots = 0;
    }
    cur.push(p);
    slots += n;
  }
  if (cur.length) out.push(cur);
  return out;
}

function portList(ports: readonly PortRange[]): string {
  return ports.map((p) => (p.first === p.last ? `${p.first}` : `${p.first}:${p.last}`)).join(',');
}

export function protocolName(p: Protocol, family: Family): string {
  if (p === 'icmpv6' || (p === 'icmp' && family === 6)) return 'ipv6-icmp';
  return String(p);
}

const CT: Record<CtState, string> = {
  established: 'ESTABLISHED',
  related: 'RELATED',
  invalid: 'INVALID',
  new: 'NEW',
  untracked: 'UNTRACKED',
  dnat: 'DNAT',
};

function ctList(states: readonly CtState[]): string {
  return states.map((s) => CT[s]).join(',');
}

function icmpMatch(icmp: { type: number; code?: number }, family: Family, negate: boolean): string {
  const tc = icmp.code === undefined ? `${icmp.type}` : `${icmp.type}/${icmp.code}`;
  const not = negate ? '! ' : '';
  return family === 6 ? `-m icmp6 ${not}--icmpv6-type ${tc}` : `-m icmp ${not}--icmp-type ${tc}`;
}

/** Text safe inside a double-quoted iptables-restore argument. */
export function safeText(text: string, max: number): string {
  return text.replace(/[^A-Za-z0-9 _.,:;/=+@#()[\]{}<>|*-]/g, '_').slice(0, max);
}

export function renderAction(a: Action): string {
  switch (a.type) {
    case 'accept':
      return '-j ACCEPT';
    case 'drop':
      return '-j DROP';
    case 'return':
      return '-j RETURN';
    case 'jump':
      return `-j ${a.chain}`;
    case 'goto':
      return `-g ${a.chain}`;
    case 'set-mark':
      // (mark & ~mask) | value: XOR after zeroing is OR, as long as the mask covers the value.
      return `-j MARK --set-xmark ${hex(a.value)}/${hex(a.mask | a.value)}`;
    case 'log':
      return `-j LOG --log-prefix "${safeText(a.prefix, LOG_PREFIX_MAX)}" --log-level 5`;
    case 'notrack':
      return '-j NOTRACK';
  }
}

interface Block {
  /** `any`: at least one alternative matches; `none`: no alternative matches. */
  kind: 'any' | 'none';
  alts: string[];
}

/** The matches of `m`: what fits in one rule, and the blocks for the rest. */
export function splitMatch(m: Match, family: Family): { core: string[]; blocks: Block[] } {
  const core: string[] = [];
  const blocks: Block[] = [];
  const proto =
    m.protocol !== undefined
      ? protocolName(m.protocol, family)
      : m.icmp || m.notIcmp
        ? protocolName('icmp', family)
        : undefined;
  // Port and ICMP matches need the protocol in the same rule, also inside a block.
  const withProto = (frag: string): string => (proto ? `-p ${proto} ${frag}` : frag);

  const single = (flag: string, pos: string | undefined, neg: string | undefined): void => {
    if (pos !== undefined) core.push(`${flag} ${pos}`);
    if (neg !== undefined) {
      if (pos === undefined) core.push(`! ${flag} ${neg}`);
      else blocks.push({ kind: 'none', alts: [`${flag} ${neg}`] });
    }
  };
  const nets = (flag: string, pos: readonly string[] = [], neg: readonly string[] = []): void => {
    if (pos.length === 1) core.push(`${flag} ${pos[0]}`);
    else if (pos.length > 1) blocks.push({ kind: 'any', alts: pos.map((n) => `${flag} ${n}`) });
    if (neg.length === 1 && pos.length !== 1) core.push(`! ${flag} ${neg[0]}`);
    else if (neg.length) blocks.push({ kind: 'none', alts: neg.map((n) => `${flag} ${n}`) });
  };
  const ports = (
    dir: 'src' | 'dst',
    pos: readonly PortRange[] = [],
    posSets: readonly string[] = [],
    neg: readonly PortRange[] = [],
    negSets: readonly string[] = [],
  ): void => {
    const opt = dir === 'src' ? '--source-ports' : '--destination-ports';
    const flags = `${dir},${dir}`;
    const alts = [
      ...splitPorts(pos).map((g) => `-m multiport ${opt} ${portList(g)}`),
      ...posSets.map((s) => `-m set --match-set ${s} ${flags}`),
    ];
    if (alts.length === 1) core.push(alts[0]);
    else if (alts.length > 1) blocks.push({ kind: 'any', alts: alts.map(withProto) });
    for (const g of splitPorts(neg)) core.push(`-m multiport ! ${opt} ${portList(g)}`);
    for (const s of negSets) core.push(`-m set ! --match-set ${s} ${flags}`);
  };

  single('-i', m.iif, m.notIif);
  single('-o', m.oif, m.notOif);
  single('-p', proto, m.notProtocol === undefined ? undefined : protocolName(m.notProtocol, family));
  nets('-s', m.srcNets, m.notSrcNets);
  for (const s of m.srcSets ?? []) core.push(`-m set --match-set ${s} src`);
  for (const s of m.notSrcSets ?? []) core.push(`-m set ! --match-set ${s} src`);
  ports('src', m.srcPorts, m.srcPortSets, m.notSrcPorts, m.notSrcPortSets);
  nets('-d', m.dstNets, m.notDstNets);
  for (const s of m.dstSets ?? []) core.push(`-m set --match-set ${s} dst`);
  for (const s of m.notDstSets ?? []) core.push(`-m set ! --match-set ${s} dst`);
  ports('dst', m.dstPorts, m.dstPortSets, m.notDstPorts, m.notDstPortSets);
  if (m.icmp) core.push(icmpMatch(m.icmp, family, false));
  if (m.notIcmp) core.push(icmpMatch(m.notIcmp, family, true));
  if (m.ctState?.length) core.push(`-m conntrack --ctstate ${ctList(m.ctState)}`);
  if (m.notCtState?.length) core.push(`-m conntrack ! --ctstate ${ctList(m.notCtState)}`);
  if (m.mark) core.push(`-m mark --mark ${hex(m.mark.value)}/${hex(m.mark.mask)}`);
  if (m.notMark) core.push(`-m mark ! --mark ${hex(m.notMark.value)}/${hex(m.notMark.mask)}`);
  if (m.dstLocal === true) core.push('-m addrtype --dst-type LOCAL');
  else if (m.dstLocal === false) core.push('-m addrtype ! --dst-type LOCAL');
  return { core, blocks };
}

function joinParts(...parts: (string | undefined)[]): string {
  return parts.filter((p) => p).join(' ');
}

/** The rule bodies (in order) that implement `rule`; the text comment goes on the last one. */
export function expandRule(rule: Rule, family: Family): string[] {
  const { core, blocks } = splitMatch(rule.match, family);
  const comment = rule.comment ? `-m comment --comment "${safeText(rule.comment, COMMENT_MAX)}"` : undefined;
  const action = renderAction(rule.action);
  if (blocks.length === 0) return [joinParts(comment, ...core, action)];

  const s0 = hex(MARK_SCRATCH0);
  const s1 = hex(MARK_SCRATCH1);
  const ifAll = `-m mark --mark ${s0}/${s0}`;
  const out = [`-j MARK --set-xmark ${s0}/${hex(MARK_SCRATCH0 | MARK_SCRATCH1)}`];
  let s1Dirty = false;
  for (const b of blocks) {
    if (b.kind === 'any') {
      if (s1Dirty) out.push(`-j MARK --set-xmark 0x0/${s1}`);
      for (const alt of b.alts) out.push(`${ifAll} ${alt} -j MARK --set-xmark ${s1}/${s1}`);
      out.push(`-m mark --mark 0x0/${s1} -j MARK --set-xmark 0x0/${s0}`);
      s1Dirty = true;
    } else {
      for (const alt of b.alts) out.push(`${ifAll} ${alt} -j MARK --set-xmark 0x0/${s0}`);
    }
  }
  out.push(joinParts(comment, ifAll, ...core, action));
  return out;
}
