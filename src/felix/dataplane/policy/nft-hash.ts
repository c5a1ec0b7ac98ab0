/**
 * The chained rule hashes of the nftables backend (`comment "cali:<16 chars>"`). They only have
 * to tell our own rules apart when a read is compared with the desired table, so they need not
 * be cryptographic (Felix's iptables hashes are SHA-224; the nft comments are ours): a 96-bit
 * multiply-xorshift hash over the UTF-16 code units, computed in JS, is ~10x cheaper than one
 * node:crypto object per rule, which dominated rendering 50k rules. The state is chained: a rule's
 * hash depends on its chain's name and on every rule before it.
 */

/** Three 32-bit lanes; 96 bits render as 16 base64url characters. */
export type HashState = readonly [number, number, number];

const SEED: HashState = [0x243f6a88, 0x85a308d3, 0x13198a2e];

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The state after `text`, starting from `prev` (the seed for a chain's name). */
export function hashUpdate(prev: HashState, text: string): HashState {
  let a = prev[0];
  let b = prev[1];
  let c = prev[2];
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    a = Math.imul(a ^ k, 0x9e3779b1);
    b = Math.imul(b ^ k, 0x85ebca77);
    c = Math.imul(c ^ k, 0xc2b2ae3d);
    a ^= a >>> 15;
    b ^= b >>> 13;
    c ^= c >>> 16;
  }
  // Length and cross-lane mixing, so lanes never evolve independently across rules.
  const n = text.length;
  const fa = fmix(a ^ n ^ Math.imul(c, 0x27d4eb2f));
  const fb = fmix(b ^ fa);
  const fc = fmix(c ^ fb ^ n);
  return [fa, fb, fc];
}

export function hashSeed(name: string): HashState {
  return hashUpdate(SEED, name);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** 12 bytes (the three lanes, big-endian) as 16 base64url characters. */
export function hashText(s: HashState): string {
  let out = '';
  for (const w of s) {
    // 32 bits per lane: 5 characters of 6 bits cover 30, the remaining 2 bits of each lane are
    // gathered into the 16th character.
    out += B64[(w >>> 26) & 63] + B64[(w >>> 20) & 63] + B64[(w >>> 14) & 63] + B64[(w >>> 8) & 63];
    out += B64[(w >>> 2) & 63];
  }
  return out + B64[((s[0] & 3) << 4) | ((s[1] & 3) << 2) | (s[2] & 3)];
}
