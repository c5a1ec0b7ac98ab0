/**
 * Felix's policy calculation: datastore policy resources → backend-neutral rulesets (chains,
 * dispatch maps, named sets) for the nftables and iptables backends. Pure.
 */
export * from './ruleset.js';
export type { FailsafePort, PolicyConfig, PolicyInput } from './input.js';
export {
  DEFAULT_FAILSAFE_INBOUND,
  DEFAULT_FAILSAFE_OUTBOUND,
  DEFAULT_POLICY_CONFIG,
  DEFAULT_POLICY_REFRESH_MS,
  resolvePolicyBackend,
  resolvePolicyConfig,
  type PolicyBackendConfig,
} from './config.js';
export { compilePolicy } from './compile.js';
export { PolicyCalculator } from './calculator.js';
export {
  CHAIN,
  PREFIX,
  MAX_CHAIN_NAME_LENGTH,
  MAX_SET_NAME_LENGTH,
  endpointChainName,
  ipSetName,
  lengthLimitedId,
  policyChainName,
  policyId,
  profileChainName,
  type Direction,
  type PolicyKindShort,
} from './names.js';
export { entitySelector, globalPolicySelector, networkPolicySelector } from './selectors.js';
export { BUILTIN_TIERS, KNP_PREFIX } from './model.js';
