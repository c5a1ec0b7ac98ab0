/** IPReservation (cluster-scoped): addresses IPAM must not hand out (existing allocations stay). */
import type { Checker } from '../check.js';
import { checkCIDRList } from '../common/ip-fields.js';
import { specOf } from '../common/resource.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';
import type { Resource } from '../types.js';

export interface IPReservationSpec {
  /** CIDRs or single addresses; host bits may be set. */
  reservedCIDRs?: string[];
}
export type IPReservation = Resource<IPReservationSpec>;

function validate(r: Resource, c: Checker): void {
  checkCIDRList(c, 'spec.reservedCIDRs', specOf<IPReservationSpec>(r).reservedCIDRs);
}

export const ipReservationKind: KindDef = {
  kind: 'IPReservation',
  plural: 'ipreservations',
  namespaced: false,
  aliases: ['ipreservation', 'ipreservations', 'reservation', 'reservations'],
  spec: S.object({ reservedCIDRs: S.stringList }),
  defaults: (r) => ({ ...r, spec: { ...(r.spec ?? {}) } }),
  validate,
};
