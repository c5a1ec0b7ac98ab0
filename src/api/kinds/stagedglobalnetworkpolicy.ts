/** StagedGlobalNetworkPolicy: a GlobalNetworkPolicy that is recorded but never enforced. */
import type { Checker } from '../check.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';
import type { Resource } from '../types.js';
import { checkGlobalPolicySpec, globalNetworkPolicySpecFields } from './globalnetworkpolicy.js';
import {
  checkStagedAction,
  defaultTieredPolicy,
  globalNetworkPolicyNameRule,
  readDefaultTieredPolicy,
  type GlobalNetworkPolicySpec,
  type StagedAction,
} from './policy-common.js';
import { checkStagedDelete, defaultStagedAction } from './stagednetworkpolicy.js';

export interface StagedGlobalNetworkPolicySpec extends GlobalNetworkPolicySpec {
  stagedAction?: StagedAction;
}
export type StagedGlobalNetworkPolicy = Resource<StagedGlobalNetworkPolicySpec>;

export const stagedGlobalNetworkPolicyKind: KindDef = {
  kind: 'StagedGlobalNetworkPolicy',
  plural: 'stagedglobalnetworkpolicies',
  namespaced: false,
  aliases: ['stagedglobalnetworkpolicy', 'stagedglobalnetworkpolicies', 'sgnp', 'sgnps'],
  spec: S.object({ stagedAction: S.string, ...globalNetworkPolicySpecFields }),
  nameRule: globalNetworkPolicyNameRule,
  defaults: (r) => defaultTieredPolicy(defaultStagedAction(r as StagedGlobalNetworkPolicy)) as Resource,
  readDefaults: (r) => readDefaultTieredPolicy(r as StagedGlobalNetworkPolicy) as Resource,
  validate(r: Resource, c: Checker): void {
    const spec = (r.spec ?? {}) as StagedGlobalNetworkPolicySpec;
    const isDelete = checkStagedAction(c, spec.stagedAction);
    if (!checkStagedDelete(c, spec, isDelete)) checkGlobalPolicySpec(c, spec);
  },
};
