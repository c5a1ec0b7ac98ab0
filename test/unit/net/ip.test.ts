import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { CalicoError } from '../../../src/errors/index.js';
import { InvalidAddressError, compareIP, formatIP, parseIP, tryParseIP } from '../../../src/net/index.js';
import { anyIP, ipv6 } from './arbitraries.js';

test('parses IPv4 dotted quads', () => {
  assert.deepEqual(parseIP('0.0.0.0'), { family: 4, value: 0n });
  assert.deepEqual(parseIP('10.65.79.1'), { family: 4, value: 0x0a414f01n });
  assert.deepEqual(parseIP('255.255.255.255'), { family: 4, value: 0xffffffffn });
  assert.deepEqual(parseIP('169.254.1.1'), { family: 4, value: 0xa9fe0101n });
});

test('parses IPv6 forms', () => {
  assert.deepEqual(parseIP('::'), { family: 6, value: 0n });
  assert.deepEqual(parseIP('::1'), { family: 6, value: 1n });
  assert.deepEqual(parseIP('1::'), { family: 6, value: 1n << 112n });
  assert.deepEqual(parseIP('fe80::ECEE:eeff:FEEE:eeee'), {
    family: 6,
    value: 0xfe80000000000000eceeeefffeeeeeeen,
  });
  assert.deepEqual(parseIP('2001:0db8:0000:0000:0000:0000:0000:0001'), {
    family: 6,
    value: 0x20010db8000000000000000000000001n,
  });
  assert.deepEqual(parseIP('::ffff:1.2.3.4'), { family: 6, value: 0xffff01020304n });
  assert.deepEqual(parseIP('::1.2.3.4'), { family: 6, value: 0x01020304n });
  assert.deepEqual(parseIP('1:2:3:4:5:6:1.2.3.4'), { family: 6, value: 0x00010002000300040005000601020304n });
  assert.deepEqual(parseIP('1:2:3:4:5:6:7::'), { family: 6, value: 0x00010002000300040005000600070000n });
});

const invalid: Array<[string, RegExp]> = [
  ['', /empty/],
  ['01.2.3.4', /leading zero/],
  ['1.2.3.04', /leading zero/],
  ['256.0.0.1', /greater than 255/],
  ['1.2.3', /4 octets/],
  ['1.2.3.4.5', /more than 4/],
  ['1.2.3.', /empty IPv4 octet/],
  ['1..2.3', /empty IPv4 octet/],
  ['1234.1.1.1', /more than 3 digits/],
  ['a.b.c.d', /unexpected character "a"/],
  [' 1.2.3.4', /whitespace/],
  ['1.2.3.4 ', /whitespace/],
  ['::1\n', /whitespace/],
  ['fe80::1%eth0', /zones/],
  ['[::1]', /brackets/],
  ['1:2:3:4:5:6:7:8:9', /more than 8/],
  ['1:2:3:4:5:6:7', /8 groups/],
  ['1:2:3:4:5:6:7::8', /at least one zero group/],
  ['1::2::3', /more than one '::'/],
  [':::', /empty IPv6 group/],
  [':1::', /empty IPv6 group/],
  ['1:', /trailing colon/],
  ['12345::', /more than 4 hex/],
  ['g::1', /unexpected character "g"/],
  ['::ffff:01.2.3.4', /leading zero/],
  ['1.2.3.4::', /unexpected character ":"/],
  ['1::2:3:4:5:6:1.2.3.4', /at least one zero group/],
  ['1:2:3:4:5:6:7:1.2.3.4', /last two IPv6 groups/],
  ['1:2:3:4:5:1.2.3.4', /last two IPv6 groups/],
  ['10.0.0.0/8', /unexpected character "\/"/],
  ['x'.repeat(100), /too long/],
];

for (const [text, why] of invalid) {
  test(`rejects ${JSON.stringify(text.slice(0, 20))}`, () => {
    assert.equal(tryParseIP(text), undefined);
    assert.throws(
      () => parseIP(text),
      (e: unknown) => {
        assert.ok(e instanceof InvalidAddressError);
        assert.ok(e instanceof CalicoError);
        assert.equal(e.code, 'VALIDATION');
        assert.equal(e.input, text);
        assert.match(e.message, why);
        assert.ok(e.message.includes(JSON.stringify(text.slice(0, 80)).slice(0, -1)), e.message);
        assert.match(e.message, /expected an IPv4 dotted quad/);
        return true;
      },
    );
  });
}

test('rejects non-strings without crashing', () => {
  assert.throws(() => parseIP(17 as unknown as string), InvalidAddressError);
  assert.equal(tryParseIP(undefined as unknown as string), undefined);
});

test('formats IPv6 per RFC 5952', () => {
  const cases: Array<[string, string]> = [
    ['2001:DB8::1', '2001:db8::1'], // lower case
    ['2001:0db8::0001', '2001:db8::1'], // leading zeros dropped
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'], // longest run compressed
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed (4.2.2)
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // longest run wins (4.2.3)
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first run on a tie (4.2.3)
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['fd5f:abcd:64:0:0:0:0:0', 'fd5f:abcd:64::'],
    ['0:0:0:0:0:ffff:102:304', '::ffff:1.2.3.4'], // v4-mapped in mixed form, like Go
    ['::ffff:0.0.0.0', '::ffff:0.0.0.0'],
    ['::1.2.3.4', '::102:304'], // v4-compatible is not special
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ];
  for (const [input, want] of cases) assert.equal(formatIP(parseIP(input)), want, input);
});

test('formatIP rejects out-of-range values', () => {
  assert.throws(() => formatIP({ family: 4, value: 1n << 32n }), RangeError);
  assert.throws(() => formatIP({ family: 6, value: -1n }), RangeError);
});

test('compareIP orders v4 before v6, then numerically', () => {
  const ips = ['::1', '10.0.0.2', '10.0.0.10', '::', '9.255.255.255'].map(parseIP);
  assert.deepEqual(ips.sort(compareIP).map(formatIP), [
    '9.255.255.255',
    '10.0.0.2',
    '10.0.0.10',
    '::',
    '::1',
  ]);
  assert.equal(compareIP(parseIP('1.2.3.4'), parseIP('1.2.3.4')), 0);
});

test('property: parse(format(x)) == x', () => {
  fc.assert(fc.property(anyIP, (ip) => assert.deepEqual(parseIP(formatIP(ip)), ip)));
});

test('property: format(parse(s)) is a fixed point', () => {
  fc.assert(
    fc.property(anyIP, (ip) => {
      const s = formatIP(ip);
      assert.equal(formatIP(parseIP(s)), s);
    }),
  );
});

test('property: IPv6 formatting agrees with the WHATWG URL serialiser (same RFC 5952 rules)', () => {
  fc.assert(
    fc.property(ipv6, (ip) => {
      const s = formatIP(ip);
      if (s.startsWith('::ffff:') && s.includes('.')) return; // URL never uses the mixed form
      assert.equal(new URL(`http://[${s}]/`).hostname, `[${s}]`);
    }),
  );
});

test('property: uncompressed upper-case input parses to the same value', () => {
  fc.assert(
    fc.property(ipv6, (ip) => {
      const full = ip.value.toString(16).padStart(32, '0').toUpperCase().match(/.{4}/g)!.join(':');
      assert.deepEqual(parseIP(full), ip);
    }),
  );
});

test('property: accepts exactly what node:net isIP accepts (no zones)', () => {
  const alphabet = fc.constantFrom(...'0123456789abcdefABCDEF:.'.split(''), '::', '1.2.3.4', '255', '00');
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 16 }), (parts) => {
      const s = parts.join('');
      assert.equal(tryParseIP(s) !== undefined, isIP(s) !== 0, s);
    }),
    { numRuns: 2000 },
  );
});
