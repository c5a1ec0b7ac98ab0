/** Profile (cluster-scoped): rules and labels applied to endpoints that list it, after policy. */
import type { Checker } from '../check.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';
import { API_VERSION, type Resource } from '../types.js';
import { checkLabels } from '../common/labels.js';
import { checkRules, normaliseRules, ruleSchema, type Rule } from './rule.js';

export interface ProfileSpec {
  ingress?: Rule[];
  egress?: Rule[];
  /** Labels given to every endpoint using the profile; the endpoint's own labels win. */
  labelsToApply?: Record<string, string>;
}
export type Profile = Resource<ProfileSpec>;

export const DEFAULT_ALLOW_PROFILE_NAME = 'projectcalico-default-allow';

/** A mutable copy of the virtual allow-all profile. */
export function defaultAllowProfile(): Resource {
  const spec: ProfileSpec = { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] };
  return {
    apiVersion: API_VERSION,
    kind: 'Profile',
    metadata: { name: DEFAULT_ALLOW_PROFILE_NAME, resourceVersion: '1' },
    spec: spec as Record<string, unknown>,
  };
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(o);
}

/**
 * The virtual allow-all profile every datastore appears to hold: Get/List return it, Create
 * reports AlreadyExists, Update/Delete are not supported. Deeply frozen: structuredClone it (or
 * call defaultAllowProfile) before handing it to code that may change it.
 */
export const DEFAULT_ALLOW_PROFILE: Resource = deepFreeze(defaultAllowProfile());

export const profileKind: KindDef = {
  kind: 'Profile',
  plural: 'profiles',
  namespaced: false,
  aliases: ['profile', 'profiles', 'pro', 'pros'],
  spec: S.object({
    ingress: S.array(ruleSchema),
    egress: S.array(ruleSchema),
    labelsToApply: S.stringMap,
  }),
  defaults(r: Resource): Resource {
    const spec = { ...((r.spec ?? {}) as ProfileSpec) };
    if (spec.ingress) spec.ingress = normaliseRules(spec.ingress);
    if (spec.egress) spec.egress = normaliseRules(spec.egress);
    return { ...r, spec: spec as Record<string, unknown> };
  },
  validate(r: Resource, c: Checker): void {
    const spec = (r.spec ?? {}) as ProfileSpec;
    checkRules(c, 'spec.ingress', spec.ingress, 'ingress');
    checkRules(c, 'spec.egress', spec.egress, 'egress');
    checkLabels(c, 'spec.labelsToApply', spec.labelsToApply);
  },
};
