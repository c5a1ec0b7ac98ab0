/**
 * The policy and profile chains of one family that the endpoint plans jump to, and the sets their
 * rules reference (counted per chain), kept across updates: an update puts or drops only the
 * chains of policies that changed or whose use came or went, instead of walking every use.
 */
import type { Chain } from './ruleset.js';
import type { SetDef } from './parsed-rule.js';

export interface Compiled {
  chain: Chain;
  sets: SetDef[];
}

/** Whose chain: a policy (by ID) or a profile (by name); and the direction's slot (0 ingress). */
export type Owner = 'policy' | 'profile';

export class ChainCollection {
  private readonly entries: Record<Owner, Map<string, [Compiled?, Compiled?]>> = {
    policy: new Map(),
    profile: new Map(),
  };
  private readonly setRefs = new Map<string, { def: SetDef; n: number }>();
  private readonly setDefs = new Map<string, SetDef>();
  private list: Chain[] | undefined;

  /** Makes `c` the chain of `owner`'s `name` in direction `slot`. */
  put(owner: Owner, name: string, slot: 0 | 1, c: Compiled): void {
    let e = this.entries[owner].get(name);
    if (!e) this.entries[owner].set(name, (e = [undefined, undefined]));
    const old = e[slot];
    if (old === c) return;
    // Count the new sets first: a set both use never drops to zero.
    for (const d of c.sets) {
      const r = this.setRefs.get(d.id);
      if (r) r.n++;
      else {
        this.setRefs.set(d.id, { def: d, n: 1 });
        this.setDefs.set(d.id, d);
      }
    }
    if (old) this.release(old);
    e[slot] = c;
    this.list = undefined;
  }

  drop(owner: Owner, name: string, slot: 0 | 1): void {
    const e = this.entries[owner].get(name);
    const old = e?.[slot];
    if (!e || !old) return;
    this.release(old);
    e[slot] = undefined;
    if (!e[0] && !e[1]) this.entries[owner].delete(name);
    this.list = undefined;
  }

  private release(c: Compiled): void {
    for (const d of c.sets) {
      const r = this.setRefs.get(d.id)!;
      if (--r.n === 0) {
        this.setRefs.delete(d.id);
        this.setDefs.delete(d.id);
      }
    }
  }

  /** The chains, unsorted (the same array until something changes). */
  chains(): readonly Chain[] {
    if (!this.list) {
      const list: Chain[] = [];
      for (const m of [this.entries.policy, this.entries.profile])
        for (const [inbound, outbound] of m.values()) {
          if (inbound) list.push(inbound.chain);
          if (outbound) list.push(outbound.chain);
        }
      this.list = list;
    }
    return this.list;
  }

  /** The sets the chains reference, by set ID. */
  sets(): ReadonlyMap<string, SetDef> {
    return this.setDefs;
  }
}
