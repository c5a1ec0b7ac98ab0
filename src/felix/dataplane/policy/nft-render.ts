/**
 * The compiler's rulesets → nftables: `table ip calico` (and `table ip6 calico`) holding every
 * chain of the filter, raw and mangle tables, named sets, and verdict maps for the dispatch
 * chains. Every rule carries `comment "cali:<hash>[; text]"`; the hash is chained over the chain
 * name and each rule's body and text (so it also depends on the rule's position), and reads
 * compare hashes, never nft's JSON expressions. Pure.
 */
import { createHash } from 'node:crypto';
import type { Chain, Dispatch, HookRules, PolicyRulesets, Rule, Ruleset } from '../../calc/policy/ruleset.js';
import { setElements, setType } from './nft-elements.js';
import { invalid, quoteText, renderRule, type MatchContext } from './nft-match.js';
import {
  baseChainName,
  MAP_TYPE,
  NFT_TABLE,
  nftChainName,
  nftFamily,
  nftSetName,
  TABLE_PRIORITY,
  type NftChain,
  type NftFamily,
  type NftRule,
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

/** Rules with their chained hashes and comments. */
export function hashedRules(chain: string, rules: readonly { body: string; text?: string }[]): NftRule[] {
  let prev = createHash('sha224').update(chain).digest();
  return rules.map(({ body, text }) => {
    prev = createHash('sha224')
      .update(prev)
      .update(`${body}\0${text ?? ''}`)
      .digest();
    const hash = prev.toString('base64url').slice(0, HASH_LENGTH);
    const free = text ? `; ${quoteText(text, COMMENT_MAX)}` : '';
    return { body, hash, comment: `cali:${hash}${free}`.slice(0, COMMENT_MAX) };
  });
}

/** Builds the nft table of one family's ruleset. */
export function buildTable(rs: Ruleset): NftTable {
  const family = nftFamily(rs.family);
  const t: NftTable = { family, sets: new Map(), maps: new Map(), chains: new Map() };
  const known = new Set<string>();
  for (const c of [...rs.chains, ...rs.dispatches]) {
    const n = nftChainName(c.table, c.name);
    if (!/^[A-Za-z][A-Za-z0-9_./-]*$/.test(n)) throw invalid(`chain name ${JSON.stringify(c.name)}`);
    if (known.has(n)) throw invalid(`chain ${c.table}/${c.name} is defined twice`);
    known.add(n);
  }
  const ctxFor = (table: Chain['table']): MatchContext => ({
    family: rs.family,
    chainRef: (chain) => {
      const n = nftChainName(table, chain);
      if (!known.has(n)) throw invalid(`a rule in the ${table} table jumps to unknown chain ${chain}`);
      return n;
    },
  });
  const expand = (rules: readonly Rule[], ctx: MatchContext) =>
    rules.flatMap((r) => renderRule(r, ctx).map((body) => ({ body, text: r.comment })));
  const addChain = (c: NftChain) => t.chains.set(c.name, c);

  for (const s of rs.sets) {
    const name = nftSetName(s.name);
    if (t.sets.has(name)) throw invalid(`set names ${s.name} and another map to the same nft name ${name}`);
    t.sets.set(name, {
      name,
      type: setType(rs.family, s.type),
      interval: s.type === 'net',
      elements: setElements(s, rs.family),
    });
  }
  for (const c of rs.chains) {
    const name = nftChainName(c.table, c.name);
    addChain({ name, rules: hashedRules(name, expand(c.rules, ctxFor(c.table))) });
  }
  for (const d of rs.dispatches) addDispatch(t, d, ctxFor(d.table), expand);
  const hooks = new Map<string, HookRules[]>();
  for (const h of rs.hooks) {
    const n = baseChainName(h.table, h.hook);
    hooks.set(n, [...(hooks.get(n) ?? []), h]);
  }
  for (const [name, hs] of hooks) {
    const { table, hook } = hs[0];
    if (t.chains.has(name)) throw invalid(`chain ${name} is both a hook and a chain`);
    const rules = [...hs.flatMap((h) => h.rules), ...hs.flatMap((h) => h.append)];
    addChain({
      name,
      base: { hook, priority: TABLE_PRIORITY[table] },
      rules: hashedRules(name, expand(rules, ctxFor(table))),
    });
  }
  return t;
}

function addDispatch(
  t: NftTable,
  d: Dispatch,
  ctx: MatchContext,
  expand: (rules: readonly Rule[], ctx: MatchContext) => { body: string; text?: string }[],
): void {
  const name = nftChainName(d.table, d.name);
  const elements = new Map<string, string>();
  for (const e of d.entries) {
    if (!/^[A-Za-z0-9_.@:-]+$/.test(e.iface)) throw invalid(`dispatch interface ${JSON.stringify(e.iface)}`);
    // Felix logs and ignores a duplicate interface; so do we (the first entry wins).
    if (!elements.has(e.iface)) elements.set(e.iface, `goto ${ctx.chainRef(e.chain)}`);
  }
  t.maps.set(name, { name, elements });
  const lookup = `${d.direction === 'in' ? 'iifname' : 'oifname'} vmap @${name}`;
  t.chains.set(name, { name, rules: hashedRules(name, [{ body: lookup }, ...expand(d.fallback, ctx)]) });
}

function rulesText(c: NftChain, indent: string): string[] {
  return c.rules.map((r) => `${indent}${r.body} comment "${r.comment}"`);
}

export function baseSpecText(c: NftChain): string {
  return c.base ? `type filter hook ${c.base.hook} priority ${c.base.priority}; policy accept;` : '';
}

export function setSpecText(s: { type: string; interval: boolean }): string {
  return `type ${s.type};${s.interval ? ' flags interval;' : ''}`;
}

export function mapElementText(iface: string, verdict: string): string {
  return `"${iface}" : ${verdict}`;
}

/** The whole table in nft's block syntax (sets and maps first; nft resolves chain references in a block). */
export function renderTable(t: NftTable): string {
  const out = [`table ${t.family} ${NFT_TABLE} {`];
  for (const s of t.sets.values()) {
    out.push(`  set ${s.name} {`, `    type ${s.type}`);
    if (s.interval) out.push('    flags interval');
    if (s.elements.length) out.push(`    elements = { ${s.elements.join(', ')} }`);
    out.push('  }');
  }
  for (const m of t.maps.values()) {
    out.push(`  map ${m.name} {`, `    type ${MAP_TYPE}`);
    const els = [...m.elements].map(([i, v]) => mapElementText(i, v));
    if (els.length) out.push(`    elements = { ${els.join(', ')} }`);
    out.push('  }');
  }
  for (const c of t.chains.values()) {
    out.push(`  chain ${c.name} {`);
    if (c.base) out.push(`    ${baseSpecText(c)}`);
    out.push(...rulesText(c, '    '), '  }');
  }
  out.push('}');
  return out.join('\n') + '\n';
}

/** The tables of both families (undefined when the ruleset has none for a family). */
export function buildTables(rulesets: PolicyRulesets): Record<NftFamily, NftTable | undefined> {
  return { ip: buildTable(rulesets.v4), ip6: rulesets.v6 ? buildTable(rulesets.v6) : undefined };
}

/** `add` + `delete` first so the script works whether or not the table exists; one transaction. */
export function replaceTableScript(t: NftTable): string {
  return `add table ${t.family} ${NFT_TABLE}\ndelete table ${t.family} ${NFT_TABLE}\n${renderTable(t)}`;
}

export function deleteTableScript(family: NftFamily): string {
  return `add table ${family} ${NFT_TABLE}\ndelete table ${family} ${NFT_TABLE}\n`;
}

/** A complete script that replaces both tables with the rulesets (an absent v6 removes `ip6 calico`). */
export function renderNft(rulesets: PolicyRulesets): string {
  const t = buildTables(rulesets);
  return replaceTableScript(t.ip!) + (t.ip6 ? replaceTableScript(t.ip6) : deleteTableScript('ip6'));
}
