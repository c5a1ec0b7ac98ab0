/**
 * One local endpoint's plan: which tiers and policies apply per direction and per kind of chain
 * (normal, forward, untracked, pre-DNAT), the chains that implement it, and the policy / profile
 * chains those jump to. Endpoints with the same policies and profiles share one template (the
 * rules); an endpoint's chains are rebuilt only when its template's signature changes.
 */
import type { Chain, Rule, TableName } from './ruleset.js';
import type { PolicyConfig } from './input.js';
import type { LocalEndpoint } from './endpoints.js';
import { missingTier, type PolicyModel, type ProfileModel, type TierModel } from './model.js';
import { CHAIN, PREFIX, endpointChainName, type Direction } from './names.js';
import { endpointChain, type ChainKind, type TierPlan } from './endpoint-chains.js';
import type { GroupChains } from './policy-groups.js';

/**
 * What an endpoint's chains are made of apart from their names: the same for every endpoint of a
 * kind with the same policies and profiles (at scale, every pod of one app), so it is planned and
 * rendered once and shared. Everything in it is immutable.
 */
export interface PlanTemplate {
  /** Everything the chains depend on (selectors too: they decide the policy groups). */
  sig: string;
  /** Each chain's name prefix (the endpoint's interface completes it), table and rules. */
  chains: { prefix: string; table: TableName; rules: Rule[] }[];
  /** The policy-group chains the chains jump to (shared with other endpoints). */
  groups: Chain[];
  /** (policy ID, direction) pairs the chains jump to. */
  policies: [string, Direction][];
  /** (profile name, direction) pairs the chains jump to. */
  profiles: [string, Direction][];
  /** The chains need the raw (untracked) / mangle (pre-DNAT) tables. */
  raw: boolean;
  mangle: boolean;
}

/** An endpoint's chains and what they jump to (the template's, which it was built from). */
export interface EndpointPlan {
  endpoint: LocalEndpoint;
  template: PlanTemplate;
  chains: Chain[];
  groups: Chain[];
  policies: [string, Direction][];
  profiles: [string, Direction][];
  raw: boolean;
  mangle: boolean;
}

type Plans = Record<'in' | 'out' | 'fwdIn' | 'fwdOut' | 'rawIn' | 'rawOut' | 'preDnat', TierPlan[]>;

function tierPlans(
  policies: readonly PolicyModel[],
  tiers: ReadonlyMap<string, TierModel>,
  dir: Direction,
  keep: (p: PolicyModel) => boolean,
): TierPlan[] {
  const plans: TierPlan[] = [];
  for (const p of policies) {
    if (!keep(p) || !(dir === 'ingress' ? p.ingress : p.egress)) continue;
    const last = plans[plans.length - 1];
    if (last && last.tier.name === p.tier) last.policies.push(p);
    else plans.push({ tier: tiers.get(p.tier) ?? missingTier(p.tier), policies: [p] });
  }
  return plans;
}

const normal = (p: PolicyModel) => p.category === 'normal';
const forward = (p: PolicyModel) => p.category === 'normal' && p.applyOnForward;
const untracked = (p: PolicyModel) => p.category === 'untracked';
const preDnat = (p: PolicyModel) => p.category === 'preDNAT';

/**
 * The template for endpoints of `type` (`wildcard`: a host endpoint on every interface) given the
 * policies selecting them (in enforcement order) and their existing profiles. With `groups`,
 * consecutive policies sharing a selector are jumped to through a policy-group chain.
 */
export function planTemplate(
  type: LocalEndpoint['type'],
  wildcard: boolean,
  policies: readonly PolicyModel[],
  profiles: readonly ProfileModel[],
  tiers: ReadonlyMap<string, TierModel>,
  cfg: PolicyConfig,
  groups?: GroupChains,
): PlanTemplate {
  const none: TierPlan[] = [];
  const hep = type === 'hep';
  const plans: Plans = {
    in: tierPlans(policies, tiers, 'ingress', normal),
    out: tierPlans(policies, tiers, 'egress', normal),
    fwdIn: hep ? tierPlans(policies, tiers, 'ingress', forward) : none,
    fwdOut: hep ? tierPlans(policies, tiers, 'egress', forward) : none,
    rawIn: hep ? tierPlans(policies, tiers, 'ingress', untracked) : none,
    rawOut: hep ? tierPlans(policies, tiers, 'egress', untracked) : none,
    preDnat: hep ? tierPlans(policies, tiers, 'ingress', preDnat) : none,
  };
  const profileNames = profiles.map((p) => p.name);
  // Built by hand: JSON.stringify of nested arrays cost more than planning itself.
  let sig = `${type}\0${wildcard ? 1 : 0}\0${profileNames.join('\x01')}\0${groups ? 1 : 0}`;
  for (const ps of Object.values(plans)) {
    sig += '\0|';
    for (const t of ps) {
      sig += `\0${t.tier.name}\x01${t.tier.defaultAction}`;
      for (const p of t.policies) sig += `\x01${p.id}\x02${p.selector.uniqueId()}`;
    }
  }

  const used: [string, Direction][] = [];
  const usedProfiles: [string, Direction][] = [];
  const use = (ps: TierPlan[], d: Direction, withProfiles: boolean) => {
    for (const t of ps) for (const p of t.policies) used.push([p.id, d]);
    if (withProfiles) for (const name of profileNames) usedProfiles.push([name, d]);
  };
  use(plans.in, 'ingress', true);
  use(plans.out, 'egress', true);
  use(plans.fwdIn, 'ingress', false);
  use(plans.fwdOut, 'egress', false);
  use(plans.rawIn, 'ingress', false);
  use(plans.rawOut, 'egress', false);
  use(plans.preDnat, 'ingress', false);

  const usedGroups = new Set<Chain>();
  return {
    sig,
    chains: render(type, wildcard, plans, profileNames, cfg, groups, usedGroups),
    groups: [...usedGroups],
    policies: used,
    profiles: usedProfiles,
    raw: plans.rawIn.length > 0 || plans.rawOut.length > 0,
    mangle: plans.preDnat.length > 0,
  };
}

/** `ep`'s plan from its template; `prev`'s chains are kept when nothing they depend on changed. */
export function planEndpoint(
  ep: LocalEndpoint,
  t: PlanTemplate,
  prev: EndpointPlan | undefined,
): EndpointPlan {
  const reuse =
    prev !== undefined &&
    prev.endpoint.key === ep.key &&
    prev.endpoint.iface === ep.iface &&
    (prev.template === t || prev.template.sig === t.sig);
  if (reuse) return { ...prev, endpoint: ep };
  return {
    endpoint: ep,
    template: t,
    chains: t.chains.map((c) => ({
      name: endpointChainName(c.prefix, ep.iface),
      table: c.table,
      rules: c.rules,
    })),
    groups: t.groups,
    policies: t.policies,
    profiles: t.profiles,
    raw: t.raw,
    mangle: t.mangle,
  };
}

function render(
  type: LocalEndpoint['type'],
  wildcard: boolean,
  plans: Plans,
  profiles: string[],
  cfg: PolicyConfig,
  groups: GroupChains | undefined,
  used: Set<Chain>,
): PlanTemplate['chains'] {
  const chains: PlanTemplate['chains'] = [];
  const groupTarget =
    groups &&
    ((table: TableName, dir: Direction, policies: readonly PolicyModel[]) => {
      const t = groups.target(table, dir, policies);
      if (t.group) used.add(t.group);
      return t.chain;
    });
  const mk = (
    prefix: string,
    table: TableName,
    kind: ChainKind,
    direction: Direction,
    tiers: TierPlan[],
    extra: { failsafeChain?: string; dropEncap?: boolean; anyForwardTiers?: boolean } = {},
  ) => {
    const spec = { name: prefix, table, kind, direction, tiers, profiles, groupTarget, ...extra };
    chains.push({ prefix, table, rules: endpointChain(spec, cfg).rules });
  };
  if (type === 'wep') {
    mk(PREFIX.toWorkload, 'filter', 'normal', 'ingress', plans.in);
    mk(PREFIX.fromWorkload, 'filter', 'normal', 'egress', plans.out, { dropEncap: true });
    return chains;
  }
  mk(PREFIX.fromHost, 'filter', 'normal', 'ingress', plans.in, { failsafeChain: CHAIN.failsafeIn });
  mk(PREFIX.toHost, 'filter', 'normal', 'egress', plans.out, { failsafeChain: CHAIN.failsafeOut });
  if (!wildcard) {
    const anyForwardTiers = plans.fwdIn.length > 0 || plans.fwdOut.length > 0;
    mk(PREFIX.fromHostForward, 'filter', 'forward', 'ingress', plans.fwdIn, { anyForwardTiers });
    mk(PREFIX.toHostForward, 'filter', 'forward', 'egress', plans.fwdOut, { anyForwardTiers });
  }
  if (plans.rawIn.length || plans.rawOut.length) {
    mk(PREFIX.fromHost, 'raw', 'untracked', 'ingress', plans.rawIn, { failsafeChain: CHAIN.failsafeIn });
    mk(PREFIX.toHost, 'raw', 'untracked', 'egress', plans.rawOut, { failsafeChain: CHAIN.failsafeOut });
  }
  if (plans.preDnat.length) {
    mk(PREFIX.fromHost, 'mangle', 'preDNAT', 'ingress', plans.preDnat, { failsafeChain: CHAIN.failsafeIn });
  }
  return chains;
}
