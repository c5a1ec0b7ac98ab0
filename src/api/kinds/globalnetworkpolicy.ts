/** GlobalNetworkPolicy (cluster-scoped, tiered; may also police host endpoints before DNAT or untracked). */
import type { Checker } from '../check.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';
import type { Resource } from '../types.js';
import { checkSelector } from '../common/selector-field.js';
import {
  checkPolicySpec,
  defaultTieredPolicy,
  globalNetworkPolicyNameRule,
  policyHeadFields,
  readDefaultTieredPolicy,
  type GlobalNetworkPolicySpec,
} from './policy-common.js';
import { MAX_SELECTOR_LENGTH } from './rule.js';

export type { GlobalNetworkPolicySpec } from './policy-common.js';
export type GlobalNetworkPolicy = Resource<GlobalNetworkPolicySpec>;

export const globalNetworkPolicySpecFields = {
  ...policyHeadFields,
  doNotTrack: S.bool,
  preDNAT: S.bool,
  applyOnForward: S.bool,
  serviceAccountSelector: S.string,
  namespaceSelector: S.string,
  performanceHints: S.stringList,
};

/** The GNP-only rules (Calico's validateGlobalNetworkPolicySpec), on top of checkPolicySpec. */
export function checkGlobalPolicySpec(c: Checker, spec: GlobalNetworkPolicySpec): void {
  checkPolicySpec(c, spec, 'global');
  if (spec.namespaceSelector !== undefined) {
    checkSelector(c, 'spec.namespaceSelector', spec.namespaceSelector, { maxLength: MAX_SELECTOR_LENGTH });
  }
  if (spec.doNotTrack && spec.preDNAT) {
    c.fail(
      'spec.preDNAT',
      spec.preDNAT,
      'PreDNAT and DoNotTrack cannot both be true, for a given PolicySpec',
    );
  }
  if (spec.preDNAT && (spec.egress?.length ?? 0) > 0) {
    c.fail('spec.egress', undefined, 'PreDNAT PolicySpec cannot have any Egress rules');
  }
  if (spec.preDNAT && spec.types?.includes('Egress')) {
    c.fail('spec.types', spec.types, "PreDNAT PolicySpec cannot have 'egress' Type");
  }
  if (!spec.applyOnForward && (spec.doNotTrack || spec.preDNAT)) {
    c.fail(
      'spec.applyOnForward',
      spec.applyOnForward ?? false,
      'ApplyOnForward must be true if either PreDNAT or DoNotTrack is true, for a given PolicySpec',
    );
  }
}

export const globalNetworkPolicyKind: KindDef = {
  kind: 'GlobalNetworkPolicy',
  plural: 'globalnetworkpolicies',
  namespaced: false,
  aliases: ['globalnetworkpolicy', 'globalnetworkpolicies', 'gnp', 'gnps'],
  spec: S.object(globalNetworkPolicySpecFields),
  nameRule: globalNetworkPolicyNameRule,
  defaults: (r) => defaultTieredPolicy(r as GlobalNetworkPolicy) as Resource,
  readDefaults: (r) => readDefaultTieredPolicy(r as GlobalNetworkPolicy) as Resource,
  validate(r: Resource, c: Checker): void {
    checkGlobalPolicySpec(c, (r.spec ?? {}) as GlobalNetworkPolicySpec);
  },
};
