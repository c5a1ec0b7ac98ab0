/** StagedNetworkPolicy: a NetworkPolicy that is recorded (and can be previewed) but never enforced. */
import type { Checker } from '../check.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';
import type { Resource } from '../types.js';
import { networkPolicySpecFields } from './networkpolicy.js';
import {
  checkPolicySpec,
  checkStagedAction,
  defaultTieredPolicy,
  isZeroExcept,
  networkPolicyNameRule,
  readDefaultTieredPolicy,
  type NetworkPolicySpec,
  type StagedAction,
} from './policy-common.js';

export interface StagedNetworkPolicySpec extends NetworkPolicySpec {
  stagedAction?: StagedAction;
}
export type StagedNetworkPolicy = Resource<StagedNetworkPolicySpec>;

export const DELETE_MUST_BE_EMPTY =
  'Spec fields, except Tier, should all be zero-value if stagedAction is Delete';

/** stagedAction is a CRD default: filled only when absent. */
export function defaultStagedAction<T extends { stagedAction?: string }>(r: Resource<T>): Resource<T> {
  const spec = (r.spec ?? {}) as T;
  if (spec.stagedAction !== undefined) return r;
  return { ...r, spec: { stagedAction: 'Set', ...spec } };
}

/** A staged Delete names the policy to remove and carries nothing else but its tier. */
export function checkStagedDelete(c: Checker, spec: object, isDelete: boolean): boolean {
  if (!isDelete) return false;
  c.expect(isZeroExcept(spec, ['stagedAction', 'tier']), 'spec', undefined, DELETE_MUST_BE_EMPTY);
  return true;
}

export const stagedNetworkPolicyKind: KindDef = {
  kind: 'StagedNetworkPolicy',
  plural: 'stagednetworkpolicies',
  namespaced: true,
  aliases: [
    'stagednetworkpolicy',
    'stagednetworkpolicies',
    'stagedpolicy',
    'snp',
    'stagedpolicies',
    'spol',
    'spols',
  ],
  spec: S.object({ stagedAction: S.string, ...networkPolicySpecFields }),
  nameRule: networkPolicyNameRule,
  defaults: (r) => defaultTieredPolicy(defaultStagedAction(r as StagedNetworkPolicy)) as Resource,
  readDefaults: (r) => readDefaultTieredPolicy(r as StagedNetworkPolicy) as Resource,
  validate(r: Resource, c: Checker): void {
    const spec = (r.spec ?? {}) as StagedNetworkPolicySpec;
    const isDelete = checkStagedAction(c, spec.stagedAction);
    if (!checkStagedDelete(c, spec, isDelete)) checkPolicySpec(c, spec, 'namespaced');
  },
};
