/** Typed errors of the Kubernetes converters. */
import { CalicoError, ValidationError, type ResourceRef } from '../errors/index.js';
import type { NetworkPolicy } from '../api/kinds/networkpolicy.js';
import type { K8sNetworkPolicyEgressRule, K8sNetworkPolicyIngressRule } from './types.js';

/**
 * The Kubernetes object handed to a converter is not shaped as the API would return it (missing
 * metadata.name, a list that is not a list, an unknown selector operator, ...). `fields` names
 * each offending field with its JSON path.
 */
export class K8sInputError extends ValidationError {
  constructor(field: string, value: unknown, reason: string, resource?: ResourceRef) {
    super([{ field, value, reason }], resource);
    this.name = 'K8sInputError';
  }
}

/** One Kubernetes rule that could not be converted, and why. */
export interface BadK8sRule {
  direction: 'ingress' | 'egress';
  /** Position in spec.ingress / spec.egress. */
  index: number;
  rule: K8sNetworkPolicyIngressRule | K8sNetworkPolicyEgressRule;
  reason: string;
}

/**
 * Some rules of a NetworkPolicy could not be converted and were left out (Calico's
 * ErrorPolicyConversion). `policy` is the complete conversion of the remaining rules, ready to be
 * written, exactly as Calico's policy controller does; `badRules` lists what was dropped.
 */
export class K8sConversionError extends CalicoError {
  constructor(
    readonly policy: NetworkPolicy,
    readonly badRules: BadK8sRule[],
    k8sName: string,
  ) {
    super(
      'VALIDATION',
      K8sConversionError.format(policy, badRules, k8sName),
      'the other rules were converted (see .policy); fix the listed rules in the Kubernetes NetworkPolicy',
    );
    this.name = 'K8sConversionError';
  }

  static format(policy: NetworkPolicy, badRules: BadK8sRule[], k8sName: string): string {
    const ns = policy.metadata.namespace ?? '';
    const list = badRules.map((b) => `${b.direction}[${b.index}]: ${b.reason}`).join('; ');
    return `policy: ${ns}/${k8sName}: unable to convert ${badRules.length} rule(s), left out: ${list}`;
  }
}
