/**
 * Set elements in one canonical text, whether they come from the compiler's members or from a
 * kernel read, so the two compare as strings: CIDRs always with a prefix length (`10.0.0.1/32`;
 * nft lists host routes without one), ip-port members as nft concatenations (`10.0.0.1 . tcp .
 * 8080`). Interval sets refuse overlapping elements, so CIDRs inside another member are left out
 * (they add nothing to the match).
 */
import {
  canonicalCIDR,
  cidrFirst,
  cidrLast,
  formatIP,
  parseCIDR,
  parseIP,
  tryParseCIDR,
} from '../../../net/index.js';
import type { Family, IpSet } from '../../calc/policy/ruleset.js';
import { invalid } from './nft-match.js';

const PROTO_BY_NUMBER: Record<string, string> = { '6': 'tcp', '17': 'udp', '132': 'sctp', '136': 'udplite' };

export function setType(family: Family, type: IpSet['type']): string {
  const addr = family === 4 ? 'ipv4_addr' : 'ipv6_addr';
  return type === 'net' ? addr : `${addr} . inet_proto . inet_service`;
}

function withPrefix(addr: string): string {
  return addr.includes('/') ? addr : `${addr}/${addr.includes(':') ? 128 : 32}`;
}

/** Canonical CIDRs of a `net` set, members covered by another member dropped, sorted. */
export function netElements(members: readonly string[], family: Family): string[] {
  const parsed = members.map((m) => {
    const c = tryParseCIDR(withPrefix(m));
    if (!c || c.family !== family) throw invalid(`set member ${m} is not an IPv${family} CIDR`);
    return parseCIDR(canonicalCIDR(withPrefix(m)));
  });
  parsed.sort((a, b) => {
    const d = cidrFirst(a) - cidrFirst(b);
    return d !== 0n ? (d < 0n ? -1 : 1) : a.prefix - b.prefix;
  });
  const out: string[] = [];
  let coveredTo = -1n;
  for (const c of parsed) {
    if (cidrLast(c) <= coveredTo) continue;
    out.push(`${formatIP({ family: c.family, value: c.addr })}/${c.prefix}`);
    coveredTo = cidrLast(c);
  }
  return [...new Set(out)].sort();
}

/** `10.0.0.1,tcp:8080` → `10.0.0.1 . tcp . 8080`. */
export function ipPortElement(member: string, family: Family): string {
  const m = /^([^,]+),([a-z]+|\d+):(\d+)$/.exec(member);
  const ip = m ? tryParseIPText(m[1]) : undefined;
  if (!m || !ip || ip.family !== family)
    throw invalid(`set member ${member} is not <IPv${family}>,<proto>:<port>`);
  return `${formatIP(ip)} . ${PROTO_BY_NUMBER[m[2]] ?? m[2]} . ${Number(m[3])}`;
}

function tryParseIPText(text: string) {
  try {
    return parseIP(text);
  } catch {
    return undefined;
  }
}

export function setElements(set: IpSet, family: Family): string[] {
  return set.type === 'net'
    ? netElements(set.members, family)
    : [...new Set(set.members.map((m) => ipPortElement(m, family)))].sort();
}

/** An element of `nft -j` output, canonical; undefined for a shape we never write. */
export function kernelElement(e: unknown): string | undefined {
  if (e && typeof e === 'object' && 'elem' in e)
    return kernelElement((e as { elem: { val?: unknown } }).elem.val);
  if (typeof e === 'string') {
    const c = tryParseCIDR(withPrefix(e));
    return c ? canonicalCIDR(withPrefix(e)) : e;
  }
  if (!e || typeof e !== 'object') return e === undefined ? undefined : String(e);
  const o = e as { prefix?: { addr: string; len: number }; range?: [unknown, unknown]; concat?: unknown[] };
  if (o.prefix) return canonicalCIDR(`${o.prefix.addr}/${o.prefix.len}`);
  if (o.range) return `${String(o.range[0])}-${String(o.range[1])}`;
  if (o.concat) {
    const [ip, proto, port] = o.concat.map((x) => String(x));
    const addr = tryParseIPText(ip);
    return `${addr ? formatIP(addr) : ip} . ${PROTO_BY_NUMBER[proto] ?? proto} . ${port}`;
  }
  return undefined;
}
