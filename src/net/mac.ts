import { createHash } from 'node:crypto';
import { InvalidAddressError } from './errors.js';
import { formatIP } from './ip.js';

const MAC_EXPECTED = 'six hex byte pairs separated by ":" or "-", like ee:ee:ee:ee:ee:ee';

function hexNibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Parse a 48-bit MAC ("aa:bb:cc:dd:ee:ff" or "AA-BB-CC-DD-EE-FF", one separator throughout). */
export function parseMAC(text: string): Uint8Array {
  const fail = (reason: string): never => {
    throw new InvalidAddressError('MAC address', text, reason, MAC_EXPECTED);
  };
  if (typeof text !== 'string') return fail('not a string');
  if (text.length !== 17) return fail(`length is ${text.length}, not 17`);
  const sep = text.charCodeAt(2);
  if (sep !== 0x3a && sep !== 0x2d) return fail(`unexpected separator ${JSON.stringify(text[2])}`);
  const out = new Uint8Array(6);
  for (let b = 0; b < 6; b++) {
    const i = b * 3;
    if (b > 0 && text.charCodeAt(i - 1) !== sep) return fail('separators must all be ":" or all be "-"');
    const hi = hexNibble(text.charCodeAt(i));
    const lo = hexNibble(text.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return fail(`byte ${b + 1} (${JSON.stringify(text.slice(i, i + 2))}) is not hex`);
    out[b] = hi * 16 + lo;
  }
  return out;
}

/** Lower-case, colon-separated. */
export function formatMAC(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    if (i > 0) s += ':';
    const v = b[i];
    s += (v < 16 ? '0' : '') + v.toString(16);
  }
  return s;
}

/**
 * The VXLAN tunnel MAC Felix derives when the Node does not set one: 0x66 ('f') followed by the
 * first 5 bytes of SHA-1(nodeName), hashing nodeName + "-v6" for the IPv6 device. Deterministic so
 * every host computes the same MAC for a given remote node.
 */
export function vxlanVtepMAC(nodeName: string, v6 = false): string {
  const h = createHash('sha1')
    .update(v6 ? `${nodeName}-v6` : nodeName)
    .digest();
  const b = new Uint8Array(6);
  b[0] = 0x66;
  b.set(h.subarray(0, 5), 1);
  return formatMAC(b);
}

/**
 * The EUI-64 link-local IPv6 address of a MAC (the address the kernel gives the interface):
 * flip the universal/local bit and insert ff:fe in the middle. ee:ee:ee:ee:ee:ee -> fe80::ecee:eeff:feee:eeee.
 */
export function linkLocalFromMAC(mac: string): string {
  const b = parseMAC(mac);
  const hi = ((b[0] ^ 0x02) << 24) | (b[1] << 16) | (b[2] << 8) | 0xff;
  const lo = (0xfe << 24) | (b[3] << 16) | (b[4] << 8) | b[5];
  const value = (0xfe80n << 112n) | (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return formatIP({ family: 6, value });
}
