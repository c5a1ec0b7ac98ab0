import { InvalidAddressError } from './errors.js';

export type IPFamily = 4 | 6;

/** An IP address as an unsigned integer of 32 (IPv4) or 128 (IPv6) bits. */
export interface IPAddr {
  family: IPFamily;
  value: bigint;
}

export const IP_EXPECTED = 'an IPv4 dotted quad like 192.168.0.1 or an IPv6 address like fd00::1';

export const MAX_V4 = (1n << 32n) - 1n;
export const MAX_V6 = (1n << 128n) - 1n;

export function familyBits(f: IPFamily): 32 | 128 {
  return f === 4 ? 32 : 128;
}

// The low-level parsers below run on hot paths (IPAM), so they work on a [start, end) range of the
// input without slicing, report the result through these module variables instead of allocating,
// and keep the reason for a failure so that only the throwing path builds a message.
let outFamily: IPFamily = 4;
let outValue = 0n;
let failReason = '';
// Scratch for IPv6 groups; parsing is synchronous so one buffer suffices.
const groups = new Int32Array(8);

/** The reason the last failed `scanIP` call gave. */
export function lastFailReason(): string {
  return failReason;
}
export function lastFamily(): IPFamily {
  return outFamily;
}
export function lastValue(): bigint {
  return outValue;
}

function badChar(c: number): string {
  if (c === 0x25) return 'zones (like %eth0) are not allowed';
  if (c === 0x5b || c === 0x5d) return 'brackets are not allowed';
  if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) return 'whitespace is not allowed';
  return `unexpected character ${JSON.stringify(String.fromCharCode(c))}`;
}

/** Parse a dotted quad in text[start, end). Returns the value (0..2^32-1) or -1, setting failReason. */
function scanV4(text: string, start: number, end: number): number {
  let val = 0;
  let octets = 0;
  let i = start;
  for (;;) {
    const digStart = i;
    let oct = 0;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      oct = oct * 10 + (c - 0x30);
      i++;
      if (i - digStart > 3) {
        failReason = 'IPv4 octet has more than 3 digits';
        return -1;
      }
    }
    if (i === digStart) {
      failReason = i < end && text.charCodeAt(i) !== 0x2e ? badChar(text.charCodeAt(i)) : 'empty IPv4 octet';
      return -1;
    }
    if (i - digStart > 1 && text.charCodeAt(digStart) === 0x30) {
      failReason = 'IPv4 octet has a leading zero';
      return -1;
    }
    if (oct > 255) {
      failReason = `IPv4 octet ${oct} is greater than 255`;
      return -1;
    }
    val = val * 256 + oct;
    octets++;
    if (i === end) break;
    const c = text.charCodeAt(i);
    if (c !== 0x2e) {
      failReason = badChar(c);
      return -1;
    }
    if (octets === 4) {
      failReason = 'more than 4 IPv4 octets';
      return -1;
    }
    i++;
  }
  if (octets !== 4) {
    failReason = `IPv4 address needs 4 octets, found ${octets}`;
    return -1;
  }
  return val;
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20; // fold to lower case
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Parse an IPv6 address in text[start, end) into outValue. Returns false and sets failReason on error. */
function scanV6(text: string, start: number, end: number): boolean {
  let i = start;
  let g = 0;
  let ellipsis = -1;
  if (end - start >= 2 && text.charCodeAt(i) === 0x3a && text.charCodeAt(i + 1) === 0x3a) {
    ellipsis = 0;
    i += 2;
  }
  while (i < end) {
    if (g === 8) {
      failReason = 'more than 8 IPv6 groups';
      return false;
    }
    const gStart = i;
    let acc = 0;
    while (i < end) {
      const h = hexVal(text.charCodeAt(i));
      if (h < 0) break;
      acc = acc * 16 + h;
      i++;
    }
    if (i < end && text.charCodeAt(i) === 0x2e) {
      // Embedded IPv4 in the last 32 bits, e.g. ::ffff:1.2.3.4.
      if (g > 6 || (ellipsis < 0 && g !== 6)) {
        failReason = 'embedded IPv4 address must take the place of the last two IPv6 groups';
        return false;
      }
      const v4 = scanV4(text, gStart, end);
      if (v4 < 0) return false;
      groups[g++] = Math.floor(v4 / 65536);
      groups[g++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (i === gStart) {
      failReason =
        i < end
          ? text.charCodeAt(i) === 0x3a
            ? 'empty IPv6 group'
            : badChar(text.charCodeAt(i))
          : 'empty IPv6 group';
      return false;
    }
    if (i - gStart > 4) {
      failReason = 'IPv6 group has more than 4 hex digits';
      return false;
    }
    groups[g++] = acc;
    if (i === end) break;
    const c = text.charCodeAt(i);
    if (c !== 0x3a) {
      failReason = badChar(c);
      return false;
    }
    i++;
    if (i === end) {
      failReason = 'trailing colon';
      return false;
    }
    if (text.charCodeAt(i) === 0x3a) {
      if (ellipsis >= 0) {
        failReason = "more than one '::'";
        return false;
      }
      ellipsis = g;
      i++;
    }
  }
  if (ellipsis >= 0) {
    if (g === 8) {
      failReason = "'::' must stand for at least one zero group";
      return false;
    }
    // Slide the groups after '::' to the end and zero the gap.
    const shift = 8 - g;
    for (let k = g - 1; k >= ellipsis; k--) groups[k + shift] = groups[k];
    for (let k = ellipsis; k < ellipsis + shift; k++) groups[k] = 0;
  } else if (g !== 8) {
    failReason = `IPv6 address needs 8 groups, found ${g}`;
    return false;
  }
  const w0 = groups[0] * 65536 + groups[1];
  const w1 = groups[2] * 65536 + groups[3];
  const w2 = groups[4] * 65536 + groups[5];
  const w3 = groups[6] * 65536 + groups[7];
  outValue =
    w0 === 0 && w1 === 0
      ? (BigInt(w2) << 32n) | BigInt(w3)
      : (BigInt(w0) << 96n) | (BigInt(w1) << 64n) | (BigInt(w2) << 32n) | BigInt(w3);
  return true;
}

/**
 * Parse text[start, end) as an IPv4 or IPv6 address. On success sets outFamily/outValue and returns
 * true; on failure sets failReason and returns false.
 */
export function scanIP(text: string, start: number, end: number): boolean {
  if (end - start > 45) {
    failReason = 'too long';
    return false;
  }
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3a) {
      if (!scanV6(text, start, end)) return false;
      outFamily = 6;
      return true;
    }
    if (c === 0x2e) break;
  }
  if (start === end) {
    failReason = 'empty';
    return false;
  }
  const v = scanV4(text, start, end);
  if (v < 0) return false;
  outFamily = 4;
  outValue = BigInt(v);
  return true;
}

export function tryParseIP(text: string): IPAddr | undefined {
  if (typeof text !== 'string' || !scanIP(text, 0, text.length)) return undefined;
  return { family: outFamily, value: outValue };
}

/** Parse an IPv4 dotted quad or an IPv6 address (Go netip rules: no leading zeros, zones or brackets). */
export function parseIP(text: string): IPAddr {
  if (typeof text !== 'string')
    throw new InvalidAddressError('IP address', text, 'not a string', IP_EXPECTED);
  if (!scanIP(text, 0, text.length))
    throw new InvalidAddressError('IP address', text, failReason, IP_EXPECTED);
  return { family: outFamily, value: outValue };
}

function formatV4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function formatV6(v: bigint): string {
  const w0 = Number(v >> 96n);
  const w1 = Number((v >> 64n) & 0xffffffffn);
  const w2 = Number((v >> 32n) & 0xffffffffn);
  const w3 = Number(v & 0xffffffffn);
  // v4-mapped addresses print in mixed form, as Go's netip does.
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return `::ffff:${formatV4(w3)}`;
  const g = groups;
  g[0] = w0 >>> 16;
  g[1] = w0 & 0xffff;
  g[2] = w1 >>> 16;
  g[3] = w1 & 0xffff;
  g[4] = w2 >>> 16;
  g[5] = w2 & 0xffff;
  g[6] = w3 >>> 16;
  g[7] = w3 & 0xffff;
  // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s.length > 0 && i !== bestStart + bestLen) s += ':';
    s += g[i].toString(16);
  }
  return s;
}

/** IPv4 dotted quad; IPv6 per RFC 5952 (v4-mapped in ::ffff:a.b.c.d form). */
export function formatIP(ip: IPAddr): string {
  const v = ip.value;
  if (ip.family === 4) {
    if (v < 0n || v > MAX_V4) throw new RangeError(`IPv4 value ${v} is out of range`);
    return formatV4(Number(v));
  }
  if (v < 0n || v > MAX_V6) throw new RangeError(`IPv6 value ${v} is out of range`);
  return formatV6(v);
}

/** Orders IPv4 before IPv6, then by numeric value. */
export function compareIP(a: IPAddr, b: IPAddr): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}
