/**
 * Policy groups (Felix's PolicyGroup, spec felix-dataplane §1.2, §3.5): consecutive policies of a
 * tier that share a selector select the same endpoints, so their jumps go into one shared
 * `cali-gi-<hash>` / `cali-go-<hash>` chain that each endpoint chain jumps to once. With many
 * policies per app this cuts the endpoint chains' rules several times over. A group of one policy
 * is inlined (the endpoint chain jumps to the policy chain).
 */
import type { Chain, Match, Rule, TableName } from './ruleset.js';
import { MARK_ACCEPT, MARK_PASS } from './ruleset.js';
import { base64urlHash, MAX_CHAIN_NAME_LENGTH, policyChainName, type Direction } from './names.js';
import type { PolicyModel } from './model.js';
import { ANY } from './rule-compile.js';

/** A verdict mark is checked after every this many jumps of a group chain. */
export const GROUP_RETURN_STRIDE = 5;

const NO_VERDICT: Match = { mark: { value: 0, mask: MARK_ACCEPT | MARK_PASS } };
const VERDICT: Match = { notMark: { value: 0, mask: MARK_ACCEPT | MARK_PASS } };

/** Runs of consecutive policies with the same selector (policies of one tier, in order). */
export function policyGroups(policies: readonly PolicyModel[]): PolicyModel[][] {
  const out: PolicyModel[][] = [];
  let run: PolicyModel[] | undefined;
  let sel = '';
  for (const p of policies) {
    const s = p.selector.toString();
    if (run && s === sel) run.push(p);
    else out.push((run = [p]));
    sel = s;
  }
  return out;
}

/**
 * `cali-gi-` / `cali-go-` + the first 20 characters of base64url(SHA3-224) over the lines
 * selector, direction, count and each policy ID.
 */
export function groupChainName(dir: Direction, policies: readonly PolicyModel[]): string {
  const prefix = dir === 'ingress' ? 'cali-gi-' : 'cali-go-';
  let text = `${policies[0]?.selector.toString() ?? ''}\n${dir === 'ingress' ? 'inbound' : 'outbound'}\n${policies.length}\n`;
  for (const p of policies) text += `${p.id}\n`;
  return prefix + base64urlHash('sha3-224', text).slice(0, MAX_CHAIN_NAME_LENGTH - prefix.length);
}

/**
 * The group chain: a jump to each policy; a policy that accepts or passes leaves its mark, which
 * skips the remaining jumps of the block (each guarded by "no verdict yet") and, every
 * GROUP_RETURN_STRIDE jumps, returns to the endpoint chain. A deny drops inside the policy chain.
 */
export function groupChain(
  name: string,
  table: TableName,
  dir: Direction,
  policies: readonly PolicyModel[],
): Chain {
  const rules: Rule[] = [];
  policies.forEach((p, i) => {
    const first = i % GROUP_RETURN_STRIDE === 0;
    if (first && i > 0) {
      rules.push({ match: VERDICT, action: { type: 'return' }, comment: 'Return on verdict' });
    }
    rules.push({
      match: first ? ANY : NO_VERDICT,
      action: { type: 'jump', chain: policyChainName(dir, p.id) },
    });
  });
  return { name, table, rules };
}

/**
 * Group chains by table and name, shared by every endpoint chain that uses them and kept (the
 * same objects) across compiles while the endpoint plans still use them.
 */
export class GroupChains {
  private chains = new Map<string, Chain>();
  /** Names by direction, selector and policy IDs (hashing them is the costly part). */
  private names = new Map<string, string>();

  /** The chain to jump to for `group` (the policy's own chain for a group of one). */
  target(table: TableName, dir: Direction, group: readonly PolicyModel[]): { chain: string; group?: Chain } {
    if (group.length === 1) return { chain: policyChainName(dir, group[0].id) };
    let ids = `${dir}\0${group[0].selector.uniqueId()}`;
    for (const p of group) ids += `\0${p.id}`;
    let name = this.names.get(ids);
    if (!name) this.names.set(ids, (name = groupChainName(dir, group)));
    const key = `${table}/${name}`;
    let c = this.chains.get(key);
    if (!c) this.chains.set(key, (c = groupChain(name, table, dir, group)));
    return { chain: name, group: c };
  }

  /** Forgets every chain but `used` (those the current endpoint plans jump to). */
  retain(used: Iterable<Chain>): void {
    const next = new Map<string, Chain>();
    for (const c of used) next.set(`${c.table}/${c.name}`, c);
    this.chains = next;
    if (this.names.size > 4 * next.size + 1000) this.names.clear();
  }
}
