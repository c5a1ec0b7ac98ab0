/** ClusterInformation (cluster-scoped singleton `default`): cluster GUID, type, version and readiness. */
import type { Checker } from '../check.js';
import { onlyDefaultName } from '../common/names.js';
import { isSet, specOf } from '../common/resource.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';
import type { Resource } from '../types.js';

export interface ClusterInformationSpec {
  /** 32 hex characters (a UUID without dashes). */
  clusterGUID?: string;
  /** Comma-separated, e.g. `k8s,bgp,kubeadm`. */
  clusterType?: string;
  calicoVersion?: string;
  /** Absent means ready; false makes the CNI plugin refuse to run. */
  datastoreReady?: boolean;
  variant?: string;
}
export type ClusterInformation = Resource<ClusterInformationSpec>;

function validate(r: Resource, c: Checker): void {
  const spec = specOf<ClusterInformationSpec>(r);
  if (isSet(spec.clusterGUID)) {
    c.expect(
      /^[0-9a-fA-F]{32}$/.test(spec.clusterGUID!),
      'spec.clusterGUID',
      spec.clusterGUID,
      'must be 32 hexadecimal characters (a UUID without dashes)',
    );
  }
}

export const clusterInformationKind: KindDef = {
  kind: 'ClusterInformation',
  plural: 'clusterinformations',
  namespaced: false,
  aliases: ['clusterinformation', 'clusterinformations', 'clusterinfo', 'clusterinfos'],
  spec: S.object({
    clusterGUID: S.omitZero(S.string),
    clusterType: S.omitZero(S.string),
    calicoVersion: S.omitZero(S.string),
    datastoreReady: S.bool,
    variant: S.omitZero(S.string),
  }),
  nameRule: onlyDefaultName('a Cluster Information'),
  defaults: (r) => ({ ...r, spec: { ...(r.spec ?? {}) } }),
  validate,
};
