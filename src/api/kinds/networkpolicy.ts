/** NetworkPolicy (namespaced, tiered). */
import type { Checker } from '../check.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';
import type { Resource } from '../types.js';
import {
  checkPolicySpec,
  defaultTieredPolicy,
  networkPolicyNameRule,
  policyHeadFields,
  readDefaultTieredPolicy,
  type NetworkPolicySpec,
} from './policy-common.js';

export type { NetworkPolicySpec } from './policy-common.js';
export type NetworkPolicy = Resource<NetworkPolicySpec>;

export const networkPolicySpecFields = {
  ...policyHeadFields,
  serviceAccountSelector: S.string,
  performanceHints: S.stringList,
};

export const networkPolicyKind: KindDef = {
  kind: 'NetworkPolicy',
  plural: 'networkpolicies',
  namespaced: true,
  aliases: ['networkpolicy', 'networkpolicies', 'policy', 'np', 'policies', 'pol', 'pols'],
  spec: S.object(networkPolicySpecFields),
  status: S.object({ conditions: S.array(S.any) }),
  // Written by controllers; absent in etcd mode, so not printed when unset.
  statusOmitEmpty: true,
  nameRule: networkPolicyNameRule,
  defaults: (r) => defaultTieredPolicy(r as NetworkPolicy) as Resource,
  readDefaults: (r) => readDefaultTieredPolicy(r as NetworkPolicy) as Resource,
  validate(r: Resource, c: Checker): void {
    checkPolicySpec(c, (r.spec ?? {}) as NetworkPolicySpec, 'namespaced');
  },
};
