/**
 * An interface dispatch as Felix's iptables tree (spec §3.4): interface names sorted, their common
 * prefix found, names binned by the next character. A bin of one name is matched in the root
 * chain; a bin of several gets a child chain `<root>-<char>` reached with `-i <prefix><char>+`.
 * Every leaf is `-i|-o <iface> -g <chain>`; the fallback rules end the root and every child. Pure.
 */
import type { Chain, Dispatch, Match, Rule } from '../../calc/policy/ruleset.js';

function commonPrefix(names: readonly string[]): string {
  let p = names[0] ?? '';
  for (const n of names) {
    let i = 0;
    while (i < p.length && i < n.length && p[i] === n[i]) i++;
    p = p.slice(0, i);
  }
  return p;
}

/** The dispatch as plain chains: the root (named like the dispatch) first, then the children. */
export function dispatchChains(d: Dispatch): Chain[] {
  const ifaceMatch = (iface: string): Match => (d.direction === 'in' ? { iif: iface } : { oif: iface });
  const seen = new Set<string>();
  const entries = [...d.entries]
    .sort((a, b) => (a.iface < b.iface ? -1 : a.iface > b.iface ? 1 : 0))
    .filter((e) => !seen.has(e.iface) && seen.add(e.iface));
  const leaf = (e: { iface: string; chain: string }): Rule => ({
    match: ifaceMatch(e.iface),
    action: { type: 'goto', chain: e.chain },
  });

  const prefix = commonPrefix(entries.map((e) => e.iface));
  const bins = new Map<string, typeof entries>();
  for (const e of entries) {
    // A name equal to the common prefix has no next character: it is a bin of its own.
    const key = e.iface.length > prefix.length ? e.iface.slice(0, prefix.length + 1) : e.iface;
    const bin = bins.get(key);
    if (bin) bin.push(e);
    else bins.set(key, [e]);
  }

  const root: Rule[] = [];
  const children: Chain[] = [];
  for (const [key, bin] of bins) {
    if (bin.length === 1) {
      root.push(leaf(bin[0]));
      continue;
    }
    const child = `${d.name}-${key.slice(prefix.length)}`;
    children.push({ name: child, table: d.table, rules: [...bin.map(leaf), ...d.fallback] });
    root.push({ match: ifaceMatch(`${key}+`), action: { type: 'goto', chain: child } });
  }
  return [{ name: d.name, table: d.table, rules: [...root, ...d.fallback] }, ...children];
}
