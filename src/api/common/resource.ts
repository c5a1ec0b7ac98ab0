/** Small helpers the kinds share for reading and rebuilding resources without mutating input. */
import type { Resource } from '../types.js';

/** A shallow copy of `r.spec` typed as T (an empty object when absent). */
export function specOf<T extends object>(r: Resource): T {
  return { ...((r.spec ?? {}) as object) } as T;
}

/** A new resource with `spec` replaced; the input is left untouched. */
export function withSpec<T extends object>(r: Resource, spec: T): Resource {
  return { ...r, spec: spec as unknown as Record<string, unknown> };
}

/** True for values Go's omitempty would drop: undefined, null, '', 0, false, empty list or map. */
export function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

/** True when a (possibly absent) string field is set to something non-empty. */
export function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}
