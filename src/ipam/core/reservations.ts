/**
 * IPReservation CIDRs as an address filter: AutoAssign skips reserved ordinals (leaving them in the
 * FIFO) and skips blocks that one reservation covers entirely. AssignIP ignores reservations.
 */
import {
  cidrContainsCIDR,
  cidrFirst,
  cidrLast,
  cidrsOverlap,
  maskCIDR,
  tryParseCIDR,
  type CIDR,
  type IPFamily,
} from '../../net/index.js';

export class Reservations {
  private readonly v4: CIDR[];
  private readonly v6: CIDR[];

  constructor(cidrs: CIDR[]) {
    const masked = cidrs.map(maskCIDR);
    this.v4 = masked.filter((c) => c.family === 4);
    this.v6 = masked.filter((c) => c.family === 6);
  }

  /** Reservation entries are CIDRs or bare addresses, host bits allowed; unparsable ones are ignored. */
  static fromStrings(entries: readonly string[]): Reservations {
    const out: CIDR[] = [];
    for (const e of entries) {
      const c = tryParseCIDR(e, { allowBareIP: true });
      if (c) out.push(c);
    }
    return new Reservations(out);
  }

  static readonly NONE = new Reservations([]);

  get empty(): boolean {
    return this.v4.length === 0 && this.v6.length === 0;
  }

  private of(f: IPFamily): CIDR[] {
    return f === 4 ? this.v4 : this.v6;
  }

  matchesIP(family: IPFamily, value: bigint): boolean {
    for (const r of this.of(family)) {
      if (value >= r.addr && value <= cidrLast(r)) return true;
    }
    return false;
  }

  /** One reservation covers the whole CIDR (Calico does not merge reservations for this test). */
  matchesWholeCIDR(c: CIDR): boolean {
    return this.of(c.family).some((r) => cidrContainsCIDR(r, c));
  }

  matchesSome(c: CIDR): boolean {
    return this.of(c.family).some((r) => cidrsOverlap(r, c));
  }

  /** Reserved addresses inside c (overlapping reservations counted once). */
  countIn(c: CIDR): bigint {
    const lo = cidrFirst(c);
    const hi = cidrLast(c);
    const spans = this.of(c.family)
      .filter((r) => cidrsOverlap(r, c))
      .map((r) => [r.addr > lo ? r.addr : lo, cidrLast(r) < hi ? cidrLast(r) : hi] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let total = 0n;
    let end = lo - 1n;
    for (const [s, e] of spans) {
      const from = s > end ? s : end + 1n;
      if (e >= from) total += e - from + 1n;
      if (e > end) end = e;
    }
    return total;
  }
}
