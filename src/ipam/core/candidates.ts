/**
 * The order in which a host considers a pool's block CIDRs: a start index drawn from a PRNG seeded
 * with the 32-bit FNV-1 hash of the hostname (so each host keeps to its own region of the pool and
 * hosts diverge), then sequential with wrap-around, each CIDR once. Lazy: a /8 pool of /26 blocks
 * has 262,144 candidates, and nothing here materialises them.
 *
 * The PRNG is ours (not Go's math/rand), so start indexes differ from Calico's; what matters is that
 * the order is deterministic per host.
 */
import { cidrFirst, familyBits, type CIDR } from '../../net/index.js';

/** 32-bit FNV-1 (multiply, then xor) over the UTF-8 bytes. */
export function fnv1_32(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(s, 'utf8')) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h = (h ^ byte) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: small, fast, good enough to spread start indexes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniform in [0, n) by rejection sampling on the bit length of n − 1. */
export function uniformBelow(n: bigint, next: () => number): bigint {
  if (n <= 1n) return 0n;
  const bits = (n - 1n).toString(2).length;
  const words = Math.ceil(bits / 32);
  const mask = (1n << BigInt(bits)) - 1n;
  for (;;) {
    let r = 0n;
    for (let i = 0; i < words; i++) r = (r << 32n) | BigInt(next());
    r &= mask;
    if (r < n) return r;
  }
}

/**
 * Seed for a host: FNV-1 of the hostname; for single-address blocks (/32, /128) Calico uses the
 * time instead (the same host need not prefer the same block), which callers pass as `timeSeed`.
 */
export function candidateSeed(host: string, blockPrefix: number, family: 4 | 6, timeSeed: number): number {
  return blockPrefix === familyBits(family) ? timeSeed >>> 0 : fnv1_32(host);
}

export class BlockWalk {
  readonly numBlocks: bigint;
  readonly start: bigint;
  private readonly base: bigint;
  private readonly step: bigint;

  constructor(
    readonly pool: CIDR,
    readonly blockPrefix: number,
    seed: number,
  ) {
    if (blockPrefix < pool.prefix || blockPrefix > familyBits(pool.family)) {
      throw new RangeError(`block size /${blockPrefix} does not fit pool /${pool.prefix}`);
    }
    this.numBlocks = 1n << BigInt(blockPrefix - pool.prefix);
    this.step = 1n << BigInt(familyBits(pool.family) - blockPrefix);
    this.base = cidrFirst(pool);
    this.start = uniformBelow(this.numBlocks, prng(seed));
  }

  /** Block network addresses in the host's order, each exactly once. */
  *[Symbol.iterator](): Generator<bigint> {
    for (let k = 0n, i = this.start; k < this.numBlocks; k++) {
      yield this.base + i * this.step;
      i++;
      if (i === this.numBlocks) i = 0n;
    }
  }

  /** Position of a block (by network address) in the walk: sorting by rank gives walk order. */
  rank(blockAddr: bigint): bigint {
    const i = (blockAddr - this.base) / this.step;
    return (i - this.start + this.numBlocks) % this.numBlocks;
  }

  contains(blockAddr: bigint): boolean {
    return blockAddr >= this.base && blockAddr < this.base + this.numBlocks * this.step;
  }
}
