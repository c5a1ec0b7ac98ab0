/**
 * Which label holders each active selector matches, kept up to date incrementally (Felix's
 * label index): a changed holder is re-evaluated against the active selectors, a new selector
 * against the holders. Both sides use the selectors' label restrictions: a selector that needs
 * `k` to be one of some values is only evaluated against holders carrying such a `k=v`.
 */
import type { Selector } from '../../../selector/index.js';

type Labels = Readonly<Record<string, string>>;

interface Entry {
  selector: Selector;
  members: Set<string>;
  /** A label whose value must be one of `values` for a match; absent: evaluated on every holder. */
  key?: string;
  values?: readonly string[];
}

const EMPTY: ReadonlySet<string> = new Set();

function add<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

/**
 * Sets by label key, then value: nested maps rather than `key\0value` strings, which would be
 * built and hashed on every lookup.
 */
class ByLabel {
  private readonly m = new Map<string, Map<string, Set<string>>>();

  get(k: string, v: string): ReadonlySet<string> | undefined {
    return this.m.get(k)?.get(v);
  }

  add(k: string, v: string, x: string): void {
    let byValue = this.m.get(k);
    if (!byValue) this.m.set(k, (byValue = new Map()));
    add(byValue, v, x);
  }

  remove(k: string, v: string, x: string): void {
    const byValue = this.m.get(k);
    const s = byValue?.get(v);
    if (!s) return;
    s.delete(x);
    if (s.size > 0) return;
    byValue!.delete(v);
    if (byValue!.size === 0) this.m.delete(k);
  }
}

export class SelectorIndex {
  private readonly labels = new Map<string, Labels>();
  /** Holders by label key and value. */
  private readonly holdersByLabel = new ByLabel();
  private readonly selectors = new Map<string, Entry>();
  /** Restricted selectors by the label key and value they need. */
  private readonly selectorsByLabel = new ByLabel();
  private readonly unrestricted = new Set<string>();
  /** holder → ids of the selectors it matches. */
  private readonly memberOf = new Map<string, Set<string>>();
  private dirty = new Set<string>();
  private dirtyHolders = new Set<string>();

  has(id: string): boolean {
    return this.selectors.has(id);
  }

  members(id: string): ReadonlySet<string> {
    return this.selectors.get(id)?.members ?? EMPTY;
  }

  matchesOf(holder: string): ReadonlySet<string> {
    return this.memberOf.get(holder) ?? EMPTY;
  }

  /** Selectors whose members changed since the last call. */
  takeDirty(): Set<string> {
    const d = this.dirty;
    this.dirty = new Set();
    return d;
  }

  /** Holders whose matches changed since the last call. */
  takeDirtyHolders(): Set<string> {
    const d = this.dirtyHolders;
    this.dirtyHolders = new Set();
    return d;
  }

  private join(id: string, holder: string, e: Entry): void {
    e.members.add(holder);
    add(this.memberOf, holder, id);
    this.dirty.add(id);
    this.dirtyHolders.add(holder);
  }

  private leave(id: string, holder: string, e: Entry): void {
    e.members.delete(holder);
    this.memberOf.get(holder)?.delete(id);
    this.dirty.add(id);
    this.dirtyHolders.add(holder);
  }

  private indexLabels(holder: string, labels: Labels | undefined, on: boolean): void {
    if (!labels) return;
    for (const k of Object.keys(labels)) {
      if (on) this.holdersByLabel.add(k, labels[k], holder);
      else this.holdersByLabel.remove(k, labels[k], holder);
    }
  }

  /** Adds or changes a holder's (effective) labels. */
  setLabels(holder: string, labels: Labels): void {
    this.indexLabels(holder, this.labels.get(holder), false);
    this.labels.set(holder, labels);
    this.indexLabels(holder, labels, true);
    const now = new Set<string>();
    for (const id of this.unrestricted) if (this.selectors.get(id)!.selector.evaluate(labels)) now.add(id);
    for (const k of Object.keys(labels)) {
      const ids = this.selectorsByLabel.get(k, labels[k]);
      if (!ids) continue;
      for (const id of ids)
        if (!now.has(id) && this.selectors.get(id)!.selector.evaluate(labels)) now.add(id);
    }
    const before = this.memberOf.get(holder);
    if (before)
      for (const id of [...before]) if (!now.has(id)) this.leave(id, holder, this.selectors.get(id)!);
    for (const id of now) if (!before?.has(id)) this.join(id, holder, this.selectors.get(id)!);
  }

  removeHolder(holder: string): void {
    const labels = this.labels.get(holder);
    if (!labels) return;
    this.indexLabels(holder, labels, false);
    this.labels.delete(holder);
    for (const id of [...(this.memberOf.get(holder) ?? [])]) this.leave(id, holder, this.selectors.get(id)!);
    this.memberOf.delete(holder);
    this.dirtyHolders.add(holder);
  }

  addSelector(id: string, selector: Selector): void {
    if (this.selectors.has(id)) return;
    const e: Entry = { selector, members: new Set() };
    // Pick the restricted label with the fewest candidate holders.
    let best = Infinity;
    for (const [key, r] of selector.labelRestrictions()) {
      if (!r.mustBePresent || !r.mustHaveOneOfValues) continue;
      let n = 0;
      for (const v of r.mustHaveOneOfValues) n += this.holdersByLabel.get(key, v)?.size ?? 0;
      if (n < best) {
        best = n;
        e.key = key;
        e.values = r.mustHaveOneOfValues;
      }
    }
    this.selectors.set(id, e);
    if (e.key !== undefined) {
      for (const v of e.values!) {
        this.selectorsByLabel.add(e.key, v, id);
        for (const holder of this.holdersByLabel.get(e.key, v) ?? EMPTY) {
          if (selector.evaluate(this.labels.get(holder)!)) this.join(id, holder, e);
        }
      }
    } else {
      this.unrestricted.add(id);
      for (const [holder, labels] of this.labels) if (selector.evaluate(labels)) this.join(id, holder, e);
    }
    this.dirty.add(id);
  }

  removeSelector(id: string): void {
    const e = this.selectors.get(id);
    if (!e) return;
    for (const holder of e.members) {
      this.memberOf.get(holder)?.delete(id);
      this.dirtyHolders.add(holder);
    }
    if (e.key !== undefined) for (const v of e.values!) this.selectorsByLabel.remove(e.key, v, id);
    else this.unrestricted.delete(id);
    this.selectors.delete(id);
    this.dirty.delete(id);
  }
}
