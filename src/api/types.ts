/** The projectcalico.org/v3 object envelope, shared by every kind. */
export const API_VERSION = 'projectcalico.org/v3';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  resourceVersion?: string;
  uid?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  selfLink?: string;
  finalizers?: string[];
  ownerReferences?: unknown[];
  managedFields?: unknown[];
}

export interface Resource<Spec = Record<string, unknown>> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Record<string, unknown>;
}

/** `<Kind>List` as calicoctl prints it for `get <kind>`. */
export interface ResourceList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string };
  items: Resource[];
}

export type Operation = 'create' | 'update';
