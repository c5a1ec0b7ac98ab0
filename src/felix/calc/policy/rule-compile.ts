/**
 * ParsedRule → ruleset rules for one IP family (Felix's policy.go): rules of the other family
 * are filtered out, and each Calico action becomes Felix's mark-and-return pair so the endpoint
 * chain that jumped to the policy sees the verdict.
 */
import type { Action, Family, Match, Rule, TableName, Chain } from './ruleset.js';
import { MARK_ACCEPT, MARK_PASS } from './ruleset.js';
import { ipSetName } from './names.js';
import type { Net, ParsedRule, SetDef } from './parsed-rule.js';

/** Matches every packet (shared: rules are never mutated). */
export const ANY: Match = Object.freeze({});
export const SET_ACCEPT: Action = { type: 'set-mark', value: MARK_ACCEPT, mask: MARK_ACCEPT };
export const SET_PASS: Action = { type: 'set-mark', value: MARK_PASS, mask: MARK_PASS };
export const IF_ACCEPT: Match = { mark: { value: MARK_ACCEPT, mask: MARK_ACCEPT } };
export const IF_PASS: Match = { mark: { value: MARK_PASS, mask: MARK_PASS } };
export const IF_NOT_PASS: Match = { mark: { value: 0, mask: MARK_PASS } };

// Rules are never mutated: the fixed ones are shared by every chain.
const DROP: Action = { type: 'drop' };
const RETURN_IF_ACCEPT: Rule = { match: IF_ACCEPT, action: { type: 'return' } };
const RETURN_IF_PASS: Rule = { match: IF_PASS, action: { type: 'return' } };

const NONE: string[] = [];
const PORT_PROTOCOLS = new Set<unknown>(['tcp', 'udp', 'sctp', 'udplite']);

/** Returns undefined when the list constrains addresses but none are of this family. */
function familyNets(nets: readonly Net[], family: Family): string[] | undefined {
  if (nets.length === 0) return NONE;
  let out: string[] | undefined;
  for (const n of nets) if (n.family === family) (out ??= []).push(n.cidr);
  return out;
}

function hasCatchAll(cidrs: readonly string[]): boolean {
  for (const c of cidrs) if (c.endsWith('/0')) return true;
  return false;
}

// Set names are derived from shared set definitions over and over.
const setNameCache: [Map<string, string>, Map<string, string>] = [new Map(), new Map()];

function setNames(sets: readonly SetDef[], family: Family, used: SetDef[]): string[] {
  const cache = setNameCache[family === 4 ? 0 : 1];
  const out: string[] = [];
  for (const s of sets) {
    used.push(s);
    let name = cache.get(s.id);
    if (name === undefined) {
      name = ipSetName(family, s.id);
      if (cache.size >= 100_000) cache.clear();
      cache.set(s.id, name);
    }
    out.push(name);
  }
  return out;
}

/**
 * The match of one rule in `family`, or undefined if the rule does not exist in that family
 * (Felix's FilterRuleToIPVersion). Sets the rule references are appended to `used`.
 */
export function ruleMatch(r: ParsedRule, family: Family, used: SetDef[]): Match | undefined {
  if (r.ipVersion !== undefined && r.ipVersion !== family) return undefined;
  // ICMP of the other family can never match (and ip6tables cannot even express it).
  if (r.protocol === (family === 4 ? 'icmpv6' : 'icmp')) return undefined;
  // Validation requires a port protocol with numeric ports; never render ports without one.
  const ports = r.srcPorts.length + r.notSrcPorts.length + r.dstPorts.length + r.notDstPorts.length;
  if (ports > 0 && !PORT_PROTOCOLS.has(r.protocol)) return undefined;
  const srcNets = familyNets(r.srcNets, family);
  const notSrcNets = familyNets(r.notSrcNets, family);
  const dstNets = familyNets(r.dstNets, family);
  const notDstNets = familyNets(r.notDstNets, family);
  if (!srcNets || !notSrcNets || !dstNets || !notDstNets) return undefined;
  // "Not in 0.0.0.0/0" can never hold.
  if (hasCatchAll(notSrcNets) || hasCatchAll(notDstNets)) return undefined;

  const m: Match = {};
  if (r.protocol !== undefined) m.protocol = r.protocol;
  if (r.notProtocol !== undefined) m.notProtocol = r.notProtocol;
  if (srcNets.length) m.srcNets = srcNets;
  if (notSrcNets.length) m.notSrcNets = notSrcNets;
  if (dstNets.length) m.dstNets = dstNets;
  if (notDstNets.length) m.notDstNets = notDstNets;
  if (r.srcSets.length) m.srcSets = setNames(r.srcSets, family, used);
  if (r.notSrcSets.length) m.notSrcSets = setNames(r.notSrcSets, family, used);
  if (r.dstSets.length) m.dstSets = setNames(r.dstSets, family, used);
  if (r.notDstSets.length) m.notDstSets = setNames(r.notDstSets, family, used);
  if (r.srcPortSets.length) m.srcPortSets = setNames(r.srcPortSets, family, used);
  if (r.notSrcPortSets.length) m.notSrcPortSets = setNames(r.notSrcPortSets, family, used);
  if (r.dstPortSets.length) m.dstPortSets = setNames(r.dstPortSets, family, used);
  if (r.notDstPortSets.length) m.notDstPortSets = setNames(r.notDstPortSets, family, used);
  if (r.srcPorts.length) m.srcPorts = r.srcPorts;
  if (r.notSrcPorts.length) m.notSrcPorts = r.notSrcPorts;
  if (r.dstPorts.length) m.dstPorts = r.dstPorts;
  if (r.notDstPorts.length) m.notDstPorts = r.notDstPorts;
  if (r.icmp) m.icmp = r.icmp;
  if (r.notIcmp) m.notIcmp = r.notIcmp;
  return m;
}

/** What the policy or profile is, for log prefixes and comments. */
export interface RuleOwner {
  /** `Policy np/ns/name` or `Profile kns.ns`. */
  describe: string;
  tier: string;
  /** Felix's short kind (`np`, `gnp`, `knp`, `pro`). */
  kind: string;
  name: string;
  namespace: string;
}

/** Felix's LogPrefix substitutions: %t tier, %k kind, %n name, %p namespace/name (or name). */
export function logPrefix(template: string, o: RuleOwner): string {
  return template.replace(/%[tknp]/g, (k) => {
    switch (k) {
      case '%t':
        return o.tier;
      case '%k':
        return o.kind;
      case '%n':
        return o.name;
      default:
        return o.namespace ? `${o.namespace}/${o.name}` : o.name;
    }
  });
}

/** The rules of a policy or profile chain, and the sets they reference. */
export function compileChain(
  name: string,
  table: TableName,
  rules: readonly ParsedRule[],
  family: Family,
  owner: RuleOwner,
  direction: 'ingress' | 'egress',
  logTemplate: string,
): { chain: Chain; sets: SetDef[] } {
  const out: Rule[] = [];
  const used: SetDef[] = [];
  for (const r of rules) {
    const match = ruleMatch(r, family, used);
    if (!match) continue;
    switch (r.action) {
      case 'allow':
        out.push({ match, action: SET_ACCEPT }, RETURN_IF_ACCEPT);
        break;
      case 'pass':
        out.push({ match, action: SET_PASS }, RETURN_IF_PASS);
        break;
      case 'deny':
        out.push({ match, action: DROP });
        break;
      case 'log':
        out.push({ match, action: { type: 'log', prefix: logPrefix(logTemplate, owner) } });
        break;
    }
  }
  // Falling off the end of a chain returns anyway.
  while (out.length && out[out.length - 1].action.type === 'return') out.pop();
  if (out.length)
    out[0] = { match: out[0].match, action: out[0].action, comment: `${owner.describe} ${direction}` };
  return { chain: { name, table, rules: out }, sets: used };
}
