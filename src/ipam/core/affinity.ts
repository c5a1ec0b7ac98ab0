/**
 * Block affinities: the value codec, the key grammar and the claim/release state machine
 * (∅ → pending → confirmed → pendingDeletion → ∅). A pending affinity never means ownership.
 */
import { CalicoError } from '../../errors/index.js';
import { formatCIDR, keySegmentToCIDR } from '../../net/index.js';
import { IPAM_ROOT, type AffinityState, type AffinityType, type BlockAffinityValue } from '../model.js';
import { parseJSON, stringifyJSON } from './json.js';

/** An empty stored value (legacy data) reads as `{}`: state "" counts as confirmed. */
export function decodeAffinity(text: string): BlockAffinityValue {
  if (text.trim() === '') return {};
  const v = parseJSON(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof v === 'bigint') {
    throw new CalicoError('DECODE', 'invalid block affinity: not a JSON object');
  }
  const out: BlockAffinityValue = {};
  if (typeof v.state === 'string') out.state = v.state as AffinityState;
  if (v.deleted === true) out.deleted = true;
  return out;
}

export function encodeAffinity(v: BlockAffinityValue): string {
  return stringifyJSON({ state: v.state ?? '', deleted: v.deleted ?? false });
}

export function isConfirmed(v: BlockAffinityValue): boolean {
  return v.state === 'confirmed' || v.state === '' || v.state === undefined;
}

/** Transitions; each returns a new value. */
export const affinityState = {
  pending: (): BlockAffinityValue => ({ state: 'pending', deleted: false }),
  confirmed: (v: BlockAffinityValue): BlockAffinityValue => ({ ...v, state: 'confirmed' }),
  pendingDeletion: (v: BlockAffinityValue): BlockAffinityValue => ({ ...v, state: 'pendingDeletion' }),
};

/** `host:<node>` as written in a block's `affinity` field. */
export function affinityString(type: AffinityType, host: string): string {
  return `${type}:${host}`;
}

export interface AffinityRef {
  type: AffinityType;
  host: string;
  family: 4 | 6;
  /** Canonical block CIDR, e.g. `10.65.79.0/26`. */
  cidr: string;
}

const AFFINITY_KEY = /^\/?calico\/ipam\/v2\/(host|virtual)\/([^/]+)\/ipv(4|6)\/block\/([^/]+)$/;

export function parseAffinityKey(key: string): AffinityRef | undefined {
  const m = AFFINITY_KEY.exec(key);
  if (!m) return undefined;
  try {
    const c = keySegmentToCIDR(m[4]);
    return { type: m[1] as AffinityType, host: m[2], family: m[3] === '4' ? 4 : 6, cidr: formatCIDR(c) };
  } catch {
    return undefined;
  }
}

export function affinityTypePrefix(type: AffinityType): string {
  return `${IPAM_ROOT}/${type}/`;
}
