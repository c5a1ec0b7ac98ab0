import { ipPoolRules } from './ippool-rules.js';
import type { KindRules } from './kind-rules.js';
import { nodeRules } from './node-rules.js';
import { policyRules } from './policy-rules.js';
import { profileRules } from './profile-rules.js';
import { tierRules } from './tier-rules.js';

export type { KindRules } from './kind-rules.js';

const RULES: Record<string, KindRules> = {
  IPPool: ipPoolRules,
  NetworkPolicy: policyRules,
  GlobalNetworkPolicy: policyRules,
  StagedNetworkPolicy: policyRules,
  StagedGlobalNetworkPolicy: policyRules,
  Tier: tierRules,
  Profile: profileRules,
  Node: nodeRules,
};

export function kindRules(kind: string): KindRules {
  return RULES[kind] ?? {};
}
