/**
 * A first load (no `calico` table in the kernel for any family we want) split into transactions
 * that several nft processes work on at once: nft spends most of a big load in its own user-space
 * parsing and evaluation, one CPU each, so two processes each given half the chains finish well
 * before one given all (measured at 15k rules: ~0.75x of one `nft -f`).
 *
 * The split keeps the kernel safe meanwhile: the head declares the tables, sets, maps and every
 * regular chain (empty); the parts fill the chains; only the tail adds the base chains, the hooks
 * that make any of it see a packet. Until the tail commits the tables are inert, as if absent.
 * Pure: text only.
 */
import type { NftFamily, NftTable } from './nft-model.js';
import { partText, replaceTableHead, TABLE_END, tableStart } from './nft-render.js';

/** Below this many rules one transaction is cheaper than several processes. */
export const SPLIT_MIN_RULES = 2000;

export interface FirstLoadScripts {
  /** Tables, sets, maps and empty regular chains; commits first. */
  head: string;
  /** Regular chains' rules, in groups of about equal size; commit in any order after the head. */
  parts: string[];
  /** Base chains (hooks) and tables we do not want; commits last. */
  tail: string;
}

type Tables = Record<NftFamily, NftTable | undefined>;

const FAMILIES: readonly NftFamily[] = ['ip', 'ip6'];

function ruleCount(t: Tables): number {
  let n = 0;
  for (const f of FAMILIES) for (const c of t[f]?.chains.values() ?? []) n += c.rules.length;
  return n;
}

/** Whether a first load of `built` is worth splitting into `ways` processes. */
export function worthSplitting(built: Tables, ways: number, minRules = SPLIT_MIN_RULES): boolean {
  return ways > 1 && ruleCount(built) >= minRules;
}

/** `unwanted`: families whose table the kernel holds but `built` does not want (deleted by the tail). */
export function firstLoadScripts(
  built: Tables,
  ways: number,
  unwanted: readonly NftFamily[] = [],
): FirstLoadScripts {
  const head: string[] = [];
  const groups: { rules: number; text: Record<NftFamily, string[]> }[] = Array.from({ length: ways }, () => ({
    rules: 0,
    text: { ip: [], ip6: [] },
  }));
  const tail: string[] = [];
  for (const f of FAMILIES) {
    const t = built[f];
    if (!t) continue;
    head.push(replaceTableHead(f), tableStart(f));
    for (const set of t.sets.values()) head.push(partText({ set }));
    const base: string[] = [];
    for (const chain of t.chains.values()) {
      if (chain.base) {
        base.push(partText({ chain }));
        continue;
      }
      // Declared in the head so maps and jumps in any part resolve; filled by the smallest group.
      head.push(`  chain ${chain.name} {\n  }\n`);
      if (!chain.rules.length) continue;
      let g = groups[0];
      for (const x of groups) if (x.rules < g.rules) g = x;
      g.rules += chain.rules.length;
      g.text[f].push(partText({ chain }));
    }
    for (const map of t.maps.values()) head.push(partText({ map }));
    head.push(TABLE_END);
    if (base.length) tail.push(tableStart(f), ...base, TABLE_END);
  }
  for (const f of unwanted) tail.push(replaceTableHead(f));
  const parts = groups
    .map((g) =>
      FAMILIES.filter((f) => g.text[f].length)
        .map((f) => tableStart(f) + g.text[f].join('') + TABLE_END)
        .join(''),
    )
    .filter((s) => s.length);
  return { head: head.join(''), parts, tail: tail.join('') };
}
