/** JSON shapes of the envelope parts every kind shares: ObjectMeta and ListMeta, in Go field order. */
import { S, type Schema } from '../schema.js';

const OWNER_REFERENCE: Schema = S.object({
  apiVersion: S.string,
  kind: S.string,
  name: S.string,
  uid: S.string,
  controller: S.bool,
  blockOwnerDeletion: S.bool,
});

/** metav1.ObjectMeta (fields in Go struct order, which is the JSON output order). */
export const OBJECT_META: Schema = S.object({
  name: S.string,
  generateName: S.string,
  namespace: S.string,
  selfLink: S.string,
  uid: S.string,
  resourceVersion: S.string,
  generation: S.int,
  creationTimestamp: S.string,
  deletionTimestamp: S.string,
  deletionGracePeriodSeconds: S.int,
  labels: S.stringMap,
  annotations: S.stringMap,
  ownerReferences: S.array(OWNER_REFERENCE),
  finalizers: S.stringList,
  managedFields: S.array(S.any),
});

/** metav1.ListMeta. */
export const LIST_META: Schema = S.object({
  selfLink: S.string,
  resourceVersion: S.string,
  continue: S.string,
  remainingItemCount: S.int,
});
