/**
 * Address usage per pool and block, as `calicoctl ipam show [--show-blocks]` reports it (ipam.md
 * §12). Pure: takes the pools, blocks and reservations already read.
 *
 * - block: capacity 2^(host bits); IN USE = capacity − free ordinals (cooldown and edge-reserved
 *   ordinals count as in use); RESERVED = addresses under an IPReservation (may overlap IN USE);
 *   FREE = free ordinals not reserved.
 * - pool: capacity of its CIDR; IN USE summed over its blocks; RESERVED counted over the whole
 *   pool; FREE = the blocks' FREE + addresses that are in no block and not reserved.
 * Blocks inside no pool form a group with no pool row ("orphaned" blocks, shown with blocks only).
 */
import type { AllocationBlock } from '../../../ipam/model.js';
import {
  cidrContainsCIDR,
  cidrSize,
  formatCIDR,
  maskCIDR,
  nthAddress,
  parseCIDR,
  type CIDR,
} from '../../../net/index.js';
import { isReserved, reservedCount } from './reserved.js';

export interface Usage {
  cidr: string;
  capacity: bigint;
  inUse: bigint;
  reserved: bigint;
  free: bigint;
}

export interface PoolUsage extends Usage {
  /** Undefined for the group of blocks that belong to no pool. */
  pool?: string;
  blocks: Usage[];
}

export interface PoolInput {
  name: string;
  cidr: string;
}

export function blockUsage(b: AllocationBlock, reservations: readonly CIDR[]): Usage {
  const cidr = maskCIDR(parseCIDR(b.cidr));
  const capacity = cidrSize(cidr);
  const reserved = reservedCount(cidr, reservations);
  let free = 0n;
  for (const ord of b.unallocated) {
    if (reserved === 0n || !isReserved(nthAddress(cidr, ord), reservations)) free++;
  }
  return { cidr: formatCIDR(cidr), capacity, inUse: capacity - BigInt(b.unallocated.length), reserved, free };
}

/** Pools in the order given (name order), each with its blocks in the order given (key order). */
export function computeUtilization(
  pools: readonly PoolInput[],
  blocks: readonly AllocationBlock[],
  reservationCIDRs: readonly string[],
): PoolUsage[] {
  const reservations = reservationCIDRs.map((r) => parseCIDR(r, { allowBareIP: true }));
  const parsedPools = pools.map((p) => ({ name: p.name, cidr: maskCIDR(parseCIDR(p.cidr)) }));
  const byPool = new Map<number, Usage[]>();
  const orphans: Usage[] = [];
  for (const b of blocks) {
    if (b.deleted) continue;
    const cidr = parseCIDR(b.cidr);
    const i = parsedPools.findIndex((p) => cidrContainsCIDR(p.cidr, cidr));
    const u = blockUsage(b, reservations);
    if (i < 0) orphans.push(u);
    else byPool.set(i, [...(byPool.get(i) ?? []), u]);
  }
  const out: PoolUsage[] = parsedPools.map((p, i) => {
    const bs = byPool.get(i) ?? [];
    const capacity = cidrSize(p.cidr);
    const reserved = reservedCount(p.cidr, reservations);
    const sum = (f: (u: Usage) => bigint) => bs.reduce((s, u) => s + f(u), 0n);
    // Addresses outside every block are free unless reserved.
    const outside = capacity - sum((u) => u.capacity) - (reserved - sum((u) => u.reserved));
    return {
      pool: p.name,
      cidr: formatCIDR(p.cidr),
      capacity,
      inUse: sum((u) => u.inUse),
      reserved,
      free: sum((u) => u.free) + outside,
      blocks: bs,
    };
  });
  if (orphans.length > 0) {
    const sum = (f: (u: Usage) => bigint) => orphans.reduce((s, u) => s + f(u), 0n);
    out.push({
      cidr: '0.0.0.0/0',
      capacity: sum((u) => u.capacity),
      inUse: sum((u) => u.inUse),
      reserved: sum((u) => u.reserved),
      free: sum((u) => u.free),
      blocks: orphans,
    });
  }
  return out;
}
