import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type CIDR,
  InvalidAddressError,
  addressOffset,
  blockContaining,
  blockCount,
  canonicalCIDR,
  cidrContainsCIDR,
  cidrContainsIP,
  cidrEquals,
  cidrFirst,
  cidrLast,
  cidrSize,
  cidrToKeySegment,
  cidrsOverlap,
  familyBits,
  formatCIDR,
  formatIP,
  isLinkLocal,
  isStrictlyMasked,
  keySegmentToCIDR,
  maskCIDR,
  nthAddress,
  parseCIDR,
  parseIP,
  splitCIDR,
  tryParseCIDR,
} from '../../../src/net/index.js';
import { anyCIDR, anyIP, v4Value, v6Value } from './arbitraries.js';

const c = (s: string): CIDR => parseCIDR(s);

test('parses CIDRs as written, keeping host bits', () => {
  assert.deepEqual(c('10.0.0.0/8'), { family: 4, addr: 0x0a000000n, prefix: 8 });
  assert.deepEqual(c('10.0.0.5/8'), { family: 4, addr: 0x0a000005n, prefix: 8 });
  assert.deepEqual(c('0.0.0.0/0'), { family: 4, addr: 0n, prefix: 0 });
  assert.deepEqual(c('fd00::/8'), { family: 6, addr: 0xfdn << 120n, prefix: 8 });
  assert.deepEqual(c('::/0'), { family: 6, addr: 0n, prefix: 0 });
  assert.deepEqual(c('::1/128'), { family: 6, addr: 1n, prefix: 128 });
  assert.equal(formatCIDR(c('10.0.0.5/8')), '10.0.0.5/8');
  assert.equal(formatCIDR(c('FD00:0::5/64')), 'fd00::5/64');
});

test('allowBareIP turns an address into a host CIDR', () => {
  assert.deepEqual(parseCIDR('1.2.3.4', { allowBareIP: true }), { family: 4, addr: 0x01020304n, prefix: 32 });
  assert.deepEqual(parseCIDR('fd00::1', { allowBareIP: true }), {
    family: 6,
    addr: (0xfd00n << 112n) | 1n,
    prefix: 128,
  });
  assert.deepEqual(parseCIDR('10.0.0.0/8', { allowBareIP: true }), c('10.0.0.0/8'));
  assert.throws(() => parseCIDR('1.2.3.4'), /missing '\/<prefix length>'/);
  assert.throws(() => parseCIDR('01.2.3.4', { allowBareIP: true }), /leading zero.*or a bare IP address/);
});

test('strict rejects host bits and names the masked form', () => {
  assert.deepEqual(parseCIDR('10.0.0.0/8', { strict: true }), c('10.0.0.0/8'));
  assert.throws(
    () => parseCIDR('10.0.0.5/8', { strict: true }),
    (e: unknown) => {
      assert.ok(e instanceof InvalidAddressError);
      assert.equal(e.code, 'VALIDATION');
      assert.match(e.message, /not strictly masked/);
      assert.match(e.message, /10\.0\.0\.0\/8/);
      assert.match(e.message, /"10\.0\.0\.5\/8"/);
      return true;
    },
  );
  assert.throws(() => parseCIDR('fd00::1/64', { strict: true }), /not strictly masked.*fd00::\/64/);
  assert.equal(tryParseCIDR('192.168.1.1/24', { strict: true }), undefined);
});

const invalid: Array<[string, RegExp]> = [
  ['', /empty/],
  ['10.0.0.0', /missing/],
  ['10.0.0.0/', /empty prefix length/],
  ['10.0.0.0/33', /greater than 32/],
  ['fd00::/129', /greater than 128/],
  ['10.0.0.0/08', /leading zero/],
  ['10.0.0.0/+8', /decimal number/],
  ['10.0.0.0/-8', /decimal number/],
  ['10.0.0.0/8 ', /decimal number/],
  ['10.0.0.0/8/8', /decimal number/],
  ['/8', /bad address part: empty/],
  ['010.0.0.0/8', /bad address part: IPv4 octet has a leading zero/],
  ['fe80::1%eth0/64', /zones/],
  ['[fd00::]/64', /brackets/],
];
for (const [text, why] of invalid) {
  test(`rejects CIDR ${JSON.stringify(text)}`, () => {
    assert.equal(tryParseCIDR(text), undefined);
    assert.throws(
      () => parseCIDR(text),
      (e: unknown) => {
        assert.ok(e instanceof InvalidAddressError);
        assert.equal(e.code, 'VALIDATION');
        assert.match(e.message, why);
        assert.ok(e.message.includes(JSON.stringify(text)), e.message);
        assert.match(e.message, /expected a CIDR like 10\.0\.0\.0\/8/);
        return true;
      },
    );
  });
}

test('mask, canonical form and strictness', () => {
  assert.equal(canonicalCIDR('10.0.0.5/8'), '10.0.0.0/8');
  assert.equal(canonicalCIDR('FD00::/8'), 'fd00::/8');
  assert.equal(canonicalCIDR('fd5f:abcd:0064:0000::1/122'), 'fd5f:abcd:64::/122');
  assert.equal(canonicalCIDR('1.2.3.4/0'), '0.0.0.0/0');
  assert.equal(canonicalCIDR('1.2.3.4/32'), '1.2.3.4/32');
  assert.equal(isStrictlyMasked(c('10.0.0.5/8')), false);
  assert.equal(isStrictlyMasked(c('10.0.0.0/8')), true);
  assert.equal(formatCIDR(maskCIDR(c('192.168.7.200/26'))), '192.168.7.192/26');
});

test('size, first and last', () => {
  assert.equal(familyBits(4), 32);
  assert.equal(familyBits(6), 128);
  assert.equal(cidrSize(c('10.0.0.0/8')), 1n << 24n);
  assert.equal(cidrSize(c('::/0')), 1n << 128n);
  assert.equal(cidrSize(c('1.2.3.4/32')), 1n);
  assert.equal(formatIP({ family: 4, value: cidrFirst(c('10.1.2.3/16')) }), '10.1.0.0');
  assert.equal(formatIP({ family: 4, value: cidrLast(c('10.1.2.3/16')) }), '10.1.255.255');
  assert.equal(formatIP({ family: 6, value: cidrLast(c('fd00::/120')) }), 'fd00::ff');
});

test('containment and overlap', () => {
  assert.ok(cidrContainsIP(c('10.0.0.0/8'), parseIP('10.255.0.1')));
  assert.ok(!cidrContainsIP(c('10.0.0.0/8'), parseIP('11.0.0.0')));
  assert.ok(!cidrContainsIP(c('0.0.0.0/0'), parseIP('::1')), 'never across families');
  assert.ok(!cidrContainsIP(c('::/0'), parseIP('1.2.3.4')), 'never across families');
  assert.ok(!cidrContainsIP(c('::ffff:0.0.0.0/96'), parseIP('1.2.3.4')), 'v4-mapped is still IPv6');
  assert.ok(cidrContainsCIDR(c('10.0.0.0/8'), c('10.1.0.0/16')));
  assert.ok(cidrContainsCIDR(c('10.0.0.0/8'), c('10.0.0.0/8')));
  assert.ok(!cidrContainsCIDR(c('10.1.0.0/16'), c('10.0.0.0/8')));
  assert.ok(cidrsOverlap(c('10.1.0.0/16'), c('10.0.0.0/8')));
  assert.ok(cidrsOverlap(c('10.0.0.0/8'), c('10.1.0.0/16')));
  assert.ok(!cidrsOverlap(c('10.0.0.0/9'), c('10.128.0.0/9')));
  assert.ok(!cidrsOverlap(c('0.0.0.0/0'), c('::/0')));
  assert.ok(cidrEquals(c('10.0.0.5/8'), c('10.0.0.0/8')));
  assert.ok(!cidrEquals(c('10.0.0.0/8'), c('10.0.0.0/9')));
});

test('link-local detection in either direction', () => {
  assert.ok(isLinkLocal(c('169.254.0.0/16')));
  assert.ok(isLinkLocal(c('169.254.1.0/24')));
  assert.ok(isLinkLocal(c('169.0.0.0/8')), 'contains the link-local range');
  assert.ok(isLinkLocal(c('0.0.0.0/0')));
  assert.ok(!isLinkLocal(c('169.255.0.0/16')));
  assert.ok(!isLinkLocal(c('10.0.0.0/8')));
  assert.ok(isLinkLocal(c('fe80::/64')));
  assert.ok(isLinkLocal(c('fe80::/10')));
  assert.ok(isLinkLocal(c('fe00::/7')));
  assert.ok(isLinkLocal(c('febf:ffff::/32')));
  assert.ok(!isLinkLocal(c('fec0::/10')));
  assert.ok(!isLinkLocal(c('fd00::/8')));
});

test('nthAddress and addressOffset', () => {
  const block = c('10.65.79.0/26');
  assert.equal(formatIP(nthAddress(block, 0)), '10.65.79.0');
  assert.equal(formatIP(nthAddress(block, 63n)), '10.65.79.63');
  assert.equal(formatIP(nthAddress(c('10.65.79.17/26'), 1)), '10.65.79.1', 'counts from the network address');
  assert.throws(() => nthAddress(block, 64), RangeError);
  assert.throws(() => nthAddress(block, -1), RangeError);
  assert.throws(() => nthAddress(block, 1.5), RangeError);
  assert.equal(addressOffset(block, parseIP('10.65.79.9')), 9n);
  assert.throws(() => addressOffset(block, parseIP('10.65.79.64')), /not inside 10\.65\.79\.0\/26/);
  assert.throws(() => addressOffset(block, parseIP('::1')), RangeError);
  assert.equal(formatIP(nthAddress(c('fd00::/120'), 255)), 'fd00::ff');
});

test('splitCIDR is lazy and ordered', () => {
  assert.deepEqual([...splitCIDR(c('10.0.0.0/24'), 26)].map(formatCIDR), [
    '10.0.0.0/26',
    '10.0.0.64/26',
    '10.0.0.128/26',
    '10.0.0.192/26',
  ]);
  assert.deepEqual([...splitCIDR(c('10.0.0.7/24'), 24)].map(formatCIDR), ['10.0.0.0/24']);
  // A /8 into /26 is 262144 blocks and a ::/0 into /122 is 2^122: take a few without materialising.
  const big = splitCIDR(c('10.0.0.0/8'), 26);
  big.next();
  assert.equal(formatCIDR(big.next().value as CIDR), '10.0.0.64/26');
  assert.equal(blockCount(c('10.0.0.0/8'), 26), 262144n);
  const huge = splitCIDR(c('fd00::/8'), 122);
  huge.next();
  assert.equal(formatCIDR(huge.next().value as CIDR), 'fd00::40/122');
  assert.equal(blockCount(c('fd00::/8'), 122), 1n << 114n);
  assert.throws(() => blockCount(c('10.0.0.0/24'), 16), RangeError);
  assert.throws(() => blockCount(c('10.0.0.0/24'), 33), RangeError);
  assert.throws(() => splitCIDR(c('10.0.0.0/24'), 16), RangeError, 'validated eagerly');
});

test('blockContaining', () => {
  assert.equal(formatCIDR(blockContaining(parseIP('10.65.79.77'), 26)), '10.65.79.64/26');
  assert.equal(formatCIDR(blockContaining(parseIP('fd5f:abcd:64::4f'), 122)), 'fd5f:abcd:64::40/122');
  assert.throws(() => blockContaining(parseIP('1.2.3.4'), 64), RangeError);
});

test('etcd key segments', () => {
  assert.equal(cidrToKeySegment('10.65.79.0/26'), '10.65.79.0-26');
  assert.equal(cidrToKeySegment('10.65.79.5/26'), '10.65.79.0-26');
  assert.equal(cidrToKeySegment(c('fd5f:abcd:64::/122')), 'fd5f:abcd:64::-122');
  assert.equal(cidrToKeySegment('FD5F:ABCD:0064::0/122'), 'fd5f:abcd:64::-122');
  assert.deepEqual(keySegmentToCIDR('10.65.79.0-26'), c('10.65.79.0/26'));
  assert.deepEqual(keySegmentToCIDR('fd5f:abcd:64::-122'), c('fd5f:abcd:64::/122'));
  assert.throws(() => keySegmentToCIDR('10.65.79.0/26'), /IPAM block key segment.*no '-'.*10\.65\.79\.0-26/);
  assert.throws(() => keySegmentToCIDR('10.65.79.0-33'), /greater than 32/);
  assert.throws(() => cidrToKeySegment('nonsense'), InvalidAddressError);
});

// Property tests. Prefixes are drawn near the end of the family so that splits stay small.
const nearCIDR = fc.oneof(
  fc
    .tuple(v4Value, fc.integer({ min: 0, max: 32 }))
    .map(([addr, prefix]): CIDR => ({ family: 4, addr, prefix })),
  fc
    .tuple(v6Value, fc.integer({ min: 0, max: 128 }))
    .map(([addr, prefix]): CIDR => ({ family: 6, addr, prefix })),
);

test('property: CIDR format/parse round trip and canonical fixed point', () => {
  fc.assert(
    fc.property(anyCIDR, (x) => {
      assert.deepEqual(parseCIDR(formatCIDR(x)), x);
      const canon = canonicalCIDR(formatCIDR(x));
      assert.equal(canonicalCIDR(canon), canon);
      assert.deepEqual(parseCIDR(canon, { strict: true }), maskCIDR(x));
    }),
  );
});

test('property: masking is idempotent and keeps the network', () => {
  fc.assert(
    fc.property(nearCIDR, (x) => {
      const m = maskCIDR(x);
      assert.deepEqual(maskCIDR(m), m);
      assert.ok(isStrictlyMasked(m));
      assert.equal(isStrictlyMasked(x), m.addr === x.addr);
      assert.ok(cidrEquals(m, x));
      assert.equal(cidrFirst(x), m.addr);
      assert.equal(cidrLast(x) - cidrFirst(x) + 1n, cidrSize(x));
    }),
  );
});

test('property: containment and overlap agree with address ranges', () => {
  const pair = fc.oneof(
    fc
      .tuple(
        fc.tuple(v4Value, fc.integer({ min: 0, max: 32 })),
        fc.tuple(v4Value, fc.integer({ min: 0, max: 32 })),
      )
      .map(([[a, p], [b, q]]): [CIDR, CIDR] => [
        { family: 4, addr: a, prefix: p },
        { family: 4, addr: b, prefix: q },
      ]),
    // Share a random prefix so that v6 pairs actually nest sometimes.
    fc
      .tuple(
        v6Value,
        v6Value,
        fc.integer({ min: 0, max: 128 }),
        fc.integer({ min: 0, max: 128 }),
        fc.integer({ min: 0, max: 128 }),
      )
      .map(([a, b, shared, p, q]): [CIDR, CIDR] => {
        const keep = ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - shared)) - 1n);
        return [
          { family: 6, addr: a, prefix: p },
          { family: 6, addr: (a & keep) | (b & ~keep & ((1n << 128n) - 1n)), prefix: q },
        ];
      }),
    fc.tuple(anyCIDR, anyCIDR),
  );
  fc.assert(
    fc.property(pair, ([a, b]) => {
      const same = a.family === b.family;
      const ranges = same && cidrFirst(a) <= cidrLast(b) && cidrFirst(b) <= cidrLast(a);
      assert.equal(cidrsOverlap(a, b), ranges);
      assert.equal(cidrsOverlap(a, b), cidrsOverlap(b, a));
      assert.equal(cidrsOverlap(a, b), cidrContainsCIDR(a, b) || cidrContainsCIDR(b, a));
      const inside = same && cidrFirst(a) <= cidrFirst(b) && cidrLast(b) <= cidrLast(a);
      assert.equal(cidrContainsCIDR(a, b), inside);
      assert.equal(
        cidrContainsIP(a, { family: b.family, value: b.addr }),
        same && cidrFirst(a) <= b.addr && b.addr <= cidrLast(a),
      );
    }),
  );
});

test('property: nthAddress and addressOffset are inverse', () => {
  fc.assert(
    fc.property(nearCIDR, fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (x, r) => {
      const n = r % cidrSize(x);
      const ip = nthAddress(x, n);
      assert.ok(cidrContainsIP(x, ip));
      assert.equal(addressOffset(x, ip), n);
      assert.deepEqual(nthAddress(x, addressOffset(x, ip)), ip);
      assert.throws(() => nthAddress(x, cidrSize(x)), RangeError);
    }),
  );
  fc.assert(
    fc.property(anyIP, fc.integer({ min: 0, max: 128 }), (ip, p) => {
      const prefix = Math.min(p, familyBits(ip.family));
      const blk = blockContaining(ip, prefix);
      assert.ok(isStrictlyMasked(blk));
      assert.ok(cidrContainsIP(blk, ip));
      assert.deepEqual(nthAddress(blk, addressOffset(blk, ip)), ip);
    }),
  );
});

test('property: splitCIDR blocks are disjoint, ordered, cover the parent and match blockCount', () => {
  const small = fc.oneof(
    fc
      .tuple(v4Value, fc.integer({ min: 20, max: 32 }), fc.integer({ min: 0, max: 8 }))
      .map(([addr, prefix, extra]) => ({
        parent: { family: 4, addr, prefix } as CIDR,
        newPrefix: Math.min(32, prefix + extra),
      })),
    fc
      .tuple(v6Value, fc.integer({ min: 0, max: 128 }), fc.integer({ min: 0, max: 8 }))
      .map(([addr, prefix, extra]) => ({
        parent: { family: 6, addr, prefix } as CIDR,
        newPrefix: Math.min(128, prefix + extra),
      })),
  );
  fc.assert(
    fc.property(small, ({ parent, newPrefix }) => {
      const blocks = [...splitCIDR(parent, newPrefix)];
      assert.equal(BigInt(blocks.length), blockCount(parent, newPrefix));
      let next = cidrFirst(parent);
      for (const b of blocks) {
        assert.equal(b.prefix, newPrefix);
        assert.ok(isStrictlyMasked(b));
        assert.ok(cidrContainsCIDR(parent, b));
        assert.equal(b.addr, next, 'contiguous and in order, hence disjoint');
        next = cidrLast(b) + 1n;
      }
      assert.equal(next, cidrLast(parent) + 1n, 'covers the parent');
      for (let i = 1; i < Math.min(blocks.length, 4); i++) assert.ok(!cidrsOverlap(blocks[i - 1], blocks[i]));
    }),
    { numRuns: 200 },
  );
});

test('property: key segments round trip', () => {
  fc.assert(
    fc.property(anyCIDR, (x) => {
      const seg = cidrToKeySegment(x);
      assert.equal(seg.split('-').length, 2);
      assert.deepEqual(keySegmentToCIDR(seg), maskCIDR(x));
      assert.equal(cidrToKeySegment(formatCIDR(x)), seg);
    }),
  );
});
