/**
 * Policies, profiles and tiers as Felix's calculation graph sees them after the update
 * processors: names resolved to policy IDs, selectors scoped, types defaulted, rules scanned.
 */
import type { Resource } from '../../../api/index.js';
import type { GlobalNetworkPolicySpec } from '../../../api/kinds/policy-common.js';
import type { ProfileSpec } from '../../../api/kinds/profile.js';
import type { Rule as ApiRule } from '../../../api/kinds/rule.js';
import type { Selector } from '../../../selector/index.js';
import { policyId, type PolicyKindShort } from './names.js';
import { parseRule, type ParsedRule } from './parsed-rule.js';
import { cachedSelector, globalPolicySelector, networkPolicySelector } from './selectors.js';

/** Where a policy is enforced (Felix's normal / untracked / pre-DNAT tiers). */
export type PolicyCategory = 'normal' | 'untracked' | 'preDNAT';

export interface PolicyModel {
  /** Felix's policy ID (`np/ns/name`, `knp/ns/name`, `gnp/name`): the chain-name suffix. */
  id: string;
  kind: PolicyKindShort;
  namespace: string;
  name: string;
  tier: string;
  /** Infinity when absent (applied last). */
  order: number;
  /** Felix's tie-break key `<name>/<namespace>/<kind>`. */
  sortKey: string;
  selector: Selector;
  ingress: boolean;
  egress: boolean;
  category: PolicyCategory;
  /** Normal policy also enforced on traffic forwarded through host endpoints. */
  applyOnForward: boolean;
  inbound: ParsedRule[];
  outbound: ParsedRule[];
}

export interface ProfileModel {
  name: string;
  inbound: ParsedRule[];
  outbound: ParsedRule[];
  labels: Readonly<Record<string, string>>;
}

export interface TierModel {
  name: string;
  order: number;
  defaultAction: 'Deny' | 'Pass';
  /** A Tier resource (or a built-in tier) exists: valid tiers sort before missing ones. */
  valid: boolean;
}

export const KNP_PREFIX = 'knp.default.';

const KIND_LONG: Record<PolicyKindShort, string> = {
  np: 'NetworkPolicy',
  knp: 'KubernetesNetworkPolicy',
  gnp: 'GlobalNetworkPolicy',
};

function parseRules(rules: ApiRule[] | undefined, namespace: string): ParsedRule[] {
  const out: ParsedRule[] = [];
  for (const r of rules ?? []) {
    const p = parseRule(r, namespace);
    if (p) out.push(p);
  }
  return out;
}

// Namespaced policies repeat (namespace, selector) pairs: look them up without building the
// scoped text (and hashing it) again.
const scoped = new Map<string, Map<string, Selector>>();
const MAX_CACHED = 50_000;

function namespacedSelector(namespace: string, selector: string, saSelector: string): Selector {
  if (saSelector !== '') return cachedSelector(networkPolicySelector(namespace, selector, saSelector));
  let m = scoped.get(namespace);
  if (!m) {
    if (scoped.size >= MAX_CACHED) scoped.clear();
    scoped.set(namespace, (m = new Map()));
  }
  let s = m.get(selector);
  if (!s) {
    s = cachedSelector(networkPolicySelector(namespace, selector, ''));
    if (m.size >= MAX_CACHED) m.clear();
    m.set(selector, s);
  }
  return s;
}

/** True for the kinds Felix never enforces. */
export function isStaged(r: Resource): boolean {
  return r.kind.startsWith('Staged');
}

/**
 * A NetworkPolicy / KubernetesNetworkPolicy / GlobalNetworkPolicy as Felix models it; undefined
 * for staged policies and for policies whose selectors do not parse (validation rejects those).
 */
export function policyModel(r: Resource): PolicyModel | undefined {
  if (isStaged(r)) return undefined;
  const spec = (r.spec ?? {}) as GlobalNetworkPolicySpec;
  const global = r.kind === 'GlobalNetworkPolicy';
  const namespace = global ? '' : (r.metadata.namespace ?? '');
  let name = r.metadata.name ?? '';
  let kind: PolicyKindShort = global ? 'gnp' : 'np';
  if (r.kind === 'KubernetesNetworkPolicy') kind = 'knp';
  else if (!global && name.startsWith(KNP_PREFIX)) {
    kind = 'knp';
    name = name.slice(KNP_PREFIX.length);
  }
  try {
    const selText = global
      ? globalPolicySelector(
          spec.selector ?? '',
          spec.namespaceSelector ?? '',
          spec.serviceAccountSelector ?? '',
        )
      : undefined;
    const types = (spec.types ?? []).map((t) => String(t).toLowerCase());
    // Felix: an empty types list means both directions.
    const ingress = types.length === 0 || types.includes('ingress');
    const egress = types.length === 0 || types.includes('egress');
    const category: PolicyCategory =
      global && spec.doNotTrack ? 'untracked' : global && spec.preDNAT ? 'preDNAT' : 'normal';
    return {
      id: policyId(kind, namespace, name),
      kind,
      namespace,
      name,
      tier: spec.tier ? spec.tier : 'default',
      order: typeof spec.order === 'number' ? spec.order : Infinity,
      sortKey: `${name}/${namespace}/${KIND_LONG[kind]}`,
      selector:
        selText !== undefined
          ? cachedSelector(selText)
          : namespacedSelector(namespace, spec.selector ?? '', spec.serviceAccountSelector ?? ''),
      ingress,
      // Pre-DNAT policy is ingress-only (validation forbids egress).
      egress: egress && category !== 'preDNAT',
      category,
      applyOnForward: global && category === 'normal' && spec.applyOnForward === true,
      inbound: parseRules(spec.ingress, namespace),
      outbound: parseRules(spec.egress, namespace),
    };
  } catch {
    return undefined;
  }
}

export function profileModel(r: Resource): ProfileModel | undefined {
  const spec = (r.spec ?? {}) as ProfileSpec;
  try {
    return {
      name: r.metadata.name ?? '',
      inbound: parseRules(spec.ingress, ''),
      outbound: parseRules(spec.egress, ''),
      labels: { ...(spec.labelsToApply ?? {}) },
    };
  } catch {
    return undefined;
  }
}

/** Order and default action of the tiers that exist without a resource. */
export const BUILTIN_TIERS: Readonly<Record<string, { order: number; defaultAction: 'Deny' | 'Pass' }>> =
  Object.freeze({
    'kube-admin': { order: 1_000, defaultAction: 'Pass' },
    default: { order: 1_000_000, defaultAction: 'Deny' },
    'kube-baseline': { order: 10_000_000, defaultAction: 'Pass' },
  });

/** Tier models by name: the resources, plus the built-in tiers when their resources are absent. */
export function tierModels(tiers: readonly Resource[]): Map<string, TierModel> {
  const out = new Map<string, TierModel>();
  for (const [name, t] of Object.entries(BUILTIN_TIERS)) out.set(name, { name, ...t, valid: true });
  for (const r of tiers) {
    const name = r.metadata.name ?? '';
    const spec = (r.spec ?? {}) as { order?: number; defaultAction?: string };
    out.set(name, {
      name,
      // A Tier without order sorts last (Felix: nil order = infinity).
      order: typeof spec.order === 'number' ? spec.order : Infinity,
      defaultAction: spec.defaultAction === 'Pass' ? 'Pass' : 'Deny',
      valid: true,
    });
  }
  return out;
}

/** The model of a tier a policy names but no resource defines (sorted after the valid tiers). */
export function missingTier(name: string): TierModel {
  return { name, order: Infinity, defaultAction: 'Deny', valid: false };
}

/** Felix's TierLess: valid first, then by order (none = last), then by name. */
export function compareTiers(a: TierModel, b: TierModel): number {
  if (a.valid !== b.valid) return a.valid ? -1 : 1;
  if (a.order !== b.order) return a.order < b.order ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Felix's PolKVLess within a tier: by order (none = last), then `<name>/<namespace>/<kind>`. */
export function comparePolicies(a: PolicyModel, b: PolicyModel): number {
  if (a.order !== b.order) return a.order < b.order ? -1 : 1;
  return a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0;
}
