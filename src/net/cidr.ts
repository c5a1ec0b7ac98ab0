import { InvalidAddressError } from './errors.js';
import {
  MAX_V4,
  MAX_V6,
  familyBits,
  formatIP,
  lastFailReason,
  lastFamily,
  lastValue,
  scanIP,
  type IPAddr,
  type IPFamily,
} from './ip.js';

/** A CIDR; `addr` is as written, so it may have host bits set (see maskCIDR). */
export interface CIDR {
  family: IPFamily;
  addr: bigint;
  prefix: number;
}

export interface ParseCIDROptions {
  /** Reject CIDRs with host bits set (IPPool CIDRs must be strictly masked). */
  strict?: boolean;
  /** Accept a bare address as a /32 (IPv4) or /128 (IPv6). */
  allowBareIP?: boolean;
}

const CIDR_EXPECTED = 'a CIDR like 10.0.0.0/8 or fd00::/64';
const CIDR_OR_IP_EXPECTED = 'a CIDR like 10.0.0.0/8 or fd00::/64, or a bare IP address';

// Masks and sizes per prefix length, computed once: bigint shifts are not free on hot paths.
function tables(bits: number, max: bigint): { net: bigint[]; host: bigint[]; size: bigint[] } {
  const net: bigint[] = [];
  const host: bigint[] = [];
  const size: bigint[] = [];
  for (let p = 0; p <= bits; p++) {
    const s = 1n << BigInt(bits - p);
    size.push(s);
    host.push(s - 1n);
    net.push(max ^ (s - 1n));
  }
  return { net, host, size };
}
const T4 = tables(32, MAX_V4);
const T6 = tables(128, MAX_V6);

function tableFor(f: IPFamily): { net: bigint[]; host: bigint[]; size: bigint[] } {
  return f === 4 ? T4 : T6;
}

function checkPrefix(f: IPFamily, prefix: number, what: string): void {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > familyBits(f)) {
    throw new RangeError(`${what} ${prefix} is out of range for IPv${f} (0..${familyBits(f)})`);
  }
}

const STRICT_EXPECTED = 'a CIDR with no host bits set, like 10.0.0.0/8';

let cidrFailReason = '';
let cidrFailUnmasked = false;

/** Parses into a CIDR or returns undefined with cidrFailReason set; no throwing on the hot path. */
function scanCIDR(text: string, opts: ParseCIDROptions | undefined): CIDR | undefined {
  cidrFailUnmasked = false;
  if (typeof text !== 'string') {
    cidrFailReason = 'not a string';
    return undefined;
  }
  const slash = text.indexOf('/');
  if (slash < 0) {
    if (opts?.allowBareIP) {
      if (!scanIP(text, 0, text.length)) {
        cidrFailReason = lastFailReason();
        return undefined;
      }
      const f = lastFamily();
      return { family: f, addr: lastValue(), prefix: familyBits(f) };
    }
    cidrFailReason = text.length === 0 ? 'empty' : "missing '/<prefix length>'";
    return undefined;
  }
  if (!scanIP(text, 0, slash)) {
    cidrFailReason = `bad address part: ${lastFailReason()}`;
    return undefined;
  }
  const family = lastFamily();
  const addr = lastValue();
  const bits = familyBits(family);
  const n = text.length;
  let prefix = 0;
  let i = slash + 1;
  if (i === n) {
    cidrFailReason = 'empty prefix length';
    return undefined;
  }
  if (n - i > 1 && text.charCodeAt(i) === 0x30) {
    cidrFailReason = 'prefix length has a leading zero';
    return undefined;
  }
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) {
      cidrFailReason = `prefix length must be a decimal number, found ${JSON.stringify(text.slice(slash + 1))}`;
      return undefined;
    }
    prefix = prefix * 10 + (c - 0x30);
    if (prefix > bits) {
      cidrFailReason = `prefix length ${text.slice(slash + 1)} is greater than ${bits} for IPv${family}`;
      return undefined;
    }
  }
  const c: CIDR = { family, addr, prefix };
  if (opts?.strict && (addr & tableFor(family).host[prefix]) !== 0n) {
    cidrFailReason = `CIDR is not strictly masked (host bits are set); the masked form is ${formatCIDR(maskCIDR(c))}`;
    cidrFailUnmasked = true;
    return undefined;
  }
  return c;
}

/** Parse "10.0.0.0/8" or "fd00::/8". See ParseCIDROptions for strict masking and bare IPs. */
export function parseCIDR(text: string, opts?: ParseCIDROptions): CIDR {
  const c = scanCIDR(text, opts);
  if (c !== undefined) return c;
  const expected = cidrFailUnmasked
    ? STRICT_EXPECTED
    : opts?.allowBareIP
      ? CIDR_OR_IP_EXPECTED
      : CIDR_EXPECTED;
  throw new InvalidAddressError('CIDR', text, cidrFailReason, expected);
}

export function tryParseCIDR(text: string, opts?: ParseCIDROptions): CIDR | undefined {
  return scanCIDR(text, opts);
}

/** "addr/prefix" with the address as stored (host bits are not cleared). */
export function formatCIDR(c: CIDR): string {
  return `${formatIP({ family: c.family, value: c.addr })}/${c.prefix}`;
}

export function maskCIDR(c: CIDR): CIDR {
  return { family: c.family, addr: c.addr & tableFor(c.family).net[c.prefix], prefix: c.prefix };
}

export function isStrictlyMasked(c: CIDR): boolean {
  return (c.addr & tableFor(c.family).host[c.prefix]) === 0n;
}

/** Parse (host bits allowed), mask and format: "10.0.0.5/8" -> "10.0.0.0/8", "FD00::/8" -> "fd00::/8". */
export function canonicalCIDR(text: string): string {
  return formatCIDR(maskCIDR(parseCIDR(text)));
}

export function cidrSize(c: CIDR): bigint {
  return tableFor(c.family).size[c.prefix];
}

export function cidrFirst(c: CIDR): bigint {
  return c.addr & tableFor(c.family).net[c.prefix];
}

export function cidrLast(c: CIDR): bigint {
  return c.addr | tableFor(c.family).host[c.prefix];
}

export function cidrContainsIP(c: CIDR, ip: IPAddr): boolean {
  if (c.family !== ip.family) return false;
  const net = tableFor(c.family).net[c.prefix];
  return (ip.value & net) === (c.addr & net);
}

export function cidrContainsCIDR(outer: CIDR, inner: CIDR): boolean {
  if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
  const net = tableFor(outer.family).net[outer.prefix];
  return (inner.addr & net) === (outer.addr & net);
}

export function cidrsOverlap(a: CIDR, b: CIDR): boolean {
  if (a.family !== b.family) return false;
  // Two aligned blocks overlap exactly when the larger one contains the smaller.
  const net = tableFor(a.family).net[a.prefix < b.prefix ? a.prefix : b.prefix];
  return (a.addr & net) === (b.addr & net);
}

export function cidrEquals(a: CIDR, b: CIDR): boolean {
  return a.family === b.family && a.prefix === b.prefix && cidrFirst(a) === cidrFirst(b);
}

function toBig(n: bigint | number): bigint {
  if (typeof n === 'bigint') return n;
  if (!Number.isSafeInteger(n)) throw new RangeError(`address offset ${n} is not an integer`);
  return BigInt(n);
}

/** The address at offset n from the network address; RangeError if that falls outside the CIDR. */
export function nthAddress(c: CIDR, n: bigint | number): IPAddr {
  const off = toBig(n);
  const t = tableFor(c.family);
  if (off < 0n || off >= t.size[c.prefix]) {
    throw new RangeError(`offset ${off} is outside ${formatCIDR(maskCIDR(c))} (size ${t.size[c.prefix]})`);
  }
  return { family: c.family, value: (c.addr & t.net[c.prefix]) + off };
}

/** ip minus the network address; RangeError if ip is not inside the CIDR. */
export function addressOffset(c: CIDR, ip: IPAddr): bigint {
  if (!cidrContainsIP(c, ip)) {
    throw new RangeError(`${formatIP(ip)} is not inside ${formatCIDR(maskCIDR(c))}`);
  }
  return ip.value - cidrFirst(c);
}

/** Number of /newPrefix blocks in c. */
export function blockCount(c: CIDR, newPrefix: number): bigint {
  checkPrefix(c.family, newPrefix, 'block prefix length');
  if (newPrefix < c.prefix) {
    throw new RangeError(`block prefix length ${newPrefix} is shorter than the CIDR's /${c.prefix}`);
  }
  return 1n << BigInt(newPrefix - c.prefix);
}

/** The /newPrefix subnets of c in address order, generated lazily. Bad prefixes throw at the call. */
export function splitCIDR(c: CIDR, newPrefix: number): Generator<CIDR> {
  return blocksOf(c.family, cidrFirst(c), newPrefix, blockCount(c, newPrefix));
}

function* blocksOf(family: IPFamily, first: bigint, prefix: number, count: bigint): Generator<CIDR> {
  const step = tableFor(family).size[prefix];
  let addr = first;
  for (let i = 0n; i < count; i++) {
    yield { family, addr, prefix };
    addr += step;
  }
}

/** The masked /prefix block that holds ip. */
export function blockContaining(ip: IPAddr, prefix: number): CIDR {
  checkPrefix(ip.family, prefix, 'block prefix length');
  return { family: ip.family, addr: ip.value & tableFor(ip.family).net[prefix], prefix };
}

/**
 * Calico's etcd key form of a block: the canonical masked CIDR with '/' written as '-',
 * e.g. "10.65.79.0-26", "fd5f:abcd:64::-122".
 */
export function cidrToKeySegment(c: CIDR | string): string {
  const s = typeof c === 'string' ? canonicalCIDR(c) : formatCIDR(maskCIDR(c));
  const slash = s.indexOf('/');
  return `${s.slice(0, slash)}-${s.slice(slash + 1)}`;
}

const SEGMENT_EXPECTED = 'a CIDR with its "/" written as "-", like 10.65.79.0-26 or fd5f:abcd:64::-122';

/** Inverse of cidrToKeySegment; the result is masked, as Go's net.ParseCIDR would give. */
export function keySegmentToCIDR(seg: string): CIDR {
  const dash = typeof seg === 'string' ? seg.indexOf('-') : -1;
  if (dash < 0) throw new InvalidAddressError('IPAM block key segment', seg, "no '-'", SEGMENT_EXPECTED);
  const c = scanCIDR(`${seg.slice(0, dash)}/${seg.slice(dash + 1)}`, undefined);
  if (c === undefined)
    throw new InvalidAddressError('IPAM block key segment', seg, cidrFailReason, SEGMENT_EXPECTED);
  return maskCIDR(c);
}

const LINK_LOCAL_V4: CIDR = { family: 4, addr: 0xa9fe0000n, prefix: 16 };
const LINK_LOCAL_V6: CIDR = { family: 6, addr: 0xfe80n << 112n, prefix: 10 };

/** True if c overlaps 169.254.0.0/16 or fe80::/10 in either direction (IPPools may not). */
export function isLinkLocal(c: CIDR): boolean {
  return cidrsOverlap(c, c.family === 4 ? LINK_LOCAL_V4 : LINK_LOCAL_V6);
}
