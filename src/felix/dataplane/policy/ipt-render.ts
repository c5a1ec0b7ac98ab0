/**
 * A Ruleset as iptables state: per table (filter, raw, mangle) Felix's chains with hashed rules,
 * and the rules Felix inserts at the top (and appends at the end) of the kernel chains. The model
 * is what the planner diffs against the kernel; renderIptables() is the same model as
 * `iptables-restore --noflush` input for an empty kernel. Pure.
 */
import type { Chain, Hook, Ruleset, TableName } from '../../calc/policy/ruleset.js';
import { DataplaneError } from '../../errors.js';
import { dispatchChains } from './ipt-dispatch.js';
import { APPENDS_SUFFIX, hashComment, ruleHashes } from './ipt-hash.js';
import { expandRule } from './ipt-match.js';

export const IPT_TABLES: readonly TableName[] = ['raw', 'mangle', 'filter'];
/** iptables' limit on chain names. */
export const IPT_CHAIN_NAME_MAX = 28;
/** Chains with this prefix in the tables we manage are Felix's (ours to rewrite and delete). */
export const OUR_CHAIN_PREFIX = 'cali-';

const KERNEL_CHAINS: Record<TableName, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
};

export function kernelChains(table: TableName): readonly string[] {
  return KERNEL_CHAINS[table];
}

export interface IptRule {
  hash: string;
  /** Matches and action, without the hash comment. */
  body: string;
}

export interface IptHook {
  insert: IptRule[];
  append: IptRule[];
}

export interface IptTable {
  /** Our chains by name, in name order. */
  chains: Map<string, IptRule[]>;
  /** By kernel chain (`FORWARD`). */
  hooks: Map<string, IptHook>;
}

export type IptModel = Map<TableName, IptTable>;

/** The rule as written after `-A <chain> ` (and as `iptables-save` shows it, modulo order). */
export function ruleSpec(r: IptRule): string {
  return r.body ? `${hashComment(r.hash)} ${r.body}` : hashComment(r.hash);
}

function hashed(hashName: string, bodies: string[], lineChain = hashName): IptRule[] {
  const hashes = ruleHashes(hashName, bodies, lineChain);
  return bodies.map((body, i) => ({ hash: hashes[i], body }));
}

export function hookChain(table: TableName, hook: Hook): string {
  const chain = hook.toUpperCase();
  if (!KERNEL_CHAINS[table].includes(chain)) {
    throw new DataplaneError('unsupported', `iptables has no ${chain} chain in the ${table} table`);
  }
  return chain;
}

function tableOf(model: IptModel, table: TableName): IptTable {
  let t = model.get(table);
  if (!t) {
    t = { chains: new Map(), hooks: new Map() };
    model.set(table, t);
  }
  return t;
}

/**
 * Rendered chains by their IR (family and JSON): hashing is the costly part of a build, and from
 * one pass to the next almost every chain is unchanged. Holds only what the last build used.
 */
export class ChainCache {
  private prev = new Map<string, IptRule[]>();
  private cur = new Map<string, IptRule[]>();

  get(family: number, chain: Chain, render: () => IptRule[]): IptRule[] {
    const key = `${family}|${JSON.stringify(chain)}`;
    const rules = this.cur.get(key) ?? this.prev.get(key) ?? render();
    this.cur.set(key, rules);
    return rules;
  }

  /** Ends a build: entries the build did not use are dropped at the end of the next one. */
  rotate(): void {
    this.prev = this.cur;
    this.cur = new Map();
  }
}

export function buildIptables(rs: Ruleset, cache?: ChainCache): IptModel {
  const model: IptModel = new Map();
  const all: Chain[] = [...rs.chains, ...rs.dispatches.flatMap(dispatchChains)];
  all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const c of all) {
    if (c.name.length > IPT_CHAIN_NAME_MAX) {
      throw new DataplaneError(
        'unsupported',
        `chain name ${c.name} is longer than iptables allows (${IPT_CHAIN_NAME_MAX})`,
      );
    }
    const t = tableOf(model, c.table);
    if (t.chains.has(c.name)) throw new DataplaneError('unsupported', `chain ${c.name} is defined twice`);
    const render = (): IptRule[] =>
      hashed(
        c.name,
        c.rules.flatMap((r) => expandRule(r, rs.family)),
      );
    t.chains.set(c.name, cache ? cache.get(rs.family, c, render) : render());
  }
  for (const h of rs.hooks) {
    const chain = hookChain(h.table, h.hook);
    const t = tableOf(model, h.table);
    const prev = t.hooks.get(chain) ?? { insert: [], append: [] };
    const insert = [...prev.insert.map((r) => r.body), ...h.rules.flatMap((r) => expandRule(r, rs.family))];
    const append = [...prev.append.map((r) => r.body), ...h.append.flatMap((r) => expandRule(r, rs.family))];
    t.hooks.set(chain, {
      insert: hashed(chain, insert),
      append: hashed(chain + APPENDS_SUFFIX, append, chain),
    });
  }
  return model;
}

/** Restore input (per table) that programs `rs` into a kernel holding none of it yet. */
export function renderIptables(rs: Ruleset): Partial<Record<TableName, string>> {
  const out: Partial<Record<TableName, string>> = {};
  for (const [table, t] of buildIptables(rs)) {
    const lines = [`*${table}`];
    for (const name of t.chains.keys()) lines.push(`:${name} - [0:0]`);
    for (const [name, rules] of t.chains) for (const r of rules) lines.push(`-A ${name} ${ruleSpec(r)}`);
    for (const [chain, h] of t.hooks) {
      h.insert.forEach((r, i) => lines.push(`-I ${chain} ${i + 1} ${ruleSpec(r)}`));
      for (const r of h.append) lines.push(`-A ${chain} ${ruleSpec(r)}`);
    }
    lines.push('COMMIT');
    out[table] = lines.join('\n') + '\n';
  }
  return out;
}
