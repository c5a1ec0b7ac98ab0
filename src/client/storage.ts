import { API_VERSION, encodeJSON, applyReadDefaults, type KindDef, type Resource } from '../api/index.js';
import type { KV } from '../datastore/backend.js';
import { CalicoError } from '../errors/index.js';

const POLICY_KINDS = new Set([
  'NetworkPolicy',
  'GlobalNetworkPolicy',
  'StagedNetworkPolicy',
  'StagedGlobalNetworkPolicy',
  'StagedKubernetesNetworkPolicy',
]);
/** Policy kinds keep their real name in this annotation in etcd (Calico's pre-3.32 compatibility). */
export const METADATA_ANNOTATION = 'projectcalico.org/metadata';

/** The stored JSON: the whole object, compact, Go struct order, without resourceVersion/selfLink. */
export function toStorage(r: Resource): string {
  const metadata = { ...r.metadata };
  delete metadata.resourceVersion;
  delete metadata.selfLink;
  if (POLICY_KINDS.has(r.kind)) {
    metadata.annotations = {
      ...(metadata.annotations ?? {}),
      [METADATA_ANNOTATION]: JSON.stringify({ name: metadata.name }),
    };
  }
  const obj: Resource = { ...r, apiVersion: API_VERSION, metadata };
  // encodeJSON gives Go's field order; re-serialise compactly as Go's encoding/json does.
  return JSON.stringify(JSON.parse(encodeJSON(obj)));
}

/** Parses a stored value back into a resource, with resourceVersion from the key's mod revision. */
export function fromStorage(def: KindDef, kv: KV): Resource {
  let r: Resource;
  try {
    r = JSON.parse(kv.value) as Resource;
  } catch (e) {
    throw new CalicoError('DECODE', `cannot parse stored ${def.kind} at ${kv.key}: ${(e as Error).message}`);
  }
  if (typeof r !== 'object' || r === null || typeof r.metadata !== 'object') {
    throw new CalicoError('DECODE', `stored value at ${kv.key} is not a ${def.kind} object`);
  }
  r.metadata = { ...r.metadata, resourceVersion: kv.modRevision.toString() };
  r.kind = def.kind;
  r.apiVersion = API_VERSION;
  if (POLICY_KINDS.has(def.kind)) {
    const ann = { ...(r.metadata.annotations ?? {}) };
    const stored = ann[METADATA_ANNOTATION];
    delete ann[METADATA_ANNOTATION];
    r.metadata.annotations = Object.keys(ann).length ? ann : undefined;
    if (r.metadata.annotations === undefined) delete r.metadata.annotations;
    if (stored !== undefined) {
      try {
        const name = (JSON.parse(stored) as { name?: string }).name;
        if (name) r.metadata.name = name;
      } catch {
        /* keep the stored name */
      }
    } else {
      const tier = (r.spec as { tier?: string } | undefined)?.tier;
      if ((!tier || tier === 'default') && r.metadata.name?.startsWith('default.')) {
        r.metadata.name = r.metadata.name.slice('default.'.length);
      }
    }
  }
  return applyReadDefaults(r);
}
