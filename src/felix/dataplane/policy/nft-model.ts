/**
 * The nftables policy backend's view of one table (`ip calico` or `ip6 calico`): what the compiler's
 * ruleset becomes once rendered (NftTable), and the comparable shape both that and a kernel read
 * reduce to (KernelTable: rule hashes, set and map elements, base-chain hooks). Naming follows
 * Felix's nft mode: one table per family holds the filter, raw and mangle chains, named
 * `<table>-<chain>`; base chains `<table>-<HOOK>`.
 */
import type { Family, Hook, TableName } from '../../calc/policy/ruleset.js';

export const NFT_TABLE = 'calico';

export type NftFamily = 'ip' | 'ip6';

export function nftFamily(family: Family): NftFamily {
  return family === 4 ? 'ip' : 'ip6';
}

/** Base-chain priorities of Felix's tables (the nft names `filter`, `mangle`, `raw`). */
export const TABLE_PRIORITY: Record<TableName, number> = { filter: 0, mangle: -150, raw: -300 };

export function nftChainName(table: TableName, chain: string): string {
  return `${table}-${chain}`;
}

export function baseChainName(table: TableName, hook: Hook): string {
  return `${table}-${hook.toUpperCase()}`;
}

/**
 * nft's parser takes no ':' in set names (quoted names neither), so `cali40s:abc` becomes
 * `cali40s-abc`, as Felix's nft mode does. Calico's other set names contain no ':'.
 */
export function nftSetName(name: string): string {
  return name.replace(/:/g, '-');
}

export interface BaseSpec {
  hook: Hook;
  priority: number;
}

export interface NftRule {
  /** Matches and action, without the comment. */
  body: string;
  /** `cali:<hash>` plus the rule's free text. */
  comment: string;
  hash: string;
}

export interface NftChain {
  name: string;
  base?: BaseSpec;
  rules: NftRule[];
}

export interface NftSet {
  name: string;
  /** nft type text: `ipv4_addr`, `ipv4_addr . inet_proto . inet_service`. */
  type: string;
  interval: boolean;
  /** Canonical element text (as kernel reads are canonicalised), sorted. */
  elements: string[];
}

export interface NftMap {
  name: string;
  /** Interface → verdict (`goto filter-cali-tw-cali1`). */
  elements: Map<string, string>;
}

export interface NftTable {
  family: NftFamily;
  sets: Map<string, NftSet>;
  maps: Map<string, NftMap>;
  chains: Map<string, NftChain>;
}

/** What can be compared between the desired table and the kernel's. */
export interface KernelTable {
  sets: Map<string, { type: string; interval: boolean; elements: Set<string> }>;
  maps: Map<string, { type: string; elements: Map<string, string> }>;
  chains: Map<
    string,
    { base?: { type?: string; hook?: string; prio?: number; policy?: string }; hashes: string[] }
  >;
  /** Objects of kinds we never create (flowtables, counters…): the table is rebuilt. */
  foreign: string[];
}

export const MAP_TYPE = 'ifname : verdict';

/**
 * Kernel entries derived from a desired object, memoised per (immutable) object: the plan treats
 * an entry whose hash list / element collection is the very one derived from the desired object
 * as equal without comparing, which keeps a pass after a small change O(changed objects).
 */
const chainEntries = new WeakMap<NftChain, KernelChain>();
const setEntries = new WeakMap<NftSet, KernelSet>();

type KernelChain = KernelTable['chains'] extends Map<string, infer V> ? V : never;
type KernelSet = KernelTable['sets'] extends Map<string, infer V> ? V : never;

export function chainEntry(c: NftChain): KernelChain {
  let e = chainEntries.get(c);
  if (!e) {
    e = {
      base: c.base && { type: 'filter', hook: c.base.hook, prio: c.base.priority, policy: 'accept' },
      hashes: c.rules.map((r) => r.hash),
    };
    chainEntries.set(c, e);
  }
  return e;
}

export function setEntry(s: NftSet): KernelSet {
  let e = setEntries.get(s);
  if (!e) setEntries.set(s, (e = { type: s.type, interval: s.interval, elements: new Set(s.elements) }));
  return e;
}

/**
 * The kernel table that applying `t` leaves (what the fast path diffs against). It shares its
 * collections with `t`'s memoised entries: never mutate it (copy it first).
 */
export function expectedKernel(t: NftTable): KernelTable {
  const k: KernelTable = { sets: new Map(), maps: new Map(), chains: new Map(), foreign: [] };
  for (const s of t.sets.values()) k.sets.set(s.name, setEntry(s));
  for (const m of t.maps.values()) k.maps.set(m.name, { type: MAP_TYPE, elements: m.elements });
  for (const c of t.chains.values()) k.chains.set(c.name, chainEntry(c));
  return k;
}
