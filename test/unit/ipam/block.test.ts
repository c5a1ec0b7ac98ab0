import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCIDR, parseIP } from '../../../src/net/index.js';
import {
  WINDOWS_RESERVED_HANDLE,
  assignOrdinal,
  autoAssignFromBlock,
  freeCount,
  garbageCollect,
  handleCounts,
  isEmpty,
  newBlock,
  ordinalOf,
  ordinalSequence,
  ordinalsByHandle,
  releaseByHandleInBlock,
  releaseFromBlock,
  sanitizeHandle,
  type AffinityCheck,
} from '../../../src/ipam/core/block.js';
import { Reservations } from '../../../src/ipam/core/reservations.js';
import { isIPAMError } from '../../../src/ipam/errors.js';
import { isCalicoError } from '../../../src/errors/index.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const NS0 = 1_767_225_600_000_000_000n; // T0 in ns: > 2^53
const loose: AffinityCheck = { strict: false, affinity: 'host:a', host: 'a', type: 'host' };
const strict: AffinityCheck = { ...loose, strict: true };
const none = Reservations.NONE;

function block(cidr = '10.0.0.0/26', affinity: string | null = 'host:a') {
  return newBlock(parseCIDR(cidr), { nowNs: NS0, affinity, claimTime: '2026-01-01T00:00:00Z' });
}

function req(
  b: ReturnType<typeof block>,
  ip: string,
  extra: { handleId?: string; sequenceNumber?: bigint } = {},
) {
  return { address: ip, ordinal: ordinalOf(b, parseIP(ip))!, ...extra };
}

describe('block creation', () => {
  it('starts with the FIFO 0..N-1, every allocation free, seq = creation time in ns', () => {
    const b = block();
    assert.equal(b.allocations.length, 64);
    assert.deepEqual(
      b.unallocated,
      Array.from({ length: 64 }, (_, i) => i),
    );
    assert.ok(b.allocations.every((a) => a === null));
    assert.equal(b.sequenceNumber, NS0);
    assert.deepEqual(b.attributes, []);
    assert.equal(b.cidr, '10.0.0.0/26');
  });

  it('host-reserved edges are pre-allocated to one attribute and leave the FIFO', () => {
    const b = newBlock(parseCIDR('10.0.0.0/26'), {
      nowNs: NS0,
      affinity: 'host:w',
      reserved: {
        startOfBlock: 3,
        endOfBlock: 1,
        handle: WINDOWS_RESERVED_HANDLE,
        note: 'windows host rsvd',
      },
    });
    assert.deepEqual(b.attributes, [
      { handle_id: WINDOWS_RESERVED_HANDLE, secondary: { note: 'windows host rsvd' } },
    ]);
    assert.deepEqual([b.allocations[0], b.allocations[1], b.allocations[2], b.allocations[63]], [0, 0, 0, 0]);
    assert.equal(b.allocations[3], null);
    assert.deepEqual(
      b.unallocated,
      Array.from({ length: 60 }, (_, i) => i + 3),
    );
    assert.ok(isEmpty(b), 'edge reservations do not make a block non-empty');
  });

  it('an IPv6 /122 block has 64 ordinals', () => {
    const b = block('fd00:1::/122');
    assert.equal(b.allocations.length, 64);
    assert.equal(b.cidr, 'fd00:1::/122');
    const got = autoAssignFromBlock(b, 2, 'h', undefined, loose, none);
    assert.deepEqual(got, [0, 1]);
    assert.equal(ordinalOf(b, parseIP('fd00:1::3f')), 63);
    assert.equal(ordinalOf(b, parseIP('fd00:1::40')), undefined);
  });
});

describe('assignment', () => {
  it('takes from the FIFO front; one shared attribute per call; reuses an identical attribute', () => {
    const b = block();
    assert.deepEqual(autoAssignFromBlock(b, 3, 'h1', { pod: 'p' }, loose, none), [0, 1, 2]);
    assert.deepEqual(b.allocations.slice(0, 4), [0, 0, 0, null]);
    assert.deepEqual(autoAssignFromBlock(b, 1, 'h2', { pod: 'q' }, loose, none), [3]);
    assert.equal(b.allocations[3], 1);
    assert.deepEqual(autoAssignFromBlock(b, 1, 'h1', { pod: 'p' }, loose, none), [4]);
    assert.equal(b.allocations[4], 0, 'identical attribute reused');
    assert.equal(b.attributes.length, 2);
    assert.equal(b.unallocated[0], 5);
  });

  it('stamps each ordinal with the block sequence number before the write', () => {
    const b = block();
    autoAssignFromBlock(b, 2, 'h', undefined, loose, none);
    assert.equal(ordinalSequence(b, 0), NS0);
    b.sequenceNumber += 1n; // what a write does
    autoAssignFromBlock(b, 1, 'h', undefined, loose, none);
    assert.equal(ordinalSequence(b, 2), NS0 + 1n);
    assert.equal(ordinalSequence(b, 40), 0n, 'missing entries read as 0');
  });

  it('skips reserved ordinals but keeps them in place at the front', () => {
    const b = block();
    const res = Reservations.fromStrings(['10.0.0.0/31', '10.0.0.3']);
    assert.deepEqual(autoAssignFromBlock(b, 2, 'h', undefined, loose, res), [2, 4]);
    assert.deepEqual(b.unallocated.slice(0, 4), [0, 1, 3, 5]);
    assert.equal(freeCount(b, res), 59);
    assert.equal(freeCount(b, Reservations.fromStrings(['10.0.0.0/24'])), 0, 'whole block reserved');
  });

  it('returns nothing from a full block', () => {
    const b = block('10.0.0.0/30');
    assert.deepEqual(autoAssignFromBlock(b, 9, 'h', undefined, loose, none), [0, 1, 2, 3]);
    assert.deepEqual(autoAssignFromBlock(b, 1, 'h', undefined, loose, none), []);
    assert.deepEqual(b.unallocated, []);
  });

  it('strict affinity refuses other hosts and unaffine blocks', () => {
    assert.throws(
      () => autoAssignFromBlock(block('10.0.0.0/26', 'host:b'), 1, 'h', undefined, strict, none),
      (e) =>
        isIPAMError(e, 'affinityMismatch') &&
        /Block affinity \(host:b\) does not match provided \(a:host\)/.test(e.message),
    );
    assert.throws(
      () => autoAssignFromBlock(block('10.0.0.0/26', null), 1, 'h', undefined, strict, none),
      /Attempt to assign from block 10.0.0.0\/26 with no affinity/,
    );
    assert.deepEqual(
      autoAssignFromBlock(block('10.0.0.0/26', 'host:b'), 1, 'h', undefined, loose, none),
      [0],
    );
  });

  it('assigns a specific ordinal, removing it from the FIFO and keeping the order', () => {
    const b = block();
    assignOrdinal(b, 5, 'h', { x: 'y' }, loose);
    assert.deepEqual(b.unallocated.slice(0, 6), [0, 1, 2, 3, 4, 6]);
    assert.equal(b.allocations[5], 0);
    assert.throws(
      () => assignOrdinal(b, 5, 'h2', undefined, loose),
      (e) =>
        isCalicoError(e, 'ALREADY_EXISTS') &&
        /10.0.0.5 with error: Address already assigned in block/.test(e.message),
    );
    assert.throws(
      () => assignOrdinal(block('10.0.0.0/26', 'host:b'), 1, 'h', undefined, strict),
      /Block host affinity does not match/,
    );
  });
});

describe('release, cooldown and GC', () => {
  it('with cooldown 0 frees at once, appending at the FIFO tail (longest-free reused first)', () => {
    const b = block();
    autoAssignFromBlock(b, 3, 'h1', undefined, loose, none);
    const out = releaseFromBlock(b, [req(b, '10.0.0.1')], T0, 0);
    assert.deepEqual(out.unallocated, []);
    assert.deepEqual([...out.countByHandle], [['h1', 1]]);
    assert.equal(b.allocations[1], null);
    assert.equal(b.unallocated.at(-1), 1);
    assert.equal(b.unallocated[0], 3);
    assert.equal(ordinalSequence(b, 1), 0n, 'seq entry dropped when freed');
    assert.equal(b.attributes.length, 1, 'cooldown attribute pruned');
  });

  it('with a cooldown, released ordinals stay allocated to a {releasedAt} attribute until it expires', () => {
    const b = block();
    autoAssignFromBlock(b, 2, 'h1', undefined, loose, none);
    b.sequenceNumber += 7n;
    releaseFromBlock(b, [req(b, '10.0.0.0'), req(b, '10.0.0.1')], T0, 30);
    assert.deepEqual(b.attributes, [{ releasedAt: '2026-01-01T00:00:00Z' }]);
    assert.deepEqual(b.allocations.slice(0, 2), [0, 0]);
    assert.equal(ordinalSequence(b, 0), NS0 + 7n, 're-stamped on release');
    assert.equal(isEmpty(b), false, 'cooldown makes a block non-empty');
    assert.deepEqual(ordinalsByHandle(b, 'h1'), []);
    // Releasing again reports the address as unallocated, no error.
    assert.deepEqual(releaseFromBlock(b, [req(b, '10.0.0.0')], T0, 30).unallocated, ['10.0.0.0']);
    assert.equal(garbageCollect(b, new Date(T0.getTime() + 30_000), 30), false, 'not strictly older yet');
    assert.equal(garbageCollect(b, new Date(T0.getTime() + 30_001), 30), true);
    assert.deepEqual(b.unallocated.slice(-2), [0, 1]);
    assert.deepEqual(b.attributes, []);
    assert.ok(isEmpty(b));
  });

  it('GC re-indexes attributes after pruning', () => {
    const b = block();
    autoAssignFromBlock(b, 1, 'a', undefined, loose, none);
    autoAssignFromBlock(b, 1, 'b', undefined, loose, none);
    autoAssignFromBlock(b, 1, 'c', undefined, loose, none);
    releaseFromBlock(b, [req(b, '10.0.0.0')], T0, 0);
    assert.deepEqual(
      b.attributes.map((a) => a.handle_id),
      ['b', 'c'],
    );
    assert.deepEqual(b.allocations.slice(0, 3), [null, 0, 1]);
  });

  it('a stale sequence number or another handle fails the whole request and changes nothing', () => {
    const b = block();
    autoAssignFromBlock(b, 2, 'h1', undefined, loose, none);
    const before = JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    assert.throws(
      () => releaseFromBlock(b, [req(b, '10.0.0.0'), req(b, '10.0.0.1', { sequenceNumber: 5n })], T0, 0),
      (e) =>
        isCalicoError(e, 'UPDATE_CONFLICT') &&
        isIPAMError(e, 'badSequenceNumber') &&
        e.message === 'update conflict: 10.0.0.1' &&
        /the given sequence number \(5\) does not match \(1767225600000000000\)/.test(String(e.hint)),
    );
    assert.throws(
      () => releaseFromBlock(b, [req(b, '10.0.0.0', { handleId: 'other' })], T0, 0),
      (e) =>
        isIPAMError(e, 'badHandle') &&
        /the given handle \(other\) does not match \(h1\)/.test(String(e.hint)),
    );
    assert.equal(
      JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
      before,
    );
    const ok = releaseFromBlock(b, [req(b, '10.0.0.0', { handleId: 'h1', sequenceNumber: NS0 })], T0, 0);
    assert.equal(ok.released, 1);
  });

  it('release by handle takes every ordinal of the handle, honouring a sequence number', () => {
    const b = block();
    autoAssignFromBlock(b, 2, 'h1', undefined, loose, none);
    b.sequenceNumber += 1n;
    autoAssignFromBlock(b, 1, 'h1', { other: 'attrs' }, loose, none);
    autoAssignFromBlock(b, 1, 'h2', undefined, loose, none);
    assert.deepEqual(
      [...handleCounts(b)],
      [
        ['h1', 3],
        ['h2', 1],
      ],
    );
    assert.equal(releaseByHandleInBlock(b, 'h1', T0, 0, NS0 + 1n), 1);
    assert.deepEqual(ordinalsByHandle(b, 'h1'), [0, 1]);
    assert.equal(releaseByHandleInBlock(b, 'h1', T0, 0), 2);
    assert.deepEqual(ordinalsByHandle(b, 'h2'), [3]);
    assert.equal(releaseByHandleInBlock(b, 'nope', T0, 0), 0);
  });

  it('handles are cut at the first CR', () => {
    assert.equal(sanitizeHandle('k8s-pod-network.abc\r\n'), 'k8s-pod-network.abc');
    assert.equal(sanitizeHandle('plain'), 'plain');
  });
});
