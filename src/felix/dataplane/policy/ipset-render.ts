/**
 * The rulesets' named sets as ipsets (spec §1.3, §3.9): `net` sets are `hash:net`, `ip-port`
 * sets `hash:ip,port` with members `ip,proto:port`, all with Felix's maxelem. Members are kept in
 * the form `ipset save` prints (no `/32` or `/128`, IPv6 compressed), so kernel and desired sets
 * compare as strings. Pure.
 */
import type { Family, IpSet, PolicyRulesets, Ruleset } from '../../calc/policy/ruleset.js';
import { DataplaneError } from '../../errors.js';

export const IPSET_MAXELEM = 1048576;

export type IpsetType = 'hash:net' | 'hash:ip,port';
export type IpsetFamily = 'inet' | 'inet6';

export interface IpsetSpec {
  name: string;
  type: IpsetType;
  family: IpsetFamily;
  maxelem: number;
  /** Normalised, sorted, unique. */
  members: string[];
}

export type IpsetState = Map<string, IpsetSpec>;

/** Felix's ipsets: main `cali40…`/`cali60…` and temporary `cali4t…`/`cali6t…` sets. */
export function isOurIpset(name: string): boolean {
  return /^cali[46][0t]/.test(name);
}

function canonicalIp(ip: string, family: IpsetFamily): string {
  if (family === 'inet') return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip.toLowerCase();
  }
}

/** A member as `ipset save` prints it; a /0 becomes two /1 (hash:net cannot hold a /0). */
export function normalizeMember(type: IpsetType, family: IpsetFamily, member: string): string[] {
  const m = member.trim();
  if (type === 'hash:ip,port') {
    const comma = m.lastIndexOf(',');
    if (comma < 0) return [m];
    return [`${canonicalIp(m.slice(0, comma), family)},${m.slice(comma + 1).toLowerCase()}`];
  }
  const [addr, len] = m.split('/');
  const full = family === 'inet' ? '32' : '128';
  if (len === '0') return family === 'inet' ? ['0.0.0.0/1', '128.0.0.0/1'] : ['::/1', '8000::/1'];
  const ip = canonicalIp(addr, family);
  return [len === undefined || len === full ? ip : `${ip}/${len}`];
}

function sortedUnique(list: string[]): string[] {
  return [...new Set(list)].sort();
}

function specOf(set: IpSet, family: Family): IpsetSpec {
  const type: IpsetType = set.type === 'ip-port' ? 'hash:ip,port' : 'hash:net';
  const fam: IpsetFamily = family === 4 ? 'inet' : 'inet6';
  return {
    name: set.name,
    type,
    family: fam,
    maxelem: IPSET_MAXELEM,
    members: sortedUnique(set.members.flatMap((m) => normalizeMember(type, fam, m))),
  };
}

function rulesetList(rulesets: PolicyRulesets | readonly Ruleset[]): readonly Ruleset[] {
  if (Array.isArray(rulesets)) return rulesets;
  const r = rulesets as PolicyRulesets;
  return r.v6 ? [r.v4, r.v6] : [r.v4];
}

/** Every set of the rulesets (both families), by name. */
export function desiredIpsets(rulesets: PolicyRulesets | readonly Ruleset[]): IpsetState {
  const out: IpsetState = new Map();
  for (const rs of rulesetList(rulesets)) {
    for (const s of rs.sets) {
      if (s.name.length > 31)
        throw new DataplaneError('unsupported', `ipset name ${s.name} is over 31 chars`);
      if (out.has(s.name)) throw new DataplaneError('unsupported', `ipset ${s.name} is defined twice`);
      out.set(s.name, specOf(s, rs.family));
    }
  }
  return out;
}

export function createLine(s: Omit<IpsetSpec, 'members'>, name = s.name): string {
  return `create ${name} ${s.type} family ${s.family} maxelem ${s.maxelem}`;
}

/** `ipset restore` input that creates and fills every set of the rulesets. */
export function renderIpsets(rulesets: PolicyRulesets | readonly Ruleset[]): string {
  const lines: string[] = [];
  for (const s of desiredIpsets(rulesets).values()) {
    lines.push(createLine(s));
    for (const m of s.members) lines.push(`add ${s.name} ${m}`);
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** Our sets from `ipset save` output. */
export function parseIpsetSave(text: string): IpsetState {
  const out: IpsetState = new Map();
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w[0] === 'create' && w.length >= 3 && isOurIpset(w[1])) {
      const opt = (k: string): string | undefined => {
        const i = w.indexOf(k, 3);
        return i > 0 ? w[i + 1] : undefined;
      };
      out.set(w[1], {
        name: w[1],
        type: w[2] as IpsetType,
        family: (opt('family') ?? 'inet') as IpsetFamily,
        maxelem: Number(opt('maxelem') ?? 65536),
        members: [],
      });
    } else if (w[0] === 'add' && w.length >= 3) {
      out.get(w[1])?.members.push(w[2]);
    }
  }
  for (const s of out.values()) {
    s.members = sortedUnique(s.members.flatMap((m) => normalizeMember(s.type, s.family, m)));
  }
  return out;
}
