import type { Checker } from './check.js';
import type { Schema } from './schema.js';
import type { Operation, Resource } from './types.js';

/** Everything the api layer knows about one kind. Registered in src/api/registry.ts. */
export interface KindDef {
  /** `IPPool` */
  kind: string;
  /** etcd plural segment, lower-case: `ippools` */
  plural: string;
  namespaced: boolean;
  /** calicoctl's accepted names, lower-case, including singular and plural (`ippool`, `ippools`, `ipp`, `pool`, ...). */
  aliases: string[];
  /** JSON shape of `spec` (and `status` when the kind has one) for strict decoding. */
  spec: Schema;
  status?: Schema;
  /** Name rule: returns the reason when `name` is invalid. Default: DNS-1123 subdomain, <= 253. */
  nameRule?: (name: string) => string | undefined;
  /** Go prints `status` only when set (a pointer); otherwise a kind with a status schema always prints it. */
  statusOmitEmpty?: boolean;
  /** Write-side defaulting (client-side, before validation): returns a new object, input untouched. */
  defaults(r: Resource): Resource;
  /** Read-side defaulting applied on get/list (e.g. IPPool's convertFromStorage). Default: identity. */
  readDefaults?(r: Resource): Resource;
  /** Pure field and struct validation of spec (metadata is checked generically). */
  validate(r: Resource, c: Checker, op: Operation): void;
}
