/**
 * The difference between a desired nft table and the kernel's (read, or as the last pass left it)
 * as one nft script, applied as one transaction. Patchable differences are patched: chains whose
 * rule hashes differ are flushed and refilled, set and map elements change one by one (a set's
 * members never cause a rule rewrite), objects that should not exist are deleted after everything
 * that referenced them. A structural difference (no table, a base chain on the wrong hook, a set
 * of the wrong type, objects we never create) replaces the whole table within the same
 * transaction, so there is never a moment without rules. Pure.
 */
import {
  chainEntry,
  MAP_TYPE,
  NFT_TABLE,
  setEntry,
  type KernelTable,
  type NftFamily,
  type NftTable,
} from './nft-model.js';
import {
  baseSpecText,
  deleteTableScript,
  mapElementText,
  replaceTableScript,
  setSpecText,
} from './nft-render.js';

export interface NftPlan {
  /** The script; empty when there is nothing to do. */
  script: string;
  /** Kernel operations: one per rule written, element changed, object added, flushed or deleted. */
  changes: number;
  /** Why the table was replaced as a whole (undefined: patched or untouched). */
  rebuilt?: string;
}

/** Why `k` cannot be patched into `t` (undefined: it can). */
export function structureProblem(t: NftTable, k: KernelTable | undefined): string | undefined {
  if (!k) return 'the table is missing';
  if (k.foreign.length) return `it holds objects we never create (${k.foreign.slice(0, 3).join('; ')})`;
  for (const s of t.sets.values()) {
    const ks = k.sets.get(s.name);
    if (k.maps.has(s.name)) return `${s.name} is a map, not a set`;
    if (ks && (ks.type !== s.type || ks.interval !== s.interval)) return `set ${s.name} has the wrong type`;
  }
  for (const m of t.maps.values()) {
    const km = k.maps.get(m.name);
    if (k.sets.has(m.name)) return `${m.name} is a set, not a map`;
    if (km && km.type !== MAP_TYPE) return `map ${m.name} has the wrong type`;
  }
  for (const c of t.chains.values()) {
    const kc = k.chains.get(c.name);
    if (!kc) continue;
    if (!c.base !== !kc.base) return `chain ${c.name} is ${c.base ? 'not ' : ''}a base chain`;
    const b = kc.base;
    if (
      c.base &&
      b &&
      (b.type !== 'filter' || b.hook !== c.base.hook || b.prio !== c.base.priority || b.policy !== 'accept')
    ) {
      return `base chain ${c.name} has the wrong hook`;
    }
  }
  return undefined;
}

function sameHashes(have: readonly string[], want: readonly string[]): boolean {
  if (have === want) return true;
  if (have.length !== want.length) return false;
  for (let i = 0; i < have.length; i++) if (have[i] !== want[i]) return false;
  return true;
}

/** The changes of writing `t` whole. */
export function fullTableChanges(t: NftTable): number {
  let n = 1;
  for (const s of t.sets.values()) n += 1 + s.elements.length;
  for (const m of t.maps.values()) n += 1 + m.elements.size;
  for (const c of t.chains.values()) n += 1 + c.rules.length;
  return n;
}

/** The plan for one family's table; `t` undefined = the table should not exist. */
export function planTable(family: NftFamily, t: NftTable | undefined, k: KernelTable | undefined): NftPlan {
  if (!t) return k ? { script: deleteTableScript(family), changes: 1 } : { script: '', changes: 0 };
  const problem = structureProblem(t, k);
  if (problem || !k) {
    return { script: replaceTableScript(t), changes: fullTableChanges(t), rebuilt: problem };
  }
  const at = `${family} ${NFT_TABLE}`;
  const adds: string[] = [];
  const flushes: string[] = [];
  const rules: string[] = [];
  const elements: string[] = [];
  const deletes: string[] = [];

  for (const s of t.sets.values()) {
    const ks = k.sets.get(s.name);
    // The very entry the last pass derived from this set: nothing changed.
    if (ks && ks.elements === setEntry(s).elements) continue;
    if (!ks) adds.push(`add set ${at} ${s.name} { ${setSpecText(s)} }`);
    const have = ks?.elements ?? new Set<string>();
    const want = new Set(s.elements);
    // Deletions first: a CIDR leaving may uncover one that is now added (interval sets refuse overlaps).
    for (const e of have) if (!want.has(e)) elements.push(`delete element ${at} ${s.name} { ${e} }`);
    for (const e of s.elements) if (!have.has(e)) elements.push(`add element ${at} ${s.name} { ${e} }`);
  }
  for (const m of t.maps.values()) {
    const km = k.maps.get(m.name);
    if (km && km.elements === m.elements) continue;
    if (!km) adds.push(`add map ${at} ${m.name} { type ${MAP_TYPE}; }`);
    const have = km?.elements ?? new Map<string, string>();
    for (const [iface, v] of have) {
      if (m.elements.get(iface) !== v) elements.push(`delete element ${at} ${m.name} { "${iface}" }`);
    }
    for (const [iface, v] of m.elements) {
      if (have.get(iface) !== v) elements.push(`add element ${at} ${m.name} { ${mapElementText(iface, v)} }`);
    }
  }
  for (const c of t.chains.values()) {
    const kc = k.chains.get(c.name);
    if (!kc)
      adds.push(c.base ? `add chain ${at} ${c.name} { ${baseSpecText(c)} }` : `add chain ${at} ${c.name}`);
    if (kc && sameHashes(kc.hashes, chainEntry(c).hashes)) continue;
    if (kc && kc.hashes.length) flushes.push(`flush chain ${at} ${c.name}`);
    for (const r of c.rules) rules.push(`add rule ${at} ${c.name} ${r.body} comment "${r.comment}"`);
  }
  // Chains to delete are emptied first, so nothing they jump to stays referenced; maps (whose
  // elements jump to chains) go before chains, sets (referenced by rules only) last.
  for (const [name, kc] of k.chains) {
    if (t.chains.has(name)) continue;
    if (kc.hashes.length) flushes.push(`flush chain ${at} ${name}`);
    deletes.push(`delete chain ${at} ${name}`);
  }
  const mapDeletes = [...k.maps.keys()].filter((n) => !t.maps.has(n)).map((n) => `delete map ${at} ${n}`);
  const setDeletes = [...k.sets.keys()].filter((n) => !t.sets.has(n)).map((n) => `delete set ${at} ${n}`);
  const lines = [...adds, ...flushes, ...rules, ...elements, ...mapDeletes, ...deletes, ...setDeletes];
  return { script: lines.length ? lines.join('\n') + '\n' : '', changes: lines.length };
}

/** Both families in one script (one `nft -f -` transaction). */
export function planTables(
  desired: Record<NftFamily, NftTable | undefined>,
  kernel: Record<NftFamily, KernelTable | undefined>,
): NftPlan {
  const plans = (['ip', 'ip6'] as const).map((f) => planTable(f, desired[f], kernel[f]));
  const rebuilt = plans.map((p, i) => p.rebuilt && `${i ? 'ip6' : 'ip'}: ${p.rebuilt}`).filter(Boolean);
  return {
    script: plans.map((p) => p.script).join(''),
    changes: plans.reduce((n, p) => n + p.changes, 0),
    rebuilt: rebuilt.length ? rebuilt.join('; ') : undefined,
  };
}
