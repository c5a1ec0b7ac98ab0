/** BGPFilter (cluster-scoped): import/export rules that BGPPeers reference by name. */
import type { Checker } from '../check.js';
import { checkASNumber, normaliseASNumber } from '../common/asnumber.js';
import { checkEnum, checkIntRange } from '../common/fields.js';
import { checkCIDR } from '../common/ip-fields.js';
import { isSet, specOf, withSpec } from '../common/resource.js';
import type { KindDef } from '../kind.js';
import { S, type Schema } from '../schema.js';
import type { Resource } from '../types.js';
import { communityValueProblem } from './bgpconfiguration.js';

export const BGP_FILTER_ACTIONS = ['Accept', 'Reject'] as const;
export const BGP_FILTER_OPERATORS = ['Equal', 'NotEqual', 'In', 'NotIn'] as const;

export interface BGPFilterOperation {
  addCommunity?: { value: string };
  prependASPath?: { prefix: (number | string)[] };
  setPriority?: { value: number };
}

export interface BGPFilterRule {
  cidr?: string;
  prefixLength?: { min?: number; max?: number };
  source?: 'RemotePeers';
  interface?: string;
  matchOperator?: (typeof BGP_FILTER_OPERATORS)[number];
  peerType?: 'eBGP' | 'iBGP';
  communities?: { values: string[] };
  asPathPrefix?: (number | string)[];
  priority?: number;
  action: (typeof BGP_FILTER_ACTIONS)[number];
  operations?: BGPFilterOperation[];
}

export interface BGPFilterSpec {
  exportV4?: BGPFilterRule[];
  importV4?: BGPFilterRule[];
  exportV6?: BGPFilterRule[];
  importV6?: BGPFilterRule[];
}
export type BGPFilter = Resource<BGPFilterSpec>;

const RULE: Schema = S.object({
  cidr: S.string,
  prefixLength: S.object({ min: S.int, max: S.int }),
  source: S.string,
  interface: S.string,
  matchOperator: S.string,
  peerType: S.string,
  communities: S.object({ values: S.stringList }),
  asPathPrefix: S.array(S.intOrString),
  priority: S.int,
  action: S.string,
  operations: S.array(
    S.object({
      addCommunity: S.object({ value: S.string }),
      prependASPath: S.object({ prefix: S.array(S.intOrString) }),
      setPriority: S.object({ value: S.int }),
    }),
  ),
});

const RULE_LISTS = [
  ['exportV4', 4],
  ['importV4', 4],
  ['exportV6', 6],
  ['importV6', 6],
] as const;
const FILTER_INTERFACE = /^[a-zA-Z0-9_.*-]{1,15}$/;
const MAX_PRIORITY = 2147483646;

function checkCommunity(c: Checker, path: string, v: unknown): void {
  if (typeof v !== 'string') return;
  const problem = communityValueProblem(v);
  if (problem) c.fail(path, v, problem);
}

function checkRule(c: Checker, at: string, rule: BGPFilterRule, family: 4 | 6): void {
  const bits = family === 4 ? 32 : 128;
  if (isSet(rule.cidr)) {
    const max = family === 4 ? 18 : 43;
    if (rule.cidr!.length > max) c.fail(`${at}.cidr`, rule.cidr, `must be no more than ${max} characters`);
    else checkCIDR(c, `${at}.cidr`, rule.cidr, { family, strict: true });
  }
  if (isSet(rule.cidr) !== isSet(rule.matchOperator)) {
    c.fail(
      `${at}.matchOperator`,
      rule.matchOperator,
      'cidr and matchOperator must both be set or both be empty',
    );
  }
  if (rule.prefixLength !== undefined) {
    if (!isSet(rule.cidr))
      c.fail(`${at}.prefixLength`, rule.prefixLength, 'cidr is required when prefixLength is set');
    checkIntRange(c, `${at}.prefixLength.min`, rule.prefixLength.min, 0, bits);
    checkIntRange(c, `${at}.prefixLength.max`, rule.prefixLength.max, 0, bits);
  }
  checkEnum(c, `${at}.source`, rule.source, ['RemotePeers']);
  if (isSet(rule.interface)) {
    c.expect(
      rule.interface === '*' || FILTER_INTERFACE.test(rule.interface!),
      `${at}.interface`,
      rule.interface,
      `must be an interface name or pattern matching ${FILTER_INTERFACE.source}`,
    );
  }
  checkEnum(c, `${at}.matchOperator`, rule.matchOperator, BGP_FILTER_OPERATORS);
  checkEnum(c, `${at}.peerType`, rule.peerType, ['eBGP', 'iBGP']);
  if (rule.communities !== undefined) {
    const values = rule.communities.values ?? [];
    if (values.length !== 1)
      c.fail(`${at}.communities.values`, values, 'must contain exactly one community value');
    values.forEach((v, i) => checkCommunity(c, `${at}.communities.values[${i}]`, v));
  }
  (rule.asPathPrefix ?? []).forEach((a, i) => checkASNumber(c, `${at}.asPathPrefix[${i}]`, a));
  checkIntRange(c, `${at}.priority`, rule.priority, 1, MAX_PRIORITY);
  if (!isSet(rule.action)) c.fail(`${at}.action`, rule.action, 'action must be specified');
  else checkEnum(c, `${at}.action`, rule.action, BGP_FILTER_ACTIONS);
  const ops = rule.operations;
  if (ops !== undefined) {
    if (ops.length < 1 || ops.length > 10)
      c.fail(`${at}.operations`, undefined, 'must have between 1 and 10 items');
    if (ops.length > 0 && rule.action !== 'Accept') {
      c.fail(`${at}.operations`, undefined, 'operations may only be used with action Accept');
    }
    ops.forEach((op, i) => {
      const o = `${at}.operations[${i}]`;
      if (op.addCommunity !== undefined) {
        if (!isSet(op.addCommunity.value))
          c.fail(`${o}.addCommunity.value`, undefined, 'value must be specified');
        else checkCommunity(c, `${o}.addCommunity.value`, op.addCommunity.value);
      }
      if (op.prependASPath !== undefined) {
        const prefix = op.prependASPath.prefix ?? [];
        if (prefix.length < 1 || prefix.length > 10) {
          c.fail(`${o}.prependASPath.prefix`, undefined, 'must have between 1 and 10 items');
        }
        prefix.forEach((a, j) => checkASNumber(c, `${o}.prependASPath.prefix[${j}]`, a));
      }
      if (op.setPriority !== undefined) {
        if (op.setPriority.value === undefined)
          c.fail(`${o}.setPriority.value`, undefined, 'value must be specified');
        else checkIntRange(c, `${o}.setPriority.value`, op.setPriority.value, 1, MAX_PRIORITY);
      }
    });
  }
}

function defaults(r: Resource): Resource {
  const spec = specOf<BGPFilterSpec>(r);
  for (const [list] of RULE_LISTS) {
    const rules = spec[list];
    if (!rules) continue;
    spec[list] = rules.map((rule) =>
      rule.asPathPrefix
        ? { ...rule, asPathPrefix: rule.asPathPrefix.map((a) => normaliseASNumber(a)) }
        : rule,
    );
  }
  return withSpec(r, spec);
}

function validate(r: Resource, c: Checker): void {
  const spec = specOf<BGPFilterSpec>(r);
  for (const [list, family] of RULE_LISTS) {
    (spec[list] ?? []).forEach((rule, i) => checkRule(c, `spec.${list}[${i}]`, rule, family));
  }
}

export const bgpFilterKind: KindDef = {
  kind: 'BGPFilter',
  plural: 'bgpfilters',
  namespaced: false,
  aliases: ['bgpfilter', 'bgpfilters', 'bgpf', 'bgpfs', 'bf', 'bfs'],
  spec: S.object({
    exportV4: S.array(RULE),
    importV4: S.array(RULE),
    exportV6: S.array(RULE),
    importV6: S.array(RULE),
  }),
  defaults,
  validate,
};
