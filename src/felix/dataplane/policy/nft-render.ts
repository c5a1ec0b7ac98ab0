/**
 * The compiler's rulesets → nftables: `table ip calico` (and `table ip6 calico`) holding every
 * chain of the filter, raw and mangle tables, named sets, and verdict maps for the dispatch
 * chains. Every rule carries `comment "cali:<hash>[; text]"`; the hash is chained over the chain
 * name and each rule's body and text (so it also depends on the rule's position), and reads
 * compare hashes, never nft's JSON expressions. Pure, but memoised per IR object (see chainCache).
 */
import type {
  Chain,
  Dispatch,
  Family,
  HookRules,
  IpSet,
  Match,
  PolicyRulesets,
  Rule,
  Ruleset,
  TableName,
} from '../../calc/policy/ruleset.js';
import { setElements, setType } from './nft-elements.js';
import { ChainHash } from './nft-hash.js';
import { invalid, quoteText, renderRule, type MatchContext } from './nft-match.js';
import {
  baseChainName,
  type BaseSpec,
  MAP_TYPE,
  NFT_TABLE,
  nftChainName,
  nftFamily,
  nftSetName,
  TABLE_PRIORITY,
  type NftChain,
  type NftFamily,
  type NftMap,
  type NftRule,
  type NftSet,
  type NftTable,
} from './nft-model.js';

export const HASH_LENGTH = 16;
/** nft's comment limit is 128 bytes. */
const COMMENT_MAX = 127;

/** The `cali:` hash of a rule comment read back from the kernel ('' when it has none). */
export function hashOfComment(comment: string | undefined): string {
  const m = /^cali:([A-Za-z0-9_-]{16})(?:;|$)/.exec(comment ?? '');
  return m ? m[1] : '';
}

/** Comment free text, quoted once per distinct text (a few texts recur on thousands of rules). */
const quoted = new Map<string, string>();

function nftRule(h: ChainHash, body: string, text: string | undefined): NftRule {
  h.add(body);
  if (text) h.add('\0').add(text);
  const hash = h.finish().text();
  if (!text) return { body, hash, comment: `cali:${hash}` };
  let q = quoted.get(text);
  if (q === undefined) {
    if (quoted.size > 10_000) quoted.clear();
    quoted.set(text, (q = quoteText(text, COMMENT_MAX)));
  }
  return { body, hash, comment: `cali:${hash}; ${q}`.slice(0, COMMENT_MAX) };
}

/** Rules with their chained hashes and comments. */
export function hashedRules(chain: string, rules: readonly { body: string; text?: string }[]): NftRule[] {
  const h = new ChainHash(chain);
  return rules.map((r) => nftRule(h, r.body, r.text));
}

/** A chain's hashed rules. */
function hashedChain(name: string, base: BaseSpec | undefined, bodies: Bodies, lead?: string): NftChain {
  const h = new ChainHash(name);
  const rules: NftRule[] = [];
  if (lead !== undefined) rules.push(nftRule(h, lead, undefined));
  const { bodies: bs, texts } = bodies;
  for (let i = 0; i < bs.length; i++) rules.push(nftRule(h, bs[i], texts[i]));
  return base ? { name, base, rules } : { name, rules };
}

/** Rule bodies of a rules array before hashing: an IR rule may become several (see nft-match.ts). */
interface Bodies {
  table: TableName;
  bodies: string[];
  /** Each body's comment free text. */
  texts: (string | undefined)[];
  /** The nft names of the chains the rules jump to. */
  refs: string[];
}

/**
 * Bodies per IR rules array (and family): the compiler hands endpoints with the same plan one
 * shared array, so hundreds of endpoint chains render a few dozen arrays; only the chained hash
 * (seeded by the chain name) is per chain.
 */
const bodyCache: [WeakMap<readonly Rule[], Bodies>, WeakMap<readonly Rule[], Bodies>] = [
  new WeakMap(),
  new WeakMap(),
];

function ruleBodies(
  rules: readonly Rule[],
  table: TableName,
  family: Family,
  memo: Map<Match, string[]>,
): Bodies {
  const cache = bodyCache[family === 4 ? 0 : 1];
  let b = cache.get(rules);
  if (b?.table === table) return b;
  b = renderBodies(rules, table, family, memo, (chain) => nftChainName(table, chain));
  cache.set(rules, b);
  return b;
}

function renderBodies(
  rules: readonly Rule[],
  table: TableName,
  family: Family,
  memo: Map<Match, string[]>,
  ref: (chain: string) => string,
): Bodies {
  const b: Bodies = { table, bodies: [], texts: [], refs: [] };
  const ctx: MatchContext = {
    family,
    memo,
    chainRef: (chain) => {
      const n = ref(chain);
      b.refs.push(n);
      return n;
    },
  };
  for (const r of rules) {
    for (const body of renderRule(r, ctx)) {
      b.bodies.push(body);
      b.texts.push(r.comment);
    }
  }
  return b;
}

/** A rendered chain (or dispatch) and the nft names of the chains its rules jump to. */
interface Rendered {
  chain: NftChain;
  table: TableName;
  refs: string[];
  map?: NftMap;
}

/**
 * Rendered chains, dispatches and sets per IR object (and family). The compiler hands out the
 * same objects for whatever did not change, so after one policy changed only its chains are
 * rendered again; everything else, and the objects the plan compares by identity, is reused.
 */
const chainCache: [WeakMap<object, Rendered>, WeakMap<object, Rendered>] = [new WeakMap(), new WeakMap()];
const setCache: [WeakMap<IpSet, NftSet>, WeakMap<IpSet, NftSet>] = [new WeakMap(), new WeakMap()];

const CHAIN_NAME = /^[A-Za-z][A-Za-z0-9_./-]*$/;

function checkedName(table: TableName, chain: string): string {
  const n = nftChainName(table, chain);
  if (!CHAIN_NAME.test(n)) throw invalid(`chain name ${JSON.stringify(chain)}`);
  return n;
}

function renderChain(c: Chain, family: Family, memo: Map<Match, string[]>): Rendered {
  const name = checkedName(c.table, c.name);
  const b = ruleBodies(c.rules, c.table, family, memo);
  return { chain: hashedChain(name, undefined, b), table: c.table, refs: b.refs };
}

function renderDispatch(d: Dispatch, family: Family, memo: Map<Match, string[]>): Rendered {
  const name = checkedName(d.table, d.name);
  const refs: string[] = [];
  const ctx: MatchContext = {
    family,
    memo,
    chainRef: (chain) => {
      const n = nftChainName(d.table, chain);
      refs.push(n);
      return n;
    },
  };
  const elements = new Map<string, string>();
  for (const e of d.entries) {
    if (!/^[A-Za-z0-9_.@:-]+$/.test(e.iface)) throw invalid(`dispatch interface ${JSON.stringify(e.iface)}`);
    // Felix logs and ignores a duplicate interface; so do we (the first entry wins).
    if (!elements.has(e.iface)) elements.set(e.iface, `goto ${ctx.chainRef(e.chain)}`);
  }
  const lookup = `${d.direction === 'in' ? 'iifname' : 'oifname'} vmap @${name}`;
  const b = renderBodies(d.fallback, d.table, family, memo, ctx.chainRef);
  return { chain: hashedChain(name, undefined, b, lookup), table: d.table, refs, map: { name, elements } };
}

function renderSet(s: IpSet, family: Family): NftSet {
  const name = nftSetName(s.name);
  return {
    name,
    type: setType(family, s.type),
    interval: s.type === 'net',
    elements: setElements(s, family),
  };
}

function cached<K extends object, V>(cache: WeakMap<K, V>, key: K, make: () => V): V {
  let v = cache.get(key);
  if (v === undefined) cache.set(key, (v = make()));
  return v;
}

/** A piece of a table as it is built, in the order the table text lists them. */
export type TablePart = { set: NftSet } | { map: NftMap } | { chain: NftChain };

/**
 * Builds the nft table of one family's ruleset, yielding each set, map and chain as soon as it is
 * rendered (in renderTable's order: sets, maps, then chains) so its text can go to nft while the
 * rest is still being rendered. Returns the whole table; throws (mid-way) on an invalid ruleset.
 */
export function* tableParts(rs: Ruleset): Generator<TablePart, NftTable> {
  const family = nftFamily(rs.family);
  const fi = rs.family === 4 ? 0 : 1;
  const t: NftTable = { family, sets: new Map(), maps: new Map(), chains: new Map() };
  const rendered: Rendered[] = [];
  const add = (r: Rendered, irName: string) => {
    if (t.chains.has(r.chain.name)) throw invalid(`chain ${r.table}/${irName} is defined twice`);
    t.chains.set(r.chain.name, r.chain);
    rendered.push(r);
  };

  const sets = setCache[fi];
  for (const s of rs.sets) {
    const ns = cached(sets, s, () => renderSet(s, rs.family));
    if (t.sets.has(ns.name))
      throw invalid(`set names ${s.name} and another map to the same nft name ${ns.name}`);
    t.sets.set(ns.name, ns);
    yield { set: ns };
  }

  const chains = chainCache[fi];
  const memo = new Map<Match, string[]>();
  // Dispatches are few; they are rendered first because their maps precede every chain.
  const dispatches = rs.dispatches.map((d) => cached(chains, d, () => renderDispatch(d, rs.family, memo)));
  for (const r of dispatches) {
    if (r.map && !t.maps.has(r.map.name)) {
      t.maps.set(r.map.name, r.map);
      yield { map: r.map };
    }
  }
  for (const c of rs.chains) {
    const r = cached(chains, c, () => renderChain(c, rs.family, memo));
    add(r, c.name);
    yield { chain: r.chain };
  }
  for (const [i, r] of dispatches.entries()) {
    add(r, rs.dispatches[i].name);
    yield { chain: r.chain };
  }
  // Jumps to chains that are not in the table (checked each time: the table changes around a chain).
  for (const r of rendered) {
    for (const ref of r.refs) {
      if (!t.chains.has(ref)) {
        throw invalid(
          `a rule in the ${r.table} table jumps to unknown chain ${ref.slice(r.table.length + 1)}`,
        );
      }
    }
  }

  const hooks = new Map<string, HookRules[]>();
  for (const h of rs.hooks) {
    const n = baseChainName(h.table, h.hook);
    hooks.set(n, [...(hooks.get(n) ?? []), h]);
  }
  for (const [name, hs] of hooks) {
    const { table, hook } = hs[0];
    if (t.chains.has(name)) throw invalid(`chain ${name} is both a hook and a chain`);
    const rules = [...hs.flatMap((h) => h.rules), ...hs.flatMap((h) => h.append)];
    const check = (chain: string) => {
      const n = nftChainName(table, chain);
      if (!t.chains.has(n)) throw invalid(`a rule in the ${table} table jumps to unknown chain ${chain}`);
      return n;
    };
    const chain = hashedChain(
      name,
      { hook, priority: TABLE_PRIORITY[table] },
      renderBodies(rules, table, rs.family, memo, check),
    );
    t.chains.set(name, chain);
    yield { chain };
  }
  return t;
}

/** Builds the nft table of one family's ruleset. */
export function buildTable(rs: Ruleset): NftTable {
  const parts = tableParts(rs);
  for (;;) {
    const step = parts.next();
    if (step.done) return step.value;
  }
}

function baseText(b: BaseSpec): string {
  return `type filter hook ${b.hook} priority ${b.priority}; policy accept;`;
}

export function baseSpecText(c: NftChain): string {
  return c.base ? baseText(c.base) : '';
}

export function setSpecText(s: { type: string; interval: boolean }): string {
  return `type ${s.type};${s.interval ? ' flags interval;' : ''}`;
}

export function mapElementText(iface: string, verdict: string): string {
  return `"${iface}" : ${verdict}`;
}

/** The opening of a table block; `partText` of each part and `TABLE_END` follow. */
export function tableStart(family: NftFamily): string {
  return `table ${family} ${NFT_TABLE} {\n`;
}

export const TABLE_END = '}\n';

/** One set, map or chain inside a table block. */
export function partText(p: TablePart): string {
  const out: string[] = [];
  if ('set' in p) {
    const s = p.set;
    out.push(`  set ${s.name} {\n    type ${s.type}\n`);
    if (s.interval) out.push('    flags interval\n');
    if (s.elements.length) out.push(`    elements = { ${s.elements.join(', ')} }\n`);
    out.push('  }\n');
  } else if ('map' in p) {
    const m = p.map;
    out.push(`  map ${m.name} {\n    type ${MAP_TYPE}\n`);
    const els = [...m.elements].map(([i, v]) => mapElementText(i, v));
    if (els.length) out.push(`    elements = { ${els.join(', ')} }\n`);
    out.push('  }\n');
  } else {
    const c = p.chain;
    out.push(`  chain ${c.name} {\n`);
    if (c.base) out.push(`    ${baseSpecText(c)}\n`);
    for (const r of c.rules) out.push('    ', r.body, ' comment "', r.comment, '"\n');
    out.push('  }\n');
  }
  return out.join('');
}

/** The whole table in nft's block syntax (sets and maps first; nft resolves chain references in a block). */
export function renderTable(t: NftTable): string {
  const out = [tableStart(t.family)];
  for (const set of t.sets.values()) out.push(partText({ set }));
  for (const map of t.maps.values()) out.push(partText({ map }));
  for (const chain of t.chains.values()) out.push(partText({ chain }));
  out.push(TABLE_END);
  return out.join('');
}

/** `add` + `delete` first so the script works whether or not the table exists. */
export function replaceTableHead(family: NftFamily): string {
  return `add table ${family} ${NFT_TABLE}\ndelete table ${family} ${NFT_TABLE}\n`;
}

/** The tables of both families (undefined when the ruleset has none for a family). */
export function buildTables(rulesets: PolicyRulesets): Record<NftFamily, NftTable | undefined> {
  return { ip: buildTable(rulesets.v4), ip6: rulesets.v6 ? buildTable(rulesets.v6) : undefined };
}

/** Replaces the table in one transaction. */
export function replaceTableScript(t: NftTable): string {
  return replaceTableHead(t.family) + renderTable(t);
}

export function deleteTableScript(family: NftFamily): string {
  return replaceTableHead(family);
}

/** A complete script that replaces both tables with the rulesets (an absent v6 removes `ip6 calico`). */
export function renderNft(rulesets: PolicyRulesets): string {
  const t = buildTables(rulesets);
  return replaceTableScript(t.ip!) + (t.ip6 ? replaceTableScript(t.ip6) : deleteTableScript('ip6'));
}
