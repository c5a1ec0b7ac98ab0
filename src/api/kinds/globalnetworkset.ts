/** GlobalNetworkSet (cluster-scoped): a labelled set of networks that rule selectors can match. */
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';
import type { Resource } from '../types.js';
import { checkNetworkSet, type NetworkSetSpec } from './networkset.js';

export type GlobalNetworkSetSpec = NetworkSetSpec;
export type GlobalNetworkSet = Resource<GlobalNetworkSetSpec>;

export const globalNetworkSetKind: KindDef = {
  kind: 'GlobalNetworkSet',
  plural: 'globalnetworksets',
  namespaced: false,
  aliases: ['globalnetworkset', 'globalnetworksets', 'gnetsets'],
  spec: S.object({ nets: S.stringList }),
  defaults: (r) => r,
  validate: (r, c) => checkNetworkSet(r, c),
};
