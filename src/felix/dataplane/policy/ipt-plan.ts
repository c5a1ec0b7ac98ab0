/**
 * What the kernel's iptables hold (read from `iptables-save`, or remembered from our last apply)
 * and the one `iptables-restore --noflush` transaction per table that turns it into the desired
 * model. Only differences are written: a chain whose hashes differ is rewritten whole through a
 * forward-reference flush (`:chain - [0:0]`) in the same transaction as its new rules, so no
 * packet ever sees it empty; chains no longer wanted are flushed and deleted last; when our rules
 * in a kernel chain are not exactly first (inserts) and last (appends), all of ours are deleted by
 * value and written again (spec §3.7, §3.8). Pure.
 */
import type { TableName } from '../../calc/policy/ruleset.js';
import { hashOfSavedRule } from './ipt-hash.js';
import {
  IPT_TABLES,
  OUR_CHAIN_PREFIX,
  kernelChains,
  ruleSpec,
  type IptModel,
  type IptRule,
  type IptTable,
} from './ipt-render.js';

export interface KernelRule {
  /** Our `cali:` hash; absent for rules that are not ours. */
  hash?: string;
  /** The rule after `-A <chain> `. */
  spec: string;
}

export interface KernelTable {
  /** Our chains (`cali-…`). */
  chains: Map<string, KernelRule[]>;
  /** The kernel's own chains (INPUT, FORWARD, …) with every rule, ours and others'. */
  builtins: Map<string, KernelRule[]>;
}

export type KernelIptables = Map<TableName, KernelTable>;

function emptyTable(): KernelTable {
  return { chains: new Map(), builtins: new Map() };
}

/** The tables we manage from `iptables-save` output (any number of tables). */
export function parseIptablesSave(text: string): KernelIptables {
  const out: KernelIptables = new Map();
  let cur: KernelTable | undefined;
  let builtins: readonly string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      const name = line.slice(1) as TableName;
      cur = IPT_TABLES.includes(name) ? emptyTable() : undefined;
      if (cur) {
        out.set(name, cur);
        builtins = kernelChains(name);
      }
      continue;
    }
    if (!cur) continue;
    if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0];
      if (name.startsWith(OUR_CHAIN_PREFIX)) cur.chains.set(name, []);
      else if (builtins.includes(name)) cur.builtins.set(name, []);
      continue;
    }
    const m = /^-A (\S+) (.*)$/.exec(line);
    if (!m) continue;
    const list = cur.chains.get(m[1]) ?? cur.builtins.get(m[1]);
    list?.push({ hash: hashOfSavedRule(m[2]), spec: m[2] });
  }
  return out;
}

function asKernel(rules: readonly IptRule[]): KernelRule[] {
  return rules.map((r) => ({ hash: r.hash, spec: ruleSpec(r) }));
}

/** The kernel as it is right after `model` was applied (other programs' rules unknown). */
export function modelAsKernel(model: IptModel): KernelIptables {
  const out: KernelIptables = new Map();
  for (const [table, t] of model) {
    const k = emptyTable();
    for (const [name, rules] of t.chains) k.chains.set(name, asKernel(rules));
    for (const [chain, h] of t.hooks) k.builtins.set(chain, [...asKernel(h.insert), ...asKernel(h.append)]);
    out.set(table, k);
  }
  return out;
}

function sameHashes(kernel: readonly KernelRule[], want: readonly IptRule[]): boolean {
  return kernel.length === want.length && kernel.every((r, i) => r.hash === want[i].hash);
}

/** Our rules in the kernel chain are exactly the inserts at the top and the appends at the end. */
function hooksInPlace(
  kernel: readonly KernelRule[],
  insert: readonly IptRule[],
  append: readonly IptRule[],
): boolean {
  const ours = kernel.filter((r) => r.hash !== undefined).length;
  if (ours !== insert.length + append.length) return false;
  if (!insert.every((r, i) => kernel[i]?.hash === r.hash)) return false;
  const tail = kernel.length - append.length;
  return append.every((r, i) => kernel[tail + i]?.hash === r.hash);
}

/**
 * The restore lines (between `*<table>` and `COMMIT`) that take `kernel` to `want`; empty when
 * nothing differs. `want` undefined removes everything of ours from the table.
 */
export function planTable(want: IptTable | undefined, kernel: KernelTable | undefined): string[] {
  const declare: string[] = [];
  const fill: string[] = [];
  const hooks: string[] = [];
  const drop: string[] = [];
  const wantChains = want?.chains ?? new Map<string, IptRule[]>();
  const wantHooks = want?.hooks ?? new Map();
  const kChains = kernel?.chains ?? new Map<string, KernelRule[]>();
  const kBuiltins = kernel?.builtins ?? new Map<string, KernelRule[]>();

  for (const [name, rules] of wantChains) {
    const k = kChains.get(name);
    if (k && sameHashes(k, rules)) continue;
    declare.push(`:${name} - [0:0]`);
    for (const r of rules) fill.push(`-A ${name} ${ruleSpec(r)}`);
  }
  for (const name of [...kChains.keys()].sort()) {
    if (wantChains.has(name)) continue;
    declare.push(`:${name} - [0:0]`);
    drop.push(`-X ${name}`);
  }
  const hookChains = new Set([...wantHooks.keys(), ...kBuiltins.keys()]);
  for (const chain of [...hookChains].sort()) {
    const k = kBuiltins.get(chain) ?? [];
    const w = wantHooks.get(chain) ?? { insert: [], append: [] };
    if (hooksInPlace(k, w.insert, w.append)) continue;
    for (const r of k) if (r.hash !== undefined) hooks.push(`-D ${chain} ${r.spec}`);
    w.insert.forEach((r: IptRule, i: number) => hooks.push(`-I ${chain} ${i + 1} ${ruleSpec(r)}`));
    for (const r of w.append as IptRule[]) hooks.push(`-A ${chain} ${ruleSpec(r)}`);
  }
  // Declarations (creating or flushing) first, so any rule may reference any of our chains;
  // deleted chains last, once nothing refers to them any more.
  return [...declare, ...fill, ...hooks, ...drop];
}

/** One restore input per table with something to do. */
export function planIptables(want: IptModel, kernel: KernelIptables): Map<TableName, string> {
  const out = new Map<TableName, string>();
  for (const table of IPT_TABLES) {
    const lines = planTable(want.get(table), kernel.get(table));
    if (lines.length) out.set(table, [`*${table}`, ...lines, 'COMMIT', ''].join('\n'));
  }
  return out;
}
