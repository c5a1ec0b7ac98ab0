/** IPPool (cluster-scoped): a range of addresses IPAM hands out, with its encapsulation and NAT. */
import { cidrsOverlap, formatCIDR, tryParseCIDR, type CIDR } from '../../net/index.js';
import type { Checker } from '../check.js';
import { checkEnum } from '../common/fields.js';
import { isSet, specOf, withSpec } from '../common/resource.js';
import { checkSelector } from '../common/selector-field.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';

const Z = S.omitZero;
import type { Resource } from '../types.js';

export const ENCAP_MODES = ['Never', 'Always', 'CrossSubnet'] as const;
export type EncapMode = (typeof ENCAP_MODES)[number];
export const IPPOOL_USES = ['Workload', 'Tunnel', 'LoadBalancer'] as const;
export type IPPoolAllowedUse = (typeof IPPOOL_USES)[number];
export const ASSIGNMENT_MODES = ['Automatic', 'Manual'] as const;
export type AssignmentMode = (typeof ASSIGNMENT_MODES)[number];

export interface IPPoolSpec {
  cidr: string;
  vxlanMode?: EncapMode;
  ipipMode?: EncapMode;
  natOutgoing?: boolean;
  disabled?: boolean;
  disableBGPExport?: boolean;
  /** 0 or absent means the default: 26 (IPv4) or 122 (IPv6). */
  blockSize?: number;
  nodeSelector?: string;
  namespaceSelector?: string;
  /** Deprecated v1 fields: accepted by the decoder, rejected by validation. */
  ipip?: { enabled?: boolean; mode?: string };
  'nat-outgoing'?: boolean;
  allowedUses?: IPPoolAllowedUse[];
  assignmentMode?: AssignmentMode;
}
export type IPPool = Resource<IPPoolSpec>;

export const DEFAULT_BLOCK_SIZE_V4 = 26;
export const DEFAULT_BLOCK_SIZE_V6 = 122;
export const IPPOOL_CIDR_MAX_LENGTH = 48;

const LINK_LOCAL_V4: CIDR = { family: 4, addr: 0xa9fe0000n, prefix: 16 };
const LINK_LOCAL_V6: CIDR = { family: 6, addr: 0xfe80n << 112n, prefix: 10 };

export function defaultBlockSize(family: 4 | 6): number {
  return family === 4 ? DEFAULT_BLOCK_SIZE_V4 : DEFAULT_BLOCK_SIZE_V6;
}

function enabled(mode: string | undefined): boolean {
  return mode !== undefined && mode !== '' && mode !== 'Never';
}

/** Fills every field Calico defaults on write and on read (only absent or empty fields change). */
function fillDefaults(spec: IPPoolSpec): IPPoolSpec {
  const cidr = typeof spec.cidr === 'string' ? tryParseCIDR(spec.cidr) : undefined;
  if (cidr && !spec.blockSize) spec.blockSize = defaultBlockSize(cidr.family);
  if (!spec.nodeSelector) spec.nodeSelector = 'all()';
  if (!spec.ipipMode) spec.ipipMode = 'Never';
  if (!spec.vxlanMode) spec.vxlanMode = 'Never';
  if (!spec.allowedUses || spec.allowedUses.length === 0) spec.allowedUses = ['Workload', 'Tunnel'];
  if (!spec.assignmentMode) spec.assignmentMode = 'Automatic';
  return spec;
}

function defaults(r: Resource): Resource {
  const spec = specOf<IPPoolSpec>(r);
  // Canonical text for a valid network (`FD00::/48` → `fd00::/48`); a CIDR with host bits set is
  // left alone so that validation reports it instead of silently masking it.
  const cidr = typeof spec.cidr === 'string' ? tryParseCIDR(spec.cidr, { strict: true }) : undefined;
  if (cidr) spec.cidr = formatCIDR(cidr);
  if (spec.allowedUses) spec.allowedUses = [...spec.allowedUses];
  return withSpec(r, fillDefaults(spec));
}

function readDefaults(r: Resource): Resource {
  return withSpec(r, fillDefaults(specOf<IPPoolSpec>(r)));
}

function checkPoolSelector(c: Checker, path: string, field: string, value: unknown): void {
  if (typeof value === 'string' && value.includes('global(')) {
    c.fail(path, value, `global() selector is not valid for IPPool ${field}`);
    return;
  }
  checkSelector(c, path, value);
}

function validate(r: Resource, c: Checker): void {
  const spec = specOf<IPPoolSpec>(r);
  const cidrText = spec.cidr;
  let cidr: CIDR | undefined;
  if (!isSet(cidrText)) {
    c.fail('spec.cidr', cidrText, 'IPPool CIDR must be specified');
  } else if (typeof cidrText !== 'string' || !(cidr = tryParseCIDR(cidrText))) {
    c.fail('spec.cidr', cidrText, 'IPPool CIDR must be a valid subnet');
  } else {
    if (cidrText.length > IPPOOL_CIDR_MAX_LENGTH) {
      c.fail('spec.cidr', cidrText, `must be no more than ${IPPOOL_CIDR_MAX_LENGTH} characters`);
    }
    if (!tryParseCIDR(cidrText, { strict: true }))
      c.fail('spec.cidr', cidrText, 'IPPool CIDR is not strictly masked');
    if (cidr.family === 4 && cidrsOverlap(cidr, LINK_LOCAL_V4)) {
      c.fail('spec.cidr', cidrText, 'IPPool CIDR overlaps with IPv4 link local range 169.254.0.0/16');
    }
    if (cidr.family === 6 && cidrsOverlap(cidr, LINK_LOCAL_V6)) {
      c.fail('spec.cidr', cidrText, 'IPPool CIDR overlaps with IPv6 link local range fe80::/10');
    }
  }

  checkEnum(c, 'spec.vxlanMode', spec.vxlanMode, ENCAP_MODES);
  checkEnum(c, 'spec.ipipMode', spec.ipipMode, ENCAP_MODES);
  if (cidr?.family === 6 && enabled(spec.ipipMode)) {
    c.fail('spec.ipipMode', spec.ipipMode, 'IPIP is not supported on IPv6 pools');
  }
  if (enabled(spec.ipipMode) && enabled(spec.vxlanMode)) {
    c.fail('spec.vxlanMode', spec.vxlanMode, 'ipipMode and vxlanMode cannot both be enabled');
  }

  const blockSize = spec.blockSize;
  if (cidr && blockSize !== undefined && blockSize !== 0) {
    const ok = cidr.family === 4 ? blockSize >= 20 && blockSize <= 32 : blockSize >= 116 && blockSize <= 128;
    c.expect(
      ok,
      'spec.blockSize',
      blockSize,
      'blockSize must be between 20 and 32 for IPv4 pools, and between 116 and 128 for IPv6 pools',
    );
  }
  if (cidr && !spec.disabled) {
    const effective = blockSize ? blockSize : defaultBlockSize(cidr.family);
    c.expect(
      cidr.prefix <= effective,
      'spec.cidr',
      cidrText,
      'IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.',
    );
  }

  checkPoolSelector(c, 'spec.nodeSelector', 'nodeSelector', spec.nodeSelector);
  checkPoolSelector(c, 'spec.namespaceSelector', 'namespaceSelector', spec.namespaceSelector);

  if (spec.ipip !== undefined) {
    c.fail('spec.ipip', spec.ipip, 'deprecated field ipip must not be set; use ipipMode');
  }
  if (spec['nat-outgoing']) {
    c.fail(
      'spec.nat-outgoing',
      spec['nat-outgoing'],
      'deprecated field nat-outgoing must not be set; use natOutgoing',
    );
  }

  const uses = spec.allowedUses ?? [];
  const seen = new Set<string>();
  uses.forEach((u, i) => {
    if (!(IPPOOL_USES as readonly string[]).includes(u))
      c.fail(`spec.allowedUses[${i}]`, u, `unknown use: ${u}`);
    else if (seen.has(u)) c.fail(`spec.allowedUses[${i}]`, u, `duplicate use: ${u}`);
    seen.add(u);
  });
  if (seen.has('LoadBalancer')) {
    if (seen.has('Workload') || seen.has('Tunnel')) {
      c.fail(
        'spec.allowedUses',
        uses,
        'LoadBalancer cannot be combined with Workload or Tunnel allowed uses',
      );
    }
    if (enabled(spec.ipipMode) || enabled(spec.vxlanMode)) {
      c.fail('spec.allowedUses', uses, 'LoadBalancer IP pool cannot have IPIP or VXLAN enabled');
    }
    if (spec.disableBGPExport) {
      c.fail('spec.disableBGPExport', true, 'LoadBalancer IP pools cannot disable BGP export');
    }
    // An absent selector is defaulted to all() before validation.
    if (isSet(spec.nodeSelector) && spec.nodeSelector !== 'all()') {
      c.fail(
        'spec.nodeSelector',
        spec.nodeSelector,
        'IP Pool with AllowedUse LoadBalancer must have nodeSelector set to all()',
      );
    }
  }
  // The default uses include Tunnel, so a namespaceSelector needs an explicit allowedUses.
  const effectiveUses = uses.length ? seen : new Set(['Workload', 'Tunnel']);
  if (effectiveUses.has('Tunnel') && isSet(spec.namespaceSelector)) {
    c.fail(
      'spec.namespaceSelector',
      spec.namespaceSelector,
      'IP Pool with AllowedUse Tunnel cannot have namespaceSelector',
    );
  }
  checkEnum(c, 'spec.assignmentMode', spec.assignmentMode, ASSIGNMENT_MODES);
}

/**
 * Rules that compare an update with the stored pool (the client calls this): the CIDR and block
 * size are immutable (a re-spelling of the same network is fine), and a LoadBalancer pool cannot
 * become a Workload/Tunnel pool.
 */
export function checkIPPoolUpdate(oldPool: Resource, newPool: Resource, c: Checker): void {
  const o = fillDefaults(specOf<IPPoolSpec>(oldPool));
  const n = fillDefaults(specOf<IPPoolSpec>(newPool));
  const oc = typeof o.cidr === 'string' ? tryParseCIDR(o.cidr) : undefined;
  const nc = typeof n.cidr === 'string' ? tryParseCIDR(n.cidr) : undefined;
  const same =
    oc && nc ? oc.family === nc.family && oc.addr === nc.addr && oc.prefix === nc.prefix : o.cidr === n.cidr;
  if (!same) c.fail('spec.cidr', n.cidr, 'IPPool CIDR cannot be modified');
  if (o.blockSize !== n.blockSize)
    c.fail('spec.blockSize', n.blockSize, 'IPPool BlockSize cannot be modified');
  if (o.allowedUses?.includes('LoadBalancer') && n.allowedUses?.some((u) => u !== 'LoadBalancer')) {
    c.fail(
      'spec.allowedUses',
      n.allowedUses,
      'IPPool allowed use cannot be changed from LoadBalacer to Workload or Tunnel',
    );
  }
}

export const ipPoolKind: KindDef = {
  kind: 'IPPool',
  plural: 'ippools',
  namespaced: false,
  aliases: ['ippool', 'ippools', 'ipp', 'ipps', 'pool', 'pools'],
  spec: S.object({
    cidr: S.string,
    // Non-pointer Go fields with omitempty: zero values are not printed.
    vxlanMode: Z(S.string),
    ipipMode: Z(S.string),
    natOutgoing: Z(S.bool),
    disabled: Z(S.bool),
    disableBGPExport: Z(S.bool),
    blockSize: Z(S.int),
    nodeSelector: Z(S.string),
    namespaceSelector: Z(S.string),
    ipip: S.object({ enabled: Z(S.bool), mode: Z(S.string) }),
    'nat-outgoing': Z(S.bool),
    allowedUses: Z(S.stringList),
    assignmentMode: S.string,
  }),
  status: S.object({ conditions: S.array(S.any) }),
  statusOmitEmpty: true,
  defaults,
  readDefaults,
  validate,
};
