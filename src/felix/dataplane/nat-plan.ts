/**
 * NAT outgoing in nftables: table `ip calico-nat` (all Felix's), with sets `all-pools`,
 * `masq-pools` and `all-hosts` and one srcnat chain. Rules carry `cali:<hash>` comments of their
 * own text, so a changed rule is recognised without comparing nft's JSON expressions. Set members
 * change element by element; anything structural rebuilds the table in one atomic `nft -f`
 * transaction (NAT state lives in conntrack, so existing flows keep their translation). Pure.
 */
import { createHash } from 'node:crypto';
import type { NatOutgoing } from '../calc/routing/index.js';

export const NAT_TABLE = 'calico-nat';
export const NAT_CHAIN = 'postrouting';
export const SET_ALL_POOLS = 'all-pools';
export const SET_MASQ_POOLS = 'masq-pools';
export const SET_ALL_HOSTS = 'all-hosts';
const SETS = [SET_ALL_POOLS, SET_MASQ_POOLS, SET_ALL_HOSTS] as const;
const SRCNAT_PRIORITY = 100;

/** Rule bodies in chain order (without comments). */
export function natRuleBodies(nat: NatOutgoing): string[] {
  const rules: string[] = [];
  if (nat.masqPools.length) {
    let match = `ip saddr @${SET_MASQ_POOLS} ip daddr != @${SET_ALL_POOLS}`;
    if (nat.hostIPs) match += ` ip daddr != @${SET_ALL_HOSTS}`;
    const action = nat.snatAddress ? `snat to ${nat.snatAddress}` : 'masquerade fully-random';
    if (nat.portRange) {
      const [a, b] = nat.portRange;
      const ported = nat.snatAddress
        ? `snat to ${nat.snatAddress}:${a}-${b}`
        : `masquerade to :${a}-${b} fully-random`;
      rules.push(`${match} meta l4proto tcp ${ported}`, `${match} meta l4proto udp ${ported}`);
    }
    rules.push(`${match} ${action}`);
  }
  // Host-sourced traffic into a tunnel must leave with the tunnel address the remote end routes back.
  for (const dev of nat.tunnelDevices) {
    rules.push(`oifname "${dev}" fib saddr . oif type != local fib saddr type local masquerade fully-random`);
  }
  return rules;
}

export function ruleComment(body: string): string {
  return `cali:${createHash('sha256').update(body).digest('base64url').slice(0, 16)}`;
}

function setMembers(nat: NatOutgoing): Record<(typeof SETS)[number], string[]> {
  return {
    [SET_ALL_POOLS]: nat.allPools,
    [SET_MASQ_POOLS]: nat.masqPools,
    [SET_ALL_HOSTS]: nat.hostIPs ?? [],
  };
}

/** The whole table as an nft script. */
export function renderNatTable(nat: NatOutgoing): string {
  const members = setMembers(nat);
  const lines = [`table ip ${NAT_TABLE} {`];
  for (const s of SETS) {
    const elems = members[s].length ? ` elements = { ${members[s].join(', ')} };` : '';
    lines.push(`  set ${s} { type ipv4_addr; flags interval;${elems} }`);
  }
  lines.push(`  chain ${NAT_CHAIN} {`, `    type nat hook postrouting priority srcnat; policy accept;`);
  for (const body of natRuleBodies(nat)) lines.push(`    ${body} comment "${ruleComment(body)}"`);
  lines.push('  }', '}');
  return lines.join('\n') + '\n';
}

export interface KernelNatTable {
  sets: Map<string, { type?: string; interval: boolean; elements: string[] }>;
  chains: Map<string, { type?: string; hook?: string; prio?: number; policy?: string }>;
  /** Rule comments of the postrouting chain, in order. */
  ruleComments: string[];
}

type NftElem = string | { prefix?: { addr?: string; len?: number }; range?: [string, string] };

function elemText(e: NftElem): string | undefined {
  if (typeof e === 'string') return e.includes('/') ? e : `${e}/32`;
  if (e.prefix?.addr !== undefined) return `${e.prefix.addr}/${e.prefix.len}`;
  if (e.range) return `${e.range[0]}-${e.range[1]}`;
  return undefined;
}

interface NftObject {
  set?: { name?: string; type?: string; flags?: string[]; elem?: NftElem[] };
  chain?: { name?: string; type?: string; hook?: string; prio?: number; policy?: string };
  rule?: { chain?: string; comment?: string };
}

/** Parses `nft -j list table ip calico-nat`. */
export function parseNatTable(json: unknown): KernelNatTable {
  const t: KernelNatTable = { sets: new Map(), chains: new Map(), ruleComments: [] };
  const items = (json as { nftables?: NftObject[] } | undefined)?.nftables ?? [];
  for (const o of items) {
    if (o.set?.name) {
      t.sets.set(o.set.name, {
        type: o.set.type,
        interval: (o.set.flags ?? []).includes('interval'),
        elements: (o.set.elem ?? []).map(elemText).filter((x): x is string => x !== undefined),
      });
    } else if (o.chain?.name) {
      const { type, hook, prio, policy } = o.chain;
      t.chains.set(o.chain.name, { type, hook, prio, policy });
    } else if (o.rule && o.rule.chain === NAT_CHAIN) {
      t.ruleComments.push(o.rule.comment ?? '');
    }
  }
  return t;
}

/** Why the kernel's table cannot be patched element by element (undefined: it can). */
export function natStructureProblem(nat: NatOutgoing, k: KernelNatTable): string | undefined {
  if ([...k.sets.keys()].sort().join() !== [...SETS].sort().join()) return 'its sets differ';
  for (const [name, s] of k.sets) {
    if (s.type !== 'ipv4_addr' || !s.interval) return `set ${name} has the wrong type`;
  }
  const chain = k.chains.get(NAT_CHAIN);
  if (k.chains.size !== 1 || !chain) return 'its chains differ';
  if (
    chain.type !== 'nat' ||
    chain.hook !== 'postrouting' ||
    chain.prio !== SRCNAT_PRIORITY ||
    chain.policy !== 'accept'
  )
    return `chain ${NAT_CHAIN} has the wrong hook`;
  const want = natRuleBodies(nat).map(ruleComment);
  if (want.join() !== k.ruleComments.join()) return `chain ${NAT_CHAIN} has other rules`;
  return undefined;
}

/** The nft script that makes the kernel's table (undefined = absent) what `nat` says; undefined when nothing to do. */
export function planNat(nat: NatOutgoing | undefined, k: KernelNatTable | undefined): string | undefined {
  if (!nat) return k ? `delete table ip ${NAT_TABLE}\n` : undefined;
  if (!k || natStructureProblem(nat, k)) {
    // add+delete first so the script works whether or not the table exists; one transaction.
    return `add table ip ${NAT_TABLE}\ndelete table ip ${NAT_TABLE}\n${renderNatTable(nat)}`;
  }
  const members = setMembers(nat);
  const lines: string[] = [];
  for (const s of SETS) {
    const have = new Set(k.sets.get(s)?.elements ?? []);
    const want = new Set(members[s]);
    const del = [...have].filter((e) => !want.has(e));
    const add = [...want].filter((e) => !have.has(e));
    if (del.length) lines.push(`delete element ip ${NAT_TABLE} ${s} { ${del.join(', ')} }`);
    if (add.length) lines.push(`add element ip ${NAT_TABLE} ${s} { ${add.join(', ')} }`);
  }
  return lines.length ? lines.join('\n') + '\n' : undefined;
}
