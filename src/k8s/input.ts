/** Light shape checks of Kubernetes objects handed to the converters. */
import type { ResourceRef } from '../errors/index.js';
import { K8sInputError } from './errors.js';
import { DEFAULT_NAMESPACE } from './names.js';
import type { K8sObjectMeta } from './types.js';

/** A non-null, non-array object (deliberately not a type guard: callers keep their declared types). */
export function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `value` as an array: absent/null is empty, anything else that is not an array is an error. */
export function listAt<T>(value: T[] | null | undefined, path: string, who?: ResourceRef): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new K8sInputError(path, value, 'must be a list', who);
  return value;
}

/** A string → string map, or {} when absent. */
export function stringMapAt(
  value: Record<string, string> | null | undefined,
  path: string,
  who?: ResourceRef,
): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new K8sInputError(path, value, 'must be a map of strings', who);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new K8sInputError(`${path}.${k}`, v, 'must be a string', who);
  }
  return value;
}

export interface ObjectIdentity {
  name: string;
  namespace: string;
  meta: K8sObjectMeta;
  ref: ResourceRef;
}

/**
 * The object's name (required) and namespace (`default` when absent, as the API server fills it
 * for namespaced kinds); `namespaced: false` leaves namespace ''.
 */
export function identify(obj: unknown, kind: string, namespaced: boolean): ObjectIdentity {
  if (!isObject(obj)) throw new K8sInputError('', obj, `a ${kind} object is required`);
  const meta = (obj as { metadata?: unknown }).metadata;
  if (!isObject(meta)) throw new K8sInputError('metadata', meta, 'must be an object', { kind, name: '' });
  const { name, namespace } = meta as K8sObjectMeta;
  if (typeof name !== 'string' || name === '') {
    throw new K8sInputError('metadata.name', name, 'must be a non-empty string', { kind, name: '' });
  }
  let ns = '';
  if (namespaced) {
    if (namespace !== undefined && namespace !== null && typeof namespace !== 'string') {
      throw new K8sInputError('metadata.namespace', namespace, 'must be a string', { kind, name });
    }
    ns = namespace || DEFAULT_NAMESPACE;
  }
  const ref: ResourceRef = namespaced ? { kind, name, namespace: ns } : { kind, name };
  return { name, namespace: ns, meta: meta as K8sObjectMeta, ref };
}
