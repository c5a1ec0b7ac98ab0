/**
 * The chained rule hashes of the nftables backend (`comment "cali:<16 chars>"`). They only have
 * to tell our own rules apart when a read is compared with the desired table, so they need not
 * be cryptographic (Felix's iptables hashes are SHA-224; the nft comments are ours): a 96-bit
 * multiply-xorshift hash over the UTF-16 code units, computed in JS, is ~10x cheaper than one
 * node:crypto object per rule, which dominated rendering 50k rules. The state is chained: a rule's
 * hash depends on its chain's name and on every rule before it.
 */

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_CODES = Array.from(B64, (c) => c.charCodeAt(0));

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A chain's running hash: three 32-bit lanes; 96 bits render as 16 base64url characters. One
 * object per chain, no allocation per rule but the hash text.
 */
export class ChainHash {
  private a = 0x243f6a88;
  private b = 0x85a308d3;
  private c = 0x13198a2e;

  constructor(chainName: string) {
    this.add(chainName);
    this.finish();
  }

  /** Mixes in `text` (call finish() after the last piece of a rule). */
  add(text: string): this {
    let { a, b, c } = this;
    for (let i = 0; i < text.length; i++) {
      const k = text.charCodeAt(i);
      a = Math.imul(a ^ k, 0x9e3779b1);
      b = Math.imul(b ^ k, 0x85ebca77);
      c = Math.imul(c ^ k, 0xc2b2ae3d);
      a ^= a >>> 15;
      b ^= b >>> 13;
      c ^= c >>> 16;
    }
    this.a = a ^ Math.imul(text.length, 0x27d4eb2f);
    this.b = b;
    this.c = c;
    return this;
  }

  /** Ends a rule: cross-lane mixing, so lanes never evolve independently across rules. */
  finish(): this {
    const fa = fmix(this.a ^ Math.imul(this.c, 0x27d4eb2f));
    const fb = fmix(this.b ^ fa);
    this.c = fmix(this.c ^ fb);
    this.a = fa;
    this.b = fb;
    return this;
  }

  /** The current state as 16 base64url characters (5 of each lane's 32 bits, then the last 2 bits of each). */
  text(): string {
    const { a, b, c } = this;
    const d = B64_CODES;
    return String.fromCharCode(
      d[a >>> 26],
      d[(a >>> 20) & 63],
      d[(a >>> 14) & 63],
      d[(a >>> 8) & 63],
      d[(a >>> 2) & 63],
      d[b >>> 26],
      d[(b >>> 20) & 63],
      d[(b >>> 14) & 63],
      d[(b >>> 8) & 63],
      d[(b >>> 2) & 63],
      d[c >>> 26],
      d[(c >>> 20) & 63],
      d[(c >>> 14) & 63],
      d[(c >>> 8) & 63],
      d[(c >>> 2) & 63],
      d[((a & 3) << 4) | ((b & 3) << 2) | (c & 3)],
    );
  }
}
