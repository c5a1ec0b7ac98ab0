/** NetworkSet (namespaced): a labelled set of networks that rule selectors can match. */
import type { Checker } from '../check.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';
import type { Resource } from '../types.js';
import { checkCIDRList } from '../common/ip-fields.js';
import { mapKeyPath } from '../common/labels.js';

export interface NetworkSetSpec {
  /** CIDRs or bare addresses; host bits may be set. */
  nets?: string[];
}
export type NetworkSet = Resource<NetworkSetSpec>;

/** Reserved for mapping the real namespace into Felix's data model. */
export const NAMESPACE_LABEL = 'projectcalico.org/namespace';

/** Shared by NetworkSet and GlobalNetworkSet. */
export function checkNetworkSet(r: Resource, c: Checker): void {
  const spec = (r.spec ?? {}) as NetworkSetSpec;
  checkCIDRList(c, 'spec.nets', spec.nets);
  if (r.metadata.labels && NAMESPACE_LABEL in r.metadata.labels) {
    c.fail(
      mapKeyPath('metadata.labels', NAMESPACE_LABEL),
      NAMESPACE_LABEL,
      'projectcalico.org/namespace is not a valid label name',
    );
  }
}

export const networkSetKind: KindDef = {
  kind: 'NetworkSet',
  plural: 'networksets',
  namespaced: true,
  aliases: ['networkset', 'networksets', 'netsets'],
  spec: S.object({ nets: S.stringList }),
  defaults: (r) => r,
  validate: (r, c) => checkNetworkSet(r, c),
};
