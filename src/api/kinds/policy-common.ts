/**
 * What NetworkPolicy, GlobalNetworkPolicy and their staged variants share: tiers, policy types,
 * the tier label, name rules, the staged action, and spec validation of the common fields.
 */
import { joinPath, type Checker } from '../check.js';
import { S, type Schema } from '../schema.js';
import type { ObjectMeta, Resource } from '../types.js';
import { checkSelector } from '../common/selector-field.js';
import {
  DNS1123_LABEL_FMT as L,
  DNS1123_SUBDOMAIN_FMT,
  DNS1123_SUBDOMAIN_MAX,
  LABEL_NAME_REASON,
  isDNS1123Subdomain,
  tooLongReason,
} from '../common/names.js';
import { checkRules, normaliseRules, ruleSchema, MAX_SELECTOR_LENGTH, type Rule } from './rule.js';

export const POLICY_TYPES = ['Ingress', 'Egress'] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

export const PERFORMANCE_HINTS = ['AssumeNeededOnEveryNode'] as const;
export type PolicyPerformanceHint = (typeof PERFORMANCE_HINTS)[number];

export const STAGED_ACTIONS = ['Set', 'Delete', 'Learn', 'Ignore'] as const;
export type StagedAction = (typeof STAGED_ACTIONS)[number];

export const DEFAULT_TIER = 'default';
/** Label set on every tiered policy so policies can be looked up by tier. */
export const TIER_LABEL = 'projectcalico.org/tier';
/** Name prefix of Kubernetes NetworkPolicies converted into Calico (etcd mode). */
export const K8S_NETWORK_POLICY_NAME_PREFIX = 'knp.default.';

/** Fields of NetworkPolicySpec, in Calico's order. */
export interface NetworkPolicySpec {
  tier?: string;
  order?: number;
  ingress?: Rule[];
  egress?: Rule[];
  selector?: string;
  types?: PolicyType[];
  serviceAccountSelector?: string;
  performanceHints?: PolicyPerformanceHint[];
}

export interface GlobalNetworkPolicySpec extends NetworkPolicySpec {
  doNotTrack?: boolean;
  preDNAT?: boolean;
  applyOnForward?: boolean;
  namespaceSelector?: string;
}

export function tierOrDefault(tier: string | undefined): string {
  return tier ? tier : DEFAULT_TIER;
}

/**
 * Types a policy gets when none are given: no egress rules ⇒ [Ingress] (even with no rules at
 * all), egress only ⇒ [Egress], both ⇒ [Ingress, Egress].
 */
export function inferPolicyTypes(spec: { ingress?: unknown[]; egress?: unknown[] }): PolicyType[] {
  const hasIngress = (spec.ingress?.length ?? 0) > 0;
  const hasEgress = (spec.egress?.length ?? 0) > 0;
  if (!hasEgress) return ['Ingress'];
  return hasIngress ? ['Ingress', 'Egress'] : ['Egress'];
}

export function withTierLabel(meta: ObjectMeta, tier: string): ObjectMeta {
  return { ...meta, labels: { ...(meta.labels ?? {}), [TIER_LABEL]: tier } };
}

/** Spec schema fields shared by every tiered policy, in Go struct order (tier … types). */
export const policyHeadFields: Record<string, Schema> = {
  tier: S.string,
  order: S.number,
  ingress: S.array(ruleSchema),
  egress: S.array(ruleSchema),
  selector: S.string,
  types: S.stringList,
};

/**
 * Write-side defaults for a tiered policy: tier `default`, inferred types (none for a staged
 * Delete), the tier label, and rules in their stored form.
 */
export function defaultTieredPolicy<T extends NetworkPolicySpec & { stagedAction?: string }>(
  r: Resource<T>,
): Resource<T> {
  const spec = { ...(r.spec ?? ({} as T)) };
  spec.tier = tierOrDefault(spec.tier);
  if (spec.stagedAction === 'Delete') delete spec.types;
  else if (!spec.types || spec.types.length === 0) spec.types = inferPolicyTypes(spec);
  if (spec.ingress) spec.ingress = normaliseRules(spec.ingress);
  if (spec.egress) spec.egress = normaliseRules(spec.egress);
  return { ...r, metadata: withTierLabel(r.metadata, spec.tier), spec };
}

/** Read-side: older objects may lack the tier label. */
export function readDefaultTieredPolicy<T extends NetworkPolicySpec>(r: Resource<T>): Resource<T> {
  if (r.metadata.labels?.[TIER_LABEL]) return r;
  return { ...r, metadata: withTierLabel(r.metadata, tierOrDefault(r.spec?.tier)) };
}

// At most one dot, or a converted Kubernetes / OSSG policy whose name carries the tier prefix.
const NETWORK_POLICY_NAME = new RegExp(
  `^((${L})(\\.${L})?|((knp|ossg)\\.default\\.(${DNS1123_SUBDOMAIN_FMT})))$`,
);
const GLOBAL_NETWORK_POLICY_NAME = new RegExp(`^(${L}\\.)?${L}$`);

function policyNameProblem(name: string, re: RegExp): string | undefined {
  if (name.length > DNS1123_SUBDOMAIN_MAX) return tooLongReason(name, DNS1123_SUBDOMAIN_MAX);
  // Calico's message quotes the label regex even though one dot is allowed.
  return re.test(name) ? undefined : LABEL_NAME_REASON;
}

/** NetworkPolicy / StagedNetworkPolicy names. */
export function networkPolicyNameRule(name: string): string | undefined {
  return policyNameProblem(name, NETWORK_POLICY_NAME);
}

/** GlobalNetworkPolicy / StagedGlobalNetworkPolicy names: at most one dot. */
export function globalNetworkPolicyNameRule(name: string): string | undefined {
  return policyNameProblem(name, GLOBAL_NETWORK_POLICY_NAME);
}

function checkTypes(c: Checker, types: unknown): void {
  if (!Array.isArray(types)) return;
  const path = 'spec.types';
  c.expect(types.length <= 2, path, types, 'at most two types (Ingress, Egress) may be given');
  const seen = new Set<unknown>();
  types.forEach((t, i) => {
    c.expect(
      (POLICY_TYPES as readonly unknown[]).includes(t),
      joinPath(path, i),
      t,
      'type must be Ingress or Egress',
    );
    if (seen.has(t)) c.fail(path, types, `'${String(t)}' type specified more than once`);
    seen.add(t);
  });
}

function checkPerformanceHints(c: Checker, hints: unknown): void {
  if (!Array.isArray(hints)) return;
  const path = 'spec.performanceHints';
  const seen = new Set<unknown>();
  hints.forEach((h, i) => {
    c.expect(
      (PERFORMANCE_HINTS as readonly unknown[]).includes(h),
      joinPath(path, i),
      h,
      `performance hint must be one of ${PERFORMANCE_HINTS.join(', ')}`,
    );
    if (seen.has(h)) c.fail(path, hints, `'${String(h)}' hint specified more than once`);
    seen.add(h);
  });
}

/** Validation of the fields every tiered policy spec has (Calico's validateNetworkPolicySpec). */
export function checkPolicySpec(c: Checker, spec: NetworkPolicySpec, scope: 'namespaced' | 'global'): void {
  if (spec.tier) c.expect(isDNS1123Subdomain(spec.tier), 'spec.tier', spec.tier, 'invalid tier name');
  if (spec.order !== undefined && spec.order !== null) {
    c.expect(Number.isFinite(spec.order), 'spec.order', spec.order, 'order must be a finite number');
  }
  const opts = { maxLength: MAX_SELECTOR_LENGTH };
  if (spec.selector !== undefined) checkSelector(c, 'spec.selector', spec.selector, opts);
  if (spec.serviceAccountSelector !== undefined) {
    checkSelector(c, 'spec.serviceAccountSelector', spec.serviceAccountSelector, opts);
  }
  checkTypes(c, spec.types);
  checkPerformanceHints(c, spec.performanceHints);
  checkRules(c, 'spec.ingress', spec.ingress, 'ingress', { policy: scope });
  checkRules(c, 'spec.egress', spec.egress, 'egress', { policy: scope });
}

/** stagedAction must be one of the enum; returns true when it is Delete. */
export function checkStagedAction(c: Checker, action: unknown): boolean {
  if (action === undefined) return false;
  c.expect(
    (STAGED_ACTIONS as readonly unknown[]).includes(action),
    'spec.stagedAction',
    action,
    `stagedAction must be one of ${STAGED_ACTIONS.join(', ')}`,
  );
  return action === 'Delete';
}

/**
 * True when every field of `spec` other than `keep` is absent or empty (Go's zero value; `order`
 * is a pointer there, so any number counts as set).
 */
export function isZeroExcept(spec: object, keep: readonly string[]): boolean {
  return Object.entries(spec).every(([k, v]) => {
    if (keep.includes(k) || v === undefined || v === null || v === '' || v === false) return true;
    if (Array.isArray(v)) return v.length === 0;
    if (typeof v === 'object') return isZeroExcept(v, []);
    return false;
  });
}
