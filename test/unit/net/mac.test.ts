import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  InvalidAddressError,
  formatMAC,
  linkLocalFromMAC,
  parseMAC,
  parseIP,
  formatIP,
  vxlanVtepMAC,
} from '../../../src/net/index.js';

test('parses MACs with either separator, any case', () => {
  const want = Uint8Array.from([0xee, 0xee, 0xee, 0xee, 0xee, 0xee]);
  assert.deepEqual(parseMAC('ee:ee:ee:ee:ee:ee'), want);
  assert.deepEqual(parseMAC('EE-EE-EE-EE-EE-EE'), want);
  assert.deepEqual(parseMAC('00:1A:2b:3C:4d:5E'), Uint8Array.from([0, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e]));
  assert.equal(formatMAC(parseMAC('00-1A-2B-3C-4D-5E')), '00:1a:2b:3c:4d:5e');
});

const invalid: Array<[string, RegExp]> = [
  ['', /length is 0/],
  ['ee:ee:ee:ee:ee', /length is 14/],
  ['ee:ee:ee:ee:ee:ee:ee', /length is 20/],
  ['ee:ee-ee:ee:ee:ee', /all be ":" or all be "-"/],
  ['ee.ee.ee.ee.ee.ee', /unexpected separator "."/],
  ['eeee.eeee.eeee.ee', /unexpected separator/],
  ['ee:ee:ee:ee:ee:eg', /byte 6 \("eg"\) is not hex/],
  [' e:ee:ee:ee:ee:ee', /byte 1/],
];
for (const [text, why] of invalid) {
  test(`rejects MAC ${JSON.stringify(text)}`, () => {
    assert.throws(
      () => parseMAC(text),
      (e: unknown) => {
        assert.ok(e instanceof InvalidAddressError);
        assert.equal(e.code, 'VALIDATION');
        assert.match(e.message, why);
        assert.ok(e.message.includes(JSON.stringify(text)));
        assert.match(e.message, /expected six hex byte pairs/);
        return true;
      },
    );
  });
}

test('property: MAC format/parse round trip', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => {
      const s = formatMAC(b);
      assert.match(s, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      assert.deepEqual(parseMAC(s), b);
      assert.deepEqual(parseMAC(s.toUpperCase().replaceAll(':', '-')), b);
    }),
  );
});

function expectedVtep(input: string): string {
  const h = createHash('sha1').update(input).digest('hex');
  return ['66', ...[0, 1, 2, 3, 4].map((i) => h.slice(i * 2, i * 2 + 2))].join(':');
}

test('VXLAN VTEP MACs', () => {
  // The value Felix's own tests use for this node name.
  assert.equal(vxlanVtepMAC('remotehostname2'), '66:40:18:59:1f:16');
  assert.equal(vxlanVtepMAC('node-1'), expectedVtep('node-1'));
  assert.equal(vxlanVtepMAC('node-1', true), expectedVtep('node-1-v6'));
  assert.notEqual(vxlanVtepMAC('node-1', true), vxlanVtepMAC('node-1'));
  assert.equal(vxlanVtepMAC('ünïcode-node'), expectedVtep('ünïcode-node'));
});

test('EUI-64 link-local addresses', () => {
  assert.equal(linkLocalFromMAC('ee:ee:ee:ee:ee:ee'), 'fe80::ecee:eeff:feee:eeee');
  assert.equal(linkLocalFromMAC('00:00:00:00:00:00'), 'fe80::200:ff:fe00:0');
  assert.equal(linkLocalFromMAC('02:42:AC:11:00:02'), 'fe80::42:acff:fe11:2');
  assert.throws(() => linkLocalFromMAC('nope'), InvalidAddressError);
});

test('property: link-local embeds the MAC', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => {
      const ll = parseIP(linkLocalFromMAC(formatMAC(b)));
      assert.equal(ll.value >> 64n, 0xfe80n << 48n);
      const iid = (ll.value & ((1n << 64n) - 1n)).toString(16).padStart(16, '0');
      const mac = [
        (parseInt(iid.slice(0, 2), 16) ^ 2).toString(16).padStart(2, '0'),
        iid.slice(2, 4),
        iid.slice(4, 6),
        iid.slice(10, 12),
        iid.slice(12, 14),
        iid.slice(14, 16),
      ].join(':');
      assert.equal(iid.slice(6, 10), 'fffe');
      assert.equal(mac, formatMAC(b));
      assert.equal(formatIP(ll), linkLocalFromMAC(formatMAC(b)));
    }),
  );
});
