import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCIDR } from '../../../src/net/index.js';
import { decodeAffinity, encodeAffinity, parseAffinityKey } from '../../../src/ipam/core/affinity.js';
import { autoAssignFromBlock, newBlock, releaseFromBlock } from '../../../src/ipam/core/block.js';
import { decodeBlock, encodeBlock } from '../../../src/ipam/core/block-codec.js';
import {
  checkIPAMConfig,
  decodeIPAMConfig,
  effectiveMaxBlocks,
  encodeIPAMConfig,
} from '../../../src/ipam/core/config.js';
import {
  decodeHandle,
  decrementHandle,
  encodeHandle,
  incrementHandle,
} from '../../../src/ipam/core/handle.js';
import { parseJSON, setOwn, sortedRecord, stringifyJSON, type JSONOut } from '../../../src/ipam/core/json.js';
import { Reservations } from '../../../src/ipam/core/reservations.js';
import { DEFAULT_IPAM_CONFIG, type AllocationBlock } from '../../../src/ipam/model.js';

// A block as Calico writes it (Go field order, sorted map keys, seq numbers > 2^53).
const CALICO_BLOCK =
  '{"cidr":"10.65.79.0/26","affinity":"host:node1","affinity_claim_time":"2026-01-01T00:00:00Z",' +
  '"allocations":[0,null,1,null],"unallocated":[3,1],' +
  '"attributes":[{"handle_id":"k8s-pod-network.abc","secondary":{"namespace":"default","node":"node1","pod":"web-0"}},' +
  '{"releasedAt":"2026-01-01T00:00:05Z"}],' +
  '"sequenceNumber":1767225600000000123,' +
  '"sequenceNumberForAllocation":{"0":1767225600000000120,"2":1767225600000000122},"deleted":false}';

describe('lossless JSON', () => {
  it('reads integers beyond 2^53 as exact bigints and writes them back as digits', () => {
    const v = parseJSON('{"a":18446744073709551615,"b":9007199254740993,"c":12,"d":-1.5e3}');
    assert.deepEqual(v, { a: 18446744073709551615n, b: 9007199254740993n, c: 12, d: -1500 });
    assert.equal(stringifyJSON(v), '{"a":18446744073709551615,"b":9007199254740993,"c":12,"d":-1500}');
  });

  it("escapes like Go's encoder", () => {
    assert.equal(
      stringifyJSON('<a&b>\u2028"\\\n\u0001'),
      '"\\u003ca\\u0026b\\u003e\\u2028\\"\\\\\\n\\u0001"',
    );
  });

  it('agrees with JSON.parse on ordinary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = JSON.stringify(v);
        const asNumbers = JSON.parse(stringifyJSON(parseJSON(text)));
        assert.deepEqual(asNumbers, JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects malformed input with DECODE', () => {
    for (const bad of ['{', '[1,]', '{"a" 1}', '01', '"\\x"', '1 2', 'nul']) {
      assert.throws(() => parseJSON(bad), { code: 'DECODE' }, bad);
    }
  });
});

describe('block codec', () => {
  it('round-trips Calico JSON byte for byte, seq numbers exact', () => {
    const b = decodeBlock(CALICO_BLOCK);
    assert.equal(b.sequenceNumber, 1767225600000000123n);
    assert.equal(b.sequenceNumberForAllocation!['2'], 1767225600000000122n);
    assert.equal(b.affinity_claim_time, '2026-01-01T00:00:00Z');
    assert.deepEqual(b.attributes[1], { releasedAt: '2026-01-01T00:00:05Z' });
    assert.equal(encodeBlock(b), CALICO_BLOCK);
  });

  it('writes a new block with Go field order, null affinity and no claim time when unaffine', () => {
    const b = newBlock(parseCIDR('fd00::/126'), { nowNs: 18446744073709551000n, affinity: null });
    assert.equal(
      encodeBlock(b),
      '{"cidr":"fd00::/126","affinity":null,"allocations":[null,null,null,null],"unallocated":[0,1,2,3],' +
        '"attributes":[],"sequenceNumber":18446744073709551000,"sequenceNumberForAllocation":{},"deleted":false}',
    );
  });

  it('reads Go nil slices and maps, and the legacy hostAffinity field', () => {
    const b = decodeBlock(
      '{"cidr":"10.0.0.0/30","affinity":null,"hostAffinity":"old","allocations":[null,null,null,null],' +
        '"unallocated":[0,1,2,3],"attributes":null,"sequenceNumber":0,"sequenceNumberForAllocation":null,"deleted":false}',
    );
    assert.equal(b.affinity, 'host:old');
    assert.deepEqual(b.attributes, []);
    assert.equal(b.sequenceNumberForAllocation, undefined);
    assert.match(encodeBlock(b), /"sequenceNumberForAllocation":null/);
  });

  it('sorts map keys as Go does (string order)', () => {
    const b = newBlock(parseCIDR('10.0.0.0/28'), { nowNs: 1n, affinity: 'host:a' });
    autoAssignFromBlock(
      b,
      12,
      'h',
      { pod: 'p', namespace: 'n', node: 'a' },
      {
        strict: false,
        affinity: 'host:a',
        host: 'a',
        type: 'host',
      },
      Reservations.NONE,
    );
    const text = encodeBlock(b);
    assert.match(text, /"secondary":\{"namespace":"n","node":"a","pod":"p"\}/);
    assert.match(text, /"sequenceNumberForAllocation":\{"0":1,"1":1,"10":1,"11":1,"2":1,/);
    releaseFromBlock(b, [{ address: '10.0.0.0', ordinal: 0 }], new Date(0), 0);
    assert.deepEqual(decodeBlock(encodeBlock(b)), b);
  });

  it('writes exactly what a generic JSON writer in Go field order writes, for any block', () => {
    // The straightforward encoding (an object in Go's field order, maps sorted) as the reference.
    const sorted = <T>(r: Record<string, T> | undefined) =>
      r ? sortedRecord(r as Record<string, JSONOut>) : r;
    const reference = (b: AllocationBlock): string => {
      const o: Record<string, JSONOut | undefined> = { cidr: b.cidr, affinity: b.affinity };
      if (b.affinity_claim_time) o.affinity_claim_time = b.affinity_claim_time;
      o.allocations = b.allocations;
      o.unallocated = b.unallocated;
      o.attributes = b.attributes.map((a) => ({
        handle_id: a.handle_id,
        secondary: a.secondary && Object.keys(a.secondary).length ? sorted(a.secondary) : undefined,
        alternateOwnerAttrs:
          a.alternateOwnerAttrs && Object.keys(a.alternateOwnerAttrs).length
            ? sorted(a.alternateOwnerAttrs)
            : undefined,
        releasedAt: a.releasedAt,
      }));
      o.sequenceNumber = b.sequenceNumber;
      o.sequenceNumberForAllocation = sorted(b.sequenceNumberForAllocation) ?? null;
      o.deleted = b.deleted ?? false;
      return stringifyJSON(o);
    };
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('<&>', '\u2028', '"\\'),
    );
    const record = <T>(v: fc.Arbitrary<T>) => fc.option(fc.dictionary(text, v), { nil: undefined });
    const block: fc.Arbitrary<AllocationBlock> = fc.record(
      {
        cidr: text,
        affinity: fc.option(text, { nil: null }),
        affinity_claim_time: fc.option(text, { nil: undefined }),
        allocations: fc.array(fc.option(fc.nat(), { nil: null })),
        unallocated: fc.array(fc.nat()),
        attributes: fc.array(
          fc.record(
            {
              handle_id: text,
              secondary: record(text),
              alternateOwnerAttrs: record(text),
              releasedAt: text,
            },
            { requiredKeys: [] },
          ),
        ),
        sequenceNumber: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        sequenceNumberForAllocation: record(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
        deleted: fc.option(fc.boolean(), { nil: undefined }),
      },
      { requiredKeys: ['cidr', 'affinity', 'allocations', 'unallocated', 'attributes', 'sequenceNumber'] },
    );
    fc.assert(
      fc.property(block, (b) => assert.equal(encodeBlock(b), reference(b))),
      { numRuns: 500 },
    );
    // Ordinal-keyed sequence numbers (the usual case, with reused fragments), changed between writes
    // as allocations and releases change them; sometimes a key that is not a canonical ordinal.
    const seqEdits = fc.array(
      fc.tuple(fc.nat(99), fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { nil: undefined })),
      { maxLength: 20 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.array(seqEdits, { minLength: 1, maxLength: 4 }),
        fc.option(fc.constantFrom('01', '-1', '100', '__proto__', ''), { nil: undefined }),
        (n, rounds, odd) => {
          const b = decodeBlock(
            `{"cidr":"10.0.0.0/26","affinity":null,"allocations":[${Array(n).fill('null').join(',')}],"unallocated":[],"attributes":[],"sequenceNumber":1}`,
          );
          const seqs: Record<string, bigint> = {};
          b.sequenceNumberForAllocation = seqs;
          for (const [i, edits] of rounds.entries()) {
            for (const [o, v] of edits) {
              if (o >= n) continue;
              if (v === undefined) delete seqs[String(o)];
              else seqs[String(o)] = v;
            }
            if (odd !== undefined && i === rounds.length - 1) setOwn(seqs, odd, 7n);
            assert.equal(encodeBlock(b), reference(b));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects blocks that point at missing attributes', () => {
    assert.throws(
      () =>
        decodeBlock(
          '{"cidr":"10.0.0.0/31","affinity":null,"allocations":[0,null],"unallocated":[1],"attributes":[]}',
        ),
      { code: 'DECODE' },
    );
  });
});

describe('affinity, handle and config codecs', () => {
  it('affinity values, including the legacy empty value', () => {
    assert.equal(encodeAffinity({ state: 'pending' }), '{"state":"pending","deleted":false}');
    assert.deepEqual(decodeAffinity(''), {});
    assert.deepEqual(decodeAffinity('{"state":"confirmed","deleted":false}'), { state: 'confirmed' });
    assert.deepEqual(parseAffinityKey('/calico/ipam/v2/host/node-1/ipv6/block/fd5f:abcd:64::-122'), {
      type: 'host',
      host: 'node-1',
      family: 6,
      cidr: 'fd5f:abcd:64::/122',
    });
    assert.equal(parseAffinityKey('/calico/ipam/v2/host/node-1'), undefined);
  });

  it('handle values: what a generic JSON writer gives, map keys in byte order', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary' }), fc.nat()),
        fc.option(fc.boolean(), { nil: undefined }),
        (block, deleted) =>
          assert.equal(
            encodeHandle({ block, deleted }),
            stringifyJSON({ block: sortedRecord(block), deleted: deleted ?? false }),
          ),
      ),
      { numRuns: 300 },
    );
  });

  it('handles count per block; entries at zero disappear; bad decrements are refused', () => {
    const h = incrementHandle(incrementHandle(undefined, '10.0.0.0/26', 2), '10.0.1.0/26', 1);
    assert.equal(encodeHandle(h), '{"block":{"10.0.0.0/26":2,"10.0.1.0/26":1},"deleted":false}');
    assert.deepEqual(decodeHandle(encodeHandle(h)), h);
    assert.deepEqual(decrementHandle(h, '10.0.1.0/26', 1)!.block, { '10.0.0.0/26': 2 });
    assert.equal(decrementHandle(h, '10.0.1.0/26', 2), undefined);
    assert.equal(decrementHandle(h, '10.9.0.0/26', 1), undefined);
  });

  it('config uses Calico key names and omitempty; a present key reads absent fields as zero', () => {
    const cfg = { ...DEFAULT_IPAM_CONFIG, strictAffinity: true, maxBlocksPerHost: 4 };
    assert.equal(
      encodeIPAMConfig(cfg),
      '{"strict_affinity":true,"auto_allocate_blocks":true,"maxBlocksPerHost":4,"kubeVirtVMAddressPersistence":"Enabled"}',
    );
    assert.deepEqual(decodeIPAMConfig('{"strict_affinity":true}'), {
      strictAffinity: true,
      autoAllocateBlocks: false,
      maxBlocksPerHost: 0,
      kubeVirtVMAddressPersistence: 'Enabled',
      ipCooldownSeconds: 0,
    });
    assert.throws(
      () => checkIPAMConfig({ ...DEFAULT_IPAM_CONFIG, autoAllocateBlocks: false }),
      /Cannot disable 'StrictAffinity' and 'AutoAllocateBlocks' at the same time/,
    );
    assert.throws(
      () => checkIPAMConfig({ ...DEFAULT_IPAM_CONFIG, maxBlocksPerHost: 2 }),
      /MaxBlocksPerHost requires StrictAffinity to be enabled/,
    );
  });

  it('block cap: request tightened by config; config alone; 20 when neither', () => {
    assert.equal(effectiveMaxBlocks(undefined, 0), 20);
    assert.equal(effectiveMaxBlocks(0, 3), 3);
    assert.equal(effectiveMaxBlocks(5, 3), 3);
    assert.equal(effectiveMaxBlocks(2, 3), 2);
    assert.equal(effectiveMaxBlocks(7, 0), 7);
  });
});
