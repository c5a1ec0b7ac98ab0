/** IPAMConfiguration (cluster-scoped singleton `default`): cluster-wide IPAM behaviour. */
import type { Checker } from '../check.js';
import { checkEnum, checkIntRange } from '../common/fields.js';
import { onlyDefaultName } from '../common/names.js';
import { specOf, withSpec } from '../common/resource.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';
import type { Resource } from '../types.js';

export interface IPAMConfigurationSpec {
  strictAffinity: boolean;
  /** 0 means the IPAM default (20). */
  maxBlocksPerHost?: number;
  autoAllocateBlocks: boolean;
  kubeVirtVMAddressPersistence?: 'Enabled' | 'Disabled';
  ipCooldownSeconds?: number;
}
export type IPAMConfiguration = Resource<IPAMConfigurationSpec>;

export const MAX_BLOCKS_PER_HOST_LIMIT = 1_000_000;
export const IP_COOLDOWN_LIMIT = 1200;

function defaults(r: Resource): Resource {
  const spec = specOf<Partial<IPAMConfigurationSpec>>(r);
  // CRD defaults: only absent fields are filled.
  if (spec.strictAffinity === undefined) spec.strictAffinity = false;
  if (spec.autoAllocateBlocks === undefined) spec.autoAllocateBlocks = true;
  return withSpec(r, spec);
}

function validate(r: Resource, c: Checker): void {
  const spec = specOf<Partial<IPAMConfigurationSpec>>(r);
  if (typeof spec.maxBlocksPerHost === 'number' && spec.maxBlocksPerHost < 0) {
    c.fail('spec.maxBlocksPerHost', spec.maxBlocksPerHost, 'must be greater than or equal to 0');
  } else checkIntRange(c, 'spec.maxBlocksPerHost', spec.maxBlocksPerHost, 0, MAX_BLOCKS_PER_HOST_LIMIT);
  checkEnum(c, 'spec.kubeVirtVMAddressPersistence', spec.kubeVirtVMAddressPersistence, [
    'Enabled',
    'Disabled',
  ]);
  checkIntRange(c, 'spec.ipCooldownSeconds', spec.ipCooldownSeconds, 0, IP_COOLDOWN_LIMIT);
}

export const ipamConfigurationKind: KindDef = {
  kind: 'IPAMConfiguration',
  plural: 'ipamconfigurations',
  namespaced: false,
  aliases: ['ipamconfiguration', 'ipamconfigurations', 'ipamconfig', 'ipamconfigs'],
  spec: S.object({
    strictAffinity: S.bool,
    // omitempty non-pointer ints; strictAffinity and autoAllocateBlocks are always printed.
    maxBlocksPerHost: S.omitZero(S.int),
    autoAllocateBlocks: S.bool,
    kubeVirtVMAddressPersistence: S.string,
    ipCooldownSeconds: S.omitZero(S.int),
  }),
  nameRule: onlyDefaultName('an IPAMConfiguration'),
  defaults,
  validate,
};
