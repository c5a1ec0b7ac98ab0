/**
 * The ipset side of a reconcile (spec §3.9): one `ipset restore` before the iptables
 * transactions (new sets, member adds and deletes; a set whose maxelem differs is rebuilt under
 * a temporary name and swapped in, so rules referencing it never see it empty), and the sets no
 * longer wanted, destroyed only after iptables stopped referencing them. Pure.
 */
import { createLine, isOurIpset, type IpsetState } from './ipset-render.js';

export interface IpsetPlan {
  /** `ipset restore` lines, run before iptables. */
  update: string[];
  /** Our sets to destroy after iptables (if nothing references them any more). */
  destroy: string[];
}

function tempName(family: 'inet' | 'inet6', taken: (n: string) => boolean): string {
  const base = family === 'inet' ? 'cali4t' : 'cali6t';
  for (let i = 0; ; i++) if (!taken(`${base}${i}`)) return `${base}${i}`;
}

export function planIpsets(want: IpsetState, kernel: IpsetState): IpsetPlan {
  const update: string[] = [];
  const usedTemps = new Set<string>();
  const taken = (n: string): boolean => kernel.has(n) || want.has(n) || usedTemps.has(n);
  for (const [name, w] of want) {
    const k = kernel.get(name);
    if (!k) {
      update.push(createLine(w));
      for (const m of w.members) update.push(`add ${name} ${m}`);
    } else if (k.type !== w.type || k.family !== w.family) {
      // Sets of another type cannot be swapped: only an unreferenced set can be replaced (a set
      // name carries its type in Felix's naming, so this is a leftover of something else).
      update.push(`destroy ${name}`, createLine(w));
      for (const m of w.members) update.push(`add ${name} ${m}`);
    } else if (k.maxelem !== w.maxelem) {
      const tmp = tempName(w.family, taken);
      usedTemps.add(tmp);
      update.push(createLine(w, tmp));
      for (const m of w.members) update.push(`add ${tmp} ${m}`);
      update.push(`swap ${name} ${tmp}`, `destroy ${tmp}`);
    } else {
      const have = new Set(k.members);
      const keep = new Set(w.members);
      for (const m of k.members) if (!keep.has(m)) update.push(`del ${name} ${m}`);
      for (const m of w.members) if (!have.has(m)) update.push(`add ${name} ${m}`);
    }
  }
  const destroy = [...kernel.keys()].filter((n) => !want.has(n) && isOurIpset(n)).sort();
  return { update, destroy };
}
