/** Defaulting entry points: generic envelope defaults, then the kind's own. Pure. */
import { kindByKind } from './registry.js';
import { API_VERSION, type Resource } from './types.js';

function envelope(r: Resource): Resource {
  const copy = structuredClone(r);
  copy.apiVersion = copy.apiVersion || API_VERSION;
  copy.metadata = copy.metadata ?? {};
  // Calico never stores selfLink.
  delete copy.metadata.selfLink;
  if (copy.spec === undefined) copy.spec = {};
  return copy;
}

/** Write-side defaults (what Calico's client and CRD defaulting fill before validation). */
export function applyDefaults(r: Resource): Resource {
  const def = kindByKind(r.kind);
  const base = envelope(r);
  return def ? def.defaults(base) : base;
}

/** Read-side defaults applied to stored objects on get/list (e.g. IPPool fills missing fields). */
export function applyReadDefaults(r: Resource): Resource {
  const def = kindByKind(r.kind);
  const base = structuredClone(r);
  return def?.readDefaults ? def.readDefaults(base) : base;
}
