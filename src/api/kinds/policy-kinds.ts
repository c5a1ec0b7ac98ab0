/** The policy and endpoint kinds, for the registry, plus their public types. */
import type { KindDef } from '../kind.js';
import { networkPolicyKind } from './networkpolicy.js';
import { globalNetworkPolicyKind } from './globalnetworkpolicy.js';
import { stagedNetworkPolicyKind } from './stagednetworkpolicy.js';
import { stagedGlobalNetworkPolicyKind } from './stagedglobalnetworkpolicy.js';
import { stagedKubernetesNetworkPolicyKind } from './stagedkubernetesnetworkpolicy.js';
import { tierKind } from './tier.js';
import { profileKind } from './profile.js';
import { networkSetKind } from './networkset.js';
import { globalNetworkSetKind } from './globalnetworkset.js';
import { hostEndpointKind } from './hostendpoint.js';
import { workloadEndpointKind } from './workloadendpoint.js';

export const POLICY_KINDS: KindDef[] = [
  networkPolicyKind,
  globalNetworkPolicyKind,
  stagedNetworkPolicyKind,
  stagedGlobalNetworkPolicyKind,
  stagedKubernetesNetworkPolicyKind,
  tierKind,
  profileKind,
  networkSetKind,
  globalNetworkSetKind,
  hostEndpointKind,
  workloadEndpointKind,
];

export type * from './rule.js';
export type {
  NetworkPolicySpec,
  GlobalNetworkPolicySpec,
  PolicyType,
  StagedAction,
} from './policy-common.js';
export type { NetworkPolicy } from './networkpolicy.js';
export type { GlobalNetworkPolicy } from './globalnetworkpolicy.js';
export type { StagedNetworkPolicy, StagedNetworkPolicySpec } from './stagednetworkpolicy.js';
export type {
  StagedGlobalNetworkPolicy,
  StagedGlobalNetworkPolicySpec,
} from './stagedglobalnetworkpolicy.js';
export type {
  StagedKubernetesNetworkPolicy,
  StagedKubernetesNetworkPolicySpec,
} from './stagedkubernetesnetworkpolicy.js';
export type { Tier, TierSpec } from './tier.js';
export type { Profile, ProfileSpec } from './profile.js';
export type { NetworkSet, NetworkSetSpec } from './networkset.js';
export type { GlobalNetworkSet, GlobalNetworkSetSpec } from './globalnetworkset.js';
export type { HostEndpoint, HostEndpointSpec, EndpointPort } from './hostendpoint.js';
export type {
  WorkloadEndpoint,
  WorkloadEndpointSpec,
  WorkloadEndpointPort,
  IPNAT,
  QoSControls,
} from './workloadendpoint.js';
export {
  BUILTIN_TIERS,
  BUILTIN_TIER_SPECS,
  DEFAULT_TIER_ORDER,
  isBuiltinTier,
  builtinTierResource,
  builtinTierDeleteReason,
} from './tier.js';
export { DEFAULT_ALLOW_PROFILE, DEFAULT_ALLOW_PROFILE_NAME, defaultAllowProfile } from './profile.js';
export { DEFAULT_TIER, TIER_LABEL, inferPolicyTypes } from './policy-common.js';
export { K8S_NETWORK_POLICY_NAME_PREFIX } from './policy-common.js';
export { normaliseRule, normaliseRules } from './rule.js';
export { NAMESPACE_LABEL } from './networkset.js';
export { ORCHESTRATOR_LABEL } from './workloadendpoint.js';
export * from '../workload-endpoint-name.js';
export * from '../common/ports.js';
export * from '../common/protocol.js';
