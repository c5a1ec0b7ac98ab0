/** Reads `nft -j list table <family> calico` into the comparable KernelTable. Pure parsing. */
import { kernelElement } from './nft-elements.js';
import type { KernelTable } from './nft-model.js';
import { hashOfComment } from './nft-render.js';

interface NftSetJSON {
  name?: string;
  type?: string | string[];
  map?: string;
  flags?: string[];
  elem?: unknown[];
}

interface NftObject {
  metainfo?: unknown;
  table?: unknown;
  set?: NftSetJSON;
  map?: NftSetJSON;
  chain?: { name?: string; type?: string; hook?: string; prio?: number; policy?: string };
  rule?: { chain?: string; comment?: string };
  [other: string]: unknown;
}

function typeText(t: string | string[] | undefined): string {
  return Array.isArray(t) ? t.join(' . ') : (t ?? '');
}

/** `[ "cali1", { "goto": { "target": "x" } } ]` → [`cali1`, `goto x`]. */
function mapElement(e: unknown): [string, string] | undefined {
  if (!Array.isArray(e) || e.length !== 2) return undefined;
  const [key, verdict] = e as [unknown, Record<string, { target?: string } | null>];
  if (typeof key !== 'string' || !verdict || typeof verdict !== 'object') return undefined;
  const [kind, arg] = Object.entries(verdict)[0] ?? [];
  if (!kind) return undefined;
  return [key, arg?.target ? `${kind} ${arg.target}` : kind];
}

export function parseKernelTable(json: unknown): KernelTable {
  const k: KernelTable = { sets: new Map(), maps: new Map(), chains: new Map(), foreign: [] };
  const items = (json as { nftables?: NftObject[] } | undefined)?.nftables ?? [];
  const rules: { chain: string; comment?: string }[] = [];
  for (const o of items) {
    if (o.metainfo || o.table) continue;
    if (o.set?.name) {
      const elements = new Set<string>();
      for (const e of o.set.elem ?? []) {
        const text = kernelElement(e);
        // An element we never write cannot be deleted by name: the table is rebuilt instead.
        if (text === undefined) k.foreign.push(`element ${JSON.stringify(e)} of set ${o.set.name}`);
        else elements.add(text);
      }
      k.sets.set(o.set.name, {
        type: typeText(o.set.type),
        interval: (o.set.flags ?? []).includes('interval'),
        elements,
      });
    } else if (o.map?.name) {
      const elements = new Map<string, string>();
      for (const e of o.map.elem ?? []) {
        const kv = mapElement(e);
        if (kv) elements.set(kv[0], kv[1]);
        else k.foreign.push(`element ${JSON.stringify(e)} of map ${o.map.name}`);
      }
      k.maps.set(o.map.name, { type: `${typeText(o.map.type)} : ${o.map.map ?? ''}`, elements });
    } else if (o.chain?.name) {
      const { type, hook, prio, policy } = o.chain;
      k.chains.set(o.chain.name, { base: hook ? { type, hook, prio, policy } : undefined, hashes: [] });
    } else if (o.rule?.chain) {
      rules.push({ chain: o.rule.chain, comment: o.rule.comment });
    } else {
      k.foreign.push(Object.keys(o).join(','));
    }
  }
  // nft lists rules after their chains, in chain order.
  for (const r of rules) k.chains.get(r.chain)?.hashes.push(hashOfComment(r.comment));
  return k;
}
