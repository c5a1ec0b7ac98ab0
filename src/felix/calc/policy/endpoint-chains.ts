/**
 * Per-endpoint chains (Felix's endpoints.go): conntrack fast path, failsafes (host endpoints),
 * mark clearing, then each tier's policies (or policy groups) in order with the end-of-tier drop,
 * then the profiles and the final drop.
 */
import type { Chain, Match, Rule, TableName } from './ruleset.js';
import { MARK_ACCEPT, MARK_PASS } from './ruleset.js';
import type { Direction } from './names.js';
import { policyChainName, profileChainName } from './names.js';
import type { PolicyModel, TierModel } from './model.js';
import { ANY, IF_ACCEPT, IF_NOT_PASS, SET_ACCEPT } from './rule-compile.js';
import type { PolicyConfig } from './input.js';
import { policyGroups } from './policy-groups.js';

export interface TierPlan {
  tier: TierModel;
  policies: PolicyModel[];
}

/** normal: filter INPUT/OUTPUT and workloads; forward: applyOnForward; untracked: raw; preDNAT: mangle. */
export type ChainKind = 'normal' | 'forward' | 'untracked' | 'preDNAT';

export interface EndpointChainSpec {
  name: string;
  table: TableName;
  kind: ChainKind;
  direction: Direction;
  tiers: readonly TierPlan[];
  /** Forward chains: the endpoint has forward policy in some direction (else allow by default). */
  anyForwardTiers?: boolean;
  /** Profiles that exist, in the endpoint's order (normal chains only). */
  profiles?: readonly string[];
  failsafeChain?: string;
  /** From-workload chains drop VXLAN / IPIP the workload originates unless allowed. */
  dropEncap?: boolean;
  /**
   * Policy groups: the chain to jump to for consecutive policies sharing a selector (see
   * policy-groups.ts). Without it every policy is jumped to on its own.
   */
  groupTarget?: (table: TableName, direction: Direction, policies: readonly PolicyModel[]) => string;
}

const CT_EST: Match = { ctState: ['established', 'related'] };
const CT_INVALID: Match = { ctState: ['invalid'] };

export function endpointChain(spec: EndpointChainSpec, cfg: PolicyConfig): Chain {
  const rules: Rule[] = [];
  if (spec.kind !== 'untracked') {
    rules.push(
      { match: CT_EST, action: { type: 'accept' } },
      { match: CT_INVALID, action: { type: 'drop' } },
    );
  }
  if (spec.failsafeChain) rules.push({ match: ANY, action: { type: 'jump', chain: spec.failsafeChain } });
  rules.push({ match: ANY, action: { type: 'set-mark', value: 0, mask: MARK_ACCEPT | MARK_PASS } });
  if (spec.dropEncap) {
    if (!cfg.allowVXLANPacketsFromWorkloads) {
      rules.push({
        match: { protocol: 'udp', dstPorts: [{ first: cfg.vxlanPort, last: cfg.vxlanPort }] },
        action: { type: 'drop' },
        comment: 'Drop VXLAN encapped packets originating in workloads',
      });
    }
    if (!cfg.allowIPIPPacketsFromWorkloads) {
      rules.push({
        match: { protocol: 4 },
        action: { type: 'drop' },
        comment: 'Drop IPinIP encapped packets originating in workloads',
      });
    }
  }
  for (const { tier, policies } of spec.tiers) {
    if (policies.length === 0) continue;
    rules.push({
      match: ANY,
      action: { type: 'set-mark', value: 0, mask: MARK_PASS },
      comment: `Start of tier ${tier.name}`,
    });
    const targets = spec.groupTarget
      ? policyGroups(policies).map((g) => spec.groupTarget!(spec.table, spec.direction, g))
      : policies.map((p) => policyChainName(spec.direction, p.id));
    for (const chain of targets) {
      rules.push({ match: IF_NOT_PASS, action: { type: 'jump', chain } });
      if (spec.kind === 'untracked') rules.push({ match: IF_ACCEPT, action: { type: 'notrack' } });
      rules.push({ match: IF_ACCEPT, action: { type: 'return' }, comment: 'Return if policy accepted' });
    }
    // Untracked and pre-DNAT policy may only accept early: normal policy still runs after it.
    if ((spec.kind === 'normal' || spec.kind === 'forward') && tier.defaultAction !== 'Pass') {
      rules.push({
        match: IF_NOT_PASS,
        action: { type: 'drop' },
        comment: `End of tier ${tier.name}. Drop if no policies passed packet`,
      });
    }
  }
  if (spec.kind === 'forward' && !spec.anyForwardTiers) {
    rules.push(
      { match: ANY, action: SET_ACCEPT, comment: 'Allow forwarded traffic by default' },
      { match: ANY, action: { type: 'return' }, comment: 'Return for accepted forward traffic' },
    );
  }
  if (spec.kind === 'normal') {
    for (const profile of spec.profiles ?? []) {
      rules.push(
        { match: ANY, action: { type: 'jump', chain: profileChainName(spec.direction, profile) } },
        { match: IF_ACCEPT, action: { type: 'return' }, comment: 'Return if profile accepted' },
      );
    }
    rules.push({ match: ANY, action: { type: 'drop' }, comment: 'Drop if no profiles matched' });
  }
  return { name: spec.name, table: spec.table, rules };
}
