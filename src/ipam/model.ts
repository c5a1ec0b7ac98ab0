/**
 * IPAM's stored objects, exactly as Calico keeps them in etcd (spec etcd-layout.md §7, ipam.md §1).
 * These are not v3 resources: IPAM reads and CASes these keys directly.
 */
import { cidrToKeySegment } from '../net/index.js';

export const IPAM_ROOT = '/calico/ipam/v2';
export const IPAM_CONFIG_KEY = `${IPAM_ROOT}/config`;

/** One entry of a block's `attributes` list. */
export interface AllocationAttribute {
  handle_id?: string;
  secondary?: Record<string, string>;
  alternateOwnerAttrs?: Record<string, string>;
  /** Set (RFC 3339) on attributes that only mark ordinals in cooldown. */
  releasedAt?: string;
}

/** `/calico/ipam/v2/assignment/ipv4/block/10.65.79.0-26` */
export interface AllocationBlock {
  cidr: string;
  /** `host:<node>`, `virtual:<name>`, or null when unaffine (borrowable). */
  affinity: string | null;
  affinity_claim_time?: string | null;
  /** One per ordinal: null = free, else an index into `attributes`. */
  allocations: (number | null)[];
  /** FIFO of free ordinals: allocate from the front, freed ordinals are appended. */
  unallocated: number[];
  attributes: AllocationAttribute[];
  /** Starts at creation time in nanoseconds; +1 on every block write (a uint64: kept as bigint in memory). */
  sequenceNumber: bigint;
  /** Ordinal (as a decimal string) → block sequence number when it was (de)allocated. */
  sequenceNumberForAllocation?: Record<string, bigint>;
  deleted?: boolean;
}

export type AffinityState = 'pending' | 'confirmed' | 'pendingDeletion' | '';

/** `/calico/ipam/v2/host/<host>/ipv4/block/<cidr>`; an empty stored value reads as `{}` (confirmed). */
export interface BlockAffinityValue {
  state?: AffinityState;
  deleted?: boolean;
}

/** `/calico/ipam/v2/handle/<id>`: how many IPs the handle holds in each block (CIDR with `/`). */
export interface IPAMHandle {
  block: Record<string, number>;
  deleted?: boolean;
}

/** `/calico/ipam/v2/config` (JSON keys as Calico writes them; absent key ⇒ defaults). */
export interface IPAMConfig {
  strictAffinity: boolean;
  autoAllocateBlocks: boolean;
  maxBlocksPerHost: number;
  kubeVirtVMAddressPersistence: 'Enabled' | 'Disabled';
  ipCooldownSeconds: number;
}

export const DEFAULT_IPAM_CONFIG: Readonly<IPAMConfig> = Object.freeze({
  strictAffinity: false,
  autoAllocateBlocks: true,
  maxBlocksPerHost: 0,
  kubeVirtVMAddressPersistence: 'Enabled',
  ipCooldownSeconds: 0,
});

export type AffinityType = 'host' | 'virtual';

export function blockKey(cidr: string, family: 4 | 6): string {
  return `${IPAM_ROOT}/assignment/ipv${family}/block/${cidrToKeySegment(cidr)}`;
}

export function blockPrefix(family: 4 | 6): string {
  return `${IPAM_ROOT}/assignment/ipv${family}/block/`;
}

export function affinityKey(host: string, cidr: string, family: 4 | 6, type: AffinityType = 'host'): string {
  return `${IPAM_ROOT}/${type}/${host}/ipv${family}/block/${cidrToKeySegment(cidr)}`;
}

export function hostAffinityPrefix(host: string, family: 4 | 6, type: AffinityType = 'host'): string {
  return `${IPAM_ROOT}/${type}/${host}/ipv${family}/block/`;
}

export function handleKey(handleId: string): string {
  return `${IPAM_ROOT}/handle/${handleId}`;
}
