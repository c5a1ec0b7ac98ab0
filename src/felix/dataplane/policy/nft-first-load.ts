/**
 * A first load (no `calico` table in the kernel for any family we want) split into transactions
 * that several nft processes work on at once: nft spends most of a big load in its own user-space
 * parsing and evaluation, one CPU each, so two processes each given half the chains finish well
 * before one given all (measured at 15k rules: ~0.75x of one `nft -f`).
 *
 * The parts need no order among themselves: each declares (empty, with `add` semantics, so a
 * declaration never clashes with the part that fills the object) the sets, maps and chains its
 * rules refer to, fills its own share of chains, and adds the elements of the sets it was given.
 * No part waits for a declaring transaction (which cost ~60 ms at 3k chains, alone on the critical
 * path). Only the tail, committed after every part, adds the base chains, the hooks that make any
 * of it see a packet: until then the tables are inert, as if absent. Pure: text only.
 */
import type { NftChain, NftFamily, NftTable } from './nft-model.js';
import { partText, replaceTableHead, TABLE_END, tableStart } from './nft-render.js';

/** Below this many rules one transaction is cheaper than several processes. */
export const SPLIT_MIN_RULES = 2000;

/** A set element costs nft far less than a rule: elements per rule, when balancing the parts. */
const ELEMENTS_PER_RULE = 8;

export interface FirstLoadScripts {
  /** Self-contained transactions that commit in any order (each its own nft). */
  parts: string[];
  /** Base chains (hooks) and tables we do not want; commits after every part. */
  tail: string;
}

type Tables = Record<NftFamily, NftTable | undefined>;

const FAMILIES: readonly NftFamily[] = ['ip', 'ip6'];

/**
 * Adds to `out` each name that follows `word` in `text` (up to a space or comma): the chains a
 * rule or map element jumps to (`jump `, `goto `), the sets and maps it looks up (`@`).
 */
function namesAfter(text: string, word: string, out: Set<string>): void {
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i)) {
    i += word.length;
    let end = i;
    while (end < text.length && text[end] !== ' ' && text[end] !== ',') end++;
    out.add(text.slice(i, end));
  }
}

function ruleCount(t: Tables): number {
  let n = 0;
  for (const f of FAMILIES) for (const c of t[f]?.chains.values() ?? []) n += c.rules.length;
  return n;
}

/** Whether a first load of `built` is worth splitting into `ways` processes. */
export function worthSplitting(built: Tables, ways: number, minRules = SPLIT_MIN_RULES): boolean {
  return ways > 1 && ruleCount(built) >= minRules;
}

/** One part's share of one family's table. */
class Share {
  weight = 0;
  readonly chains: NftChain[] = [];
  readonly filled = new Set<string>();
  /** Chains, sets and maps to declare (when this share does not fill them). */
  readonly chainRefs = new Set<string>();
  readonly setRefs = new Set<string>();
  /** Sets whose elements this share adds; the share holding the maps' elements. */
  readonly ownSets = new Set<string>();
  ownMaps = false;

  fill(chain: NftChain): void {
    this.chains.push(chain);
    this.filled.add(chain.name);
    this.weight += chain.rules.length;
    for (const r of chain.rules) {
      namesAfter(r.body, '@', this.setRefs);
      namesAfter(r.body, 'jump ', this.chainRefs);
      namesAfter(r.body, 'goto ', this.chainRefs);
    }
  }

  text(t: NftTable): string {
    const out = [tableStart(t.family)];
    for (const [name, set] of t.sets) {
      if (this.ownSets.has(name)) out.push(partText({ set }));
      else if (this.setRefs.has(name)) out.push(partText({ set: { ...set, elements: [] } }));
    }
    for (const [name, map] of t.maps) {
      if (this.ownMaps) {
        out.push(partText({ map }));
        for (const v of map.elements.values()) namesAfter(v, 'goto ', this.chainRefs);
      } else if (this.setRefs.has(name)) out.push(partText({ map: { ...map, elements: new Map() } }));
    }
    for (const name of this.chainRefs)
      if (!this.filled.has(name) && t.chains.has(name)) out.push(`  chain ${name} {\n  }\n`);
    for (const chain of this.chains) out.push(partText({ chain }));
    out.push(TABLE_END);
    return out.join('');
  }
}

function lightest(shares: Share[]): Share {
  let s = shares[0];
  for (const x of shares) if (x.weight < s.weight) s = x;
  return s;
}

/** `unwanted`: families whose table the kernel holds but `built` does not want (deleted by the tail). */
export function firstLoadScripts(
  built: Tables,
  ways: number,
  unwanted: readonly NftFamily[] = [],
): FirstLoadScripts {
  const parts: string[][] = Array.from({ length: ways }, () => []);
  const tail: string[] = [];
  for (const f of FAMILIES) {
    const t = built[f];
    if (!t) continue;
    const shares = Array.from({ length: ways }, () => new Share());
    const base: NftChain[] = [];
    for (const chain of t.chains.values()) {
      if (chain.base) base.push(chain);
      // An empty chain costs one declaration: the first share makes it.
      else lightest(chain.rules.length ? shares : shares.slice(0, 1)).fill(chain);
    }
    // The maps' elements go with the first share (they are few); each set's with the lightest.
    shares[0].ownMaps = true;
    for (const [name, set] of t.sets) {
      const s = lightest(shares);
      s.ownSets.add(name);
      s.weight += set.elements.length / ELEMENTS_PER_RULE;
    }
    shares.forEach((s, i) => {
      if (s.chains.length || s.ownSets.size || s.ownMaps) parts[i].push(s.text(t));
    });
    if (base.length) tail.push(tableStart(f), ...base.map((chain) => partText({ chain })), TABLE_END);
  }
  for (const f of unwanted) tail.push(replaceTableHead(f));
  return { parts: parts.map((p) => p.join('')).filter((p) => p.length), tail: tail.join('') };
}
