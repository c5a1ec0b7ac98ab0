/**
 * Set arithmetic over IPReservation CIDRs. Two CIDRs are either nested or disjoint, so clipping
 * every reservation to a range and dropping those inside another leaves disjoint pieces whose
 * sizes add up to the number of reserved addresses, each counted once.
 */
import {
  cidrContainsCIDR,
  cidrContainsIP,
  cidrsOverlap,
  cidrSize,
  type CIDR,
  type IPAddr,
} from '../../../net/index.js';

/** How many addresses of `range` fall inside at least one reservation. */
export function reservedCount(range: CIDR, reservations: readonly CIDR[]): bigint {
  const pieces: CIDR[] = [];
  for (const r of reservations) {
    if (r.family !== range.family || !cidrsOverlap(r, range)) continue;
    pieces.push(cidrContainsCIDR(range, r) ? r : range);
  }
  // Widest first, so a piece nested in an earlier one is seen after it and skipped.
  pieces.sort((a, b) => a.prefix - b.prefix);
  const kept: CIDR[] = [];
  for (const p of pieces) if (!kept.some((k) => cidrContainsCIDR(k, p))) kept.push(p);
  return kept.reduce((sum, k) => sum + cidrSize(k), 0n);
}

export function isReserved(ip: IPAddr, reservations: readonly CIDR[]): boolean {
  return reservations.some((r) => r.family === ip.family && cidrContainsIP(r, ip));
}
