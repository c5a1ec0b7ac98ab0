/** Tier (cluster-scoped): an ordered group of policies with a default action for unmatched traffic. */
import type { Checker } from '../check.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';
import { API_VERSION, type Resource } from '../types.js';
import { checkEnum } from '../common/fields.js';
import { labelNameProblem } from '../common/names.js';

export const TIER_ACTIONS = ['Deny', 'Pass'] as const;
export type TierAction = (typeof TIER_ACTIONS)[number];

export interface TierSpec {
  /** Lower orders are evaluated first; absent means last. */
  order?: number;
  defaultAction?: TierAction;
}
export type Tier = Resource<TierSpec>;

export const DEFAULT_TIER_ORDER = 1_000_000;
export const DEFAULT_TIER_ACTION: TierAction = 'Deny';

/** Order and default action of the tiers that always exist. */
export const BUILTIN_TIER_SPECS: Readonly<Record<string, Readonly<Required<TierSpec>>>> = Object.freeze({
  'kube-admin': Object.freeze({ order: 1_000, defaultAction: 'Pass' as const }),
  default: Object.freeze({ order: DEFAULT_TIER_ORDER, defaultAction: 'Deny' as const }),
  'kube-baseline': Object.freeze({ order: 10_000_000, defaultAction: 'Pass' as const }),
});

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(o);
}

/** A fresh Tier resource for a built-in tier (undefined for other names). */
export function builtinTierResource(name: string): Resource | undefined {
  const spec = Object.hasOwn(BUILTIN_TIER_SPECS, name) ? BUILTIN_TIER_SPECS[name] : undefined;
  if (!spec) return undefined;
  return { apiVersion: API_VERSION, kind: 'Tier', metadata: { name }, spec: { ...spec } };
}

/**
 * The built-in tiers as resources, in evaluation order: the client creates them on initialisation
 * and refuses to delete them; validation pins their order and default action. Deeply frozen:
 * structuredClone before handing one to code that may change it.
 */
export const BUILTIN_TIERS: readonly Resource[] = Object.freeze(
  Object.keys(BUILTIN_TIER_SPECS).map((name) => deepFreeze(builtinTierResource(name) as Resource)),
);

export function isBuiltinTier(name: string): boolean {
  return Object.hasOwn(BUILTIN_TIER_SPECS, name);
}

/** Why `name` cannot be deleted, in Calico's words (the client wraps it in OperationNotSupported). */
export function builtinTierDeleteReason(name: string): string | undefined {
  return isBuiltinTier(name) ? `Cannot delete ${name} tier` : undefined;
}

export const tierKind: KindDef = {
  kind: 'Tier',
  plural: 'tiers',
  namespaced: false,
  aliases: ['tier', 'tiers'],
  spec: S.object({ order: S.number, defaultAction: S.string }),
  status: S.object({ conditions: S.array(S.any) }),
  // Written by controllers; absent in etcd mode, so not printed when unset.
  statusOmitEmpty: true,
  // Tier names are embedded in policy names and labels: one DNS label, no dots.
  nameRule: labelNameProblem,
  defaults(r: Resource): Resource {
    const spec = { ...((r.spec ?? {}) as TierSpec) };
    // CRD-style defaults: only absent fields are filled.
    if (spec.order === undefined) spec.order = DEFAULT_TIER_ORDER;
    if (spec.defaultAction === undefined) spec.defaultAction = DEFAULT_TIER_ACTION;
    return { ...r, spec: spec as Record<string, unknown> };
  },
  validate(r: Resource, c: Checker): void {
    const spec = (r.spec ?? {}) as TierSpec;
    if (spec.order !== undefined && spec.order !== null) {
      c.expect(Number.isFinite(spec.order), 'spec.order', spec.order, 'order must be a finite number');
    }
    checkEnum(c, 'spec.defaultAction', spec.defaultAction, TIER_ACTIONS);
    const name = r.metadata.name ?? '';
    const builtin = isBuiltinTier(name) ? { spec: BUILTIN_TIER_SPECS[name] } : undefined;
    if (builtin) {
      c.expect(
        spec.order === builtin.spec.order,
        'spec.order',
        spec.order,
        `${name} tier order must be ${builtin.spec.order}`,
      );
      c.expect(
        (spec.defaultAction ?? DEFAULT_TIER_ACTION) === builtin.spec.defaultAction,
        'spec.defaultAction',
        spec.defaultAction,
        `${name} tier defaultAction must be ${builtin.spec.defaultAction}`,
      );
    }
  },
};
