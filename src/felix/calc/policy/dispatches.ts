/**
 * Felix's dispatch chains as dispatch maps: workload interfaces → `cali-fw-` / `cali-tw-`
 * chains (unknown workload interfaces dropped), host endpoint interfaces → `cali-fh-` / `cali-th-`
 * / forward chains (other interfaces not policed, or the wildcard host endpoint's chains).
 */
import type { Dispatch, Rule, TableName } from './ruleset.js';
import { ANY } from './rule-compile.js';
import type { PolicyConfig } from './input.js';
import type { LocalEndpoint } from './endpoints.js';
import { CHAIN, PREFIX, endpointChainName } from './names.js';
import { wildcards } from './static-chains.js';

function byName(a: Dispatch, b: Dispatch): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.table < b.table ? -1 : a.table > b.table ? 1 : 0;
}

/** `present`: `<table>/<chain>` of every chain of the ruleset (entries only target those). */
export function buildDispatches(
  endpoints: LocalEndpoint[],
  present: Set<string>,
  cfg: PolicyConfig,
): Dispatch[] {
  const unknown: Rule = { match: ANY, action: { type: 'drop' }, comment: 'Unknown interface' };
  const weps = endpoints.filter((e) => e.type === 'wep').sort((a, b) => (a.iface < b.iface ? -1 : 1));
  const heps = endpoints
    .filter((e) => e.type === 'hep' && e.iface !== '*')
    .sort((a, b) => (a.iface < b.iface ? -1 : 1));
  const wildcard = endpoints.some((e) => e.type === 'hep' && e.iface === '*');
  const entries = (eps: LocalEndpoint[], prefix: string, table: TableName) =>
    eps
      .map((e) => ({ iface: e.iface, chain: endpointChainName(prefix, e.iface) }))
      .filter((e) => present.has(`${table}/${e.chain}`));
  const hepFallback = (prefix: string, table: TableName, out: boolean): Rule[] => {
    const chain = endpointChainName(prefix, '*');
    if (!wildcard || !present.has(`${table}/${chain}`)) return [];
    // Traffic to a local workload is never host endpoint egress traffic.
    const skip: Rule[] = out
      ? wildcards(cfg).map((w) => ({ match: { oif: w }, action: { type: 'return' } }))
      : [];
    return [...skip, { match: ANY, action: { type: 'goto', chain } }];
  };
  const out: Dispatch[] = [
    {
      name: CHAIN.fromWlDispatch,
      table: 'filter',
      direction: 'in',
      entries: entries(weps, PREFIX.fromWorkload, 'filter'),
      fallback: [unknown],
    },
    {
      name: CHAIN.toWlDispatch,
      table: 'filter',
      direction: 'out',
      entries: entries(weps, PREFIX.toWorkload, 'filter'),
      fallback: [unknown],
    },
    {
      name: CHAIN.fromHepForward,
      table: 'filter',
      direction: 'in',
      entries: entries(heps, PREFIX.fromHostForward, 'filter'),
      fallback: [],
    },
    {
      name: CHAIN.toHepForward,
      table: 'filter',
      direction: 'out',
      entries: entries(heps, PREFIX.toHostForward, 'filter'),
      fallback: [],
    },
  ];
  const tables: TableName[] = ['filter'];
  if (present.has('raw/cali-PREROUTING')) tables.push('raw');
  if (present.has('mangle/cali-PREROUTING')) tables.push('mangle');
  for (const table of tables) {
    out.push({
      name: CHAIN.fromHostEndpoint,
      table,
      direction: 'in',
      entries: entries(heps, PREFIX.fromHost, table),
      fallback: hepFallback(PREFIX.fromHost, table, false),
    });
    if (table !== 'mangle') {
      out.push({
        name: CHAIN.toHostEndpoint,
        table,
        direction: 'out',
        entries: entries(heps, PREFIX.toHost, table),
        fallback: hepFallback(PREFIX.toHost, table, true),
      });
    }
  }
  return out.sort(byName);
}
