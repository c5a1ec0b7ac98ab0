import type { KindDef } from '../api/kind.js';

/** Calico's etcd layout for v3 resources: /calico/resources/v3/projectcalico.org/<plural>/[<ns>/]<name>. */
export const RESOURCE_ROOT = '/calico/resources/v3/projectcalico.org';

export function resourceKey(def: KindDef, name: string, namespace?: string): string {
  return def.namespaced
    ? `${RESOURCE_ROOT}/${def.plural}/${namespace ?? ''}/${name}`
    : `${RESOURCE_ROOT}/${def.plural}/${name}`;
}

/**
 * The prefix to list. A name prefix is matched without a trailing slash (Calico lists WEPs by
 * `<node>-` this way); otherwise the root ends in `/` so `/foo` never matches `/foobar`.
 */
export function listPrefix(def: KindDef, namespace?: string, namePrefix?: string): string {
  let root = `${RESOURCE_ROOT}/${def.plural}`;
  if (def.namespaced && namespace) root += `/${namespace}`;
  if (namePrefix !== undefined && (namespace || !def.namespaced)) return `${root}/${namePrefix}`;
  return `${root}/`;
}

/** Splits a key back into namespace and name; undefined when it has the wrong shape for the kind. */
export function parseResourceKey(
  def: KindDef,
  key: string,
): { name: string; namespace?: string } | undefined {
  const root = `${RESOURCE_ROOT}/${def.plural}/`;
  if (!key.startsWith(root)) return undefined;
  const parts = key.slice(root.length).split('/').map(unescapeSegment);
  if (def.namespaced) return parts.length === 2 ? { namespace: parts[0], name: parts[1] } : undefined;
  return parts.length === 1 ? { name: parts[0] } : undefined;
}

function unescapeSegment(s: string): string {
  return s.replace(/%2f/gi, '/').replace(/%25/g, '%');
}
