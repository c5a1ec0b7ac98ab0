import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCIDR } from '../../../src/net/index.js';
import { BlockWalk, candidateSeed, fnv1_32, uniformBelow } from '../../../src/ipam/core/candidates.js';

describe('block candidate order', () => {
  it('FNV-1 32-bit of known strings', () => {
    // FNV-1 (not FNV-1a) reference values.
    assert.equal(fnv1_32(''), 0x811c9dc5);
    assert.equal(fnv1_32('a'), 0x050c5d7e);
    assert.equal(fnv1_32('foobar'), 0x31f0b262);
  });

  it('is deterministic per host, visits every block once, sequential with wrap', () => {
    const pool = parseCIDR('10.0.0.0/22');
    const a1 = [...new BlockWalk(pool, 26, candidateSeed('host-a', 26, 4, 0))];
    const a2 = [...new BlockWalk(pool, 26, candidateSeed('host-a', 26, 4, 0))];
    assert.deepEqual(a1, a2);
    assert.equal(a1.length, 16);
    assert.equal(new Set(a1).size, 16);
    const step = 64n;
    for (let i = 1; i < a1.length; i++) {
      const expected = a1[i - 1] + step === 0x0a000400n ? 0x0a000000n : a1[i - 1] + step;
      assert.equal(a1[i], expected);
    }
  });

  it('different hosts start in different places (most of the time)', () => {
    const pool = parseCIDR('10.0.0.0/8');
    const starts = new Set(
      Array.from(
        { length: 20 },
        (_, i) => new BlockWalk(pool, 26, candidateSeed(`host-${i}`, 26, 4, 0)).start,
      ),
    );
    assert.ok(starts.size >= 19);
  });

  it('is lazy: a /8 of /26 blocks (262,144) and an IPv6 /48 of /122 blocks are not materialised', () => {
    const w4 = new BlockWalk(parseCIDR('10.0.0.0/8'), 26, candidateSeed('h', 26, 4, 0));
    assert.equal(w4.numBlocks, 262_144n);
    const it4 = w4[Symbol.iterator]();
    const first = it4.next().value as bigint;
    assert.equal(w4.rank(first), 0n);
    const w6 = new BlockWalk(parseCIDR('fd00:1:2::/48'), 122, candidateSeed('h', 122, 6, 0));
    assert.equal(w6.numBlocks, 1n << 74n);
    const it6 = w6[Symbol.iterator]();
    const b0 = it6.next().value as bigint;
    const b1 = it6.next().value as bigint;
    assert.ok(b1 - b0 === 64n || b1 === (0xfd000001000200000000000000000000n as bigint));
    assert.ok(w6.start < w6.numBlocks);
  });

  it('rank sorts blocks into walk order', () => {
    const w = new BlockWalk(parseCIDR('10.0.0.0/24'), 28, 12345);
    const order = [...w];
    const shuffled = [...order].reverse();
    shuffled.sort((a, b) => Number(w.rank(a) - w.rank(b)));
    assert.deepEqual(shuffled, order);
  });

  it('single-address blocks use the time seed', () => {
    assert.equal(candidateSeed('h', 32, 4, 77), 77);
    assert.equal(candidateSeed('h', 128, 6, 78), 78);
    assert.equal(candidateSeed('h', 26, 4, 77), fnv1_32('h'));
  });

  it('uniformBelow stays in range for huge bounds', () => {
    let x = 1;
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 100; i++) {
      const r = uniformBelow(1n << 74n, next);
      assert.ok(r >= 0n && r < 1n << 74n);
      assert.ok(uniformBelow(3n, next) < 3n);
    }
    assert.equal(uniformBelow(1n, next), 0n);
  });
});
