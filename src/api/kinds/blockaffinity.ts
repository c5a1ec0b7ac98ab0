/** BlockAffinity (cluster-scoped, v3 view): a node's claim on an IPAM block. IPAM itself uses v2 keys. */
import type { Checker } from '../check.js';
import { checkEnum, checkNameRef } from '../common/fields.js';
import { checkCIDR } from '../common/ip-fields.js';
import { isSet, specOf, withSpec } from '../common/resource.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';
import type { Resource } from '../types.js';

export const BLOCK_AFFINITY_STATES = ['confirmed', 'pending', 'pendingDeletion'] as const;

export interface BlockAffinitySpec {
  state: (typeof BLOCK_AFFINITY_STATES)[number];
  node: string;
  /** `host` (default) or `virtual`. */
  type?: string;
  cidr: string;
  deleted: boolean;
}
export type BlockAffinity = Resource<BlockAffinitySpec>;

function defaults(r: Resource): Resource {
  const spec = specOf<Partial<BlockAffinitySpec>>(r);
  if (spec.deleted === undefined) spec.deleted = false;
  return withSpec(r, spec);
}

function validate(r: Resource, c: Checker): void {
  const spec = specOf<Partial<BlockAffinitySpec>>(r);
  if (!isSet(spec.cidr)) c.fail('spec.cidr', spec.cidr, 'cidr must be specified');
  else checkCIDR(c, 'spec.cidr', spec.cidr, { strict: true, allowBareIP: false });
  if (!isSet(spec.node)) c.fail('spec.node', spec.node, 'node must be specified');
  else checkNameRef(c, 'spec.node', spec.node);
  checkEnum(c, 'spec.state', spec.state, BLOCK_AFFINITY_STATES);
  if (spec.deleted) c.fail('spec.deleted', true, 'spec.Deleted cannot be set to "true"');
}

export const blockAffinityKind: KindDef = {
  kind: 'BlockAffinity',
  plural: 'blockaffinities',
  namespaced: false,
  aliases: ['blockaffinity', 'blockaffinities'],
  spec: S.object({ state: S.string, node: S.string, type: S.string, cidr: S.string, deleted: S.bool }),
  defaults,
  validate,
};
