import { kindByKind, type Resource } from '../api/index.js';
import { CommandError } from './io.js';

export interface NamespaceFlags {
  namespace?: string;
  allNamespaces?: boolean;
}

export function checkNamespaceFlags(f: NamespaceFlags): void {
  if (f.namespace && f.allNamespaces) {
    throw new CommandError('cannot use both --namespace and --all-namespaces flags at the same time');
  }
}

/**
 * Calico's namespace rules for a resource read from a file: fill it from -n (or `default`),
 * refuse a mismatch with -n, refuse a namespace on a cluster-scoped kind. Returns an error text
 * (a per-resource failure) or undefined.
 */
export function resolveNamespace(r: Resource, f: NamespaceFlags): string | undefined {
  const def = kindByKind(r.kind);
  if (!def) return `resource type '${r.kind}' is not supported`;
  const ns = r.metadata.namespace;
  if (!def.namespaced) {
    if (ns)
      return `namespace should not be specified for a non-namespaced resource. ${r.kind} is not a namespaced resource`;
    return undefined;
  }
  if (!ns) {
    if (f.namespace) r.metadata.namespace = f.namespace;
    else if (!f.allNamespaces) r.metadata.namespace = 'default';
  } else if (f.namespace && ns !== f.namespace) {
    return `resource namespace does not match client namespace. ${ns} != ${f.namespace}`;
  }
  return undefined;
}
