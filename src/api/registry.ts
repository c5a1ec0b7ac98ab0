/** The kinds this api layer knows, looked up by Kind, by calicoctl name or by etcd plural. */
import type { KindDef } from './kind.js';
import { ALL_KINDS } from './kinds/index.js';

export const KINDS: readonly KindDef[] = ALL_KINDS;

const BY_KIND = new Map<string, KindDef>();
const BY_ALIAS = new Map<string, KindDef>();
const BY_PLURAL = new Map<string, KindDef>();
for (const k of KINDS) {
  BY_KIND.set(k.kind, k);
  BY_PLURAL.set(k.plural, k);
  for (const a of [k.kind, k.plural, ...k.aliases]) BY_ALIAS.set(a.toLowerCase(), k);
}

/** Exact Kind, e.g. `IPPool`. */
export function kindByKind(kind: string): KindDef | undefined {
  return BY_KIND.get(kind);
}

/** A name as typed on calicoctl's command line (`ippools`, `ipp`, `GNP`), case-insensitive. */
export function kindByAlias(name: string): KindDef | undefined {
  return BY_ALIAS.get(name.toLowerCase());
}

/** The etcd path segment, e.g. `ippools`. */
export function kindByPlural(plural: string): KindDef | undefined {
  return BY_PLURAL.get(plural);
}
