/**
 * Which label holders each active selector matches, kept up to date incrementally (Felix's
 * label index): a changed holder is re-evaluated against the active selectors, a new selector
 * against the holders. Selectors with an equality / `in` restriction only look at the holders
 * that carry one of the required label values.
 */
import type { Selector } from '../../../selector/index.js';

type Labels = Readonly<Record<string, string>>;

interface Entry {
  selector: Selector;
  members: Set<string>;
  /** A label whose value must be one of `values` for a match (the narrowest restriction). */
  key?: string;
  values?: readonly string[];
}

export class SelectorIndex {
  private readonly labels = new Map<string, Labels>();
  private readonly selectors = new Map<string, Entry>();
  /** selector ids per restricted label key, to evaluate only selectors that can match. */
  private readonly restricted = new Map<string, Map<string, Set<string>>>();
  private readonly unrestricted = new Set<string>();
  /** holder → ids of the selectors it matches. */
  private readonly memberOf = new Map<string, Set<string>>();
  /** Selectors whose member list changed since the last `takeDirty`. */
  private dirty = new Set<string>();

  has(id: string): boolean {
    return this.selectors.has(id);
  }

  members(id: string): ReadonlySet<string> {
    return this.selectors.get(id)?.members ?? EMPTY;
  }

  matchesOf(holder: string): ReadonlySet<string> {
    return this.memberOf.get(holder) ?? EMPTY;
  }

  holderKeys(): IterableIterator<string> {
    return this.labels.keys();
  }

  takeDirty(): Set<string> {
    const d = this.dirty;
    this.dirty = new Set();
    return d;
  }

  private join(id: string, holder: string, e: Entry): void {
    e.members.add(holder);
    let s = this.memberOf.get(holder);
    if (!s) this.memberOf.set(holder, (s = new Set()));
    s.add(id);
    this.dirty.add(id);
  }

  private leave(id: string, holder: string, e: Entry): void {
    e.members.delete(holder);
    this.memberOf.get(holder)?.delete(id);
    this.dirty.add(id);
  }

  /** Adds or changes a holder's (effective) labels. */
  setLabels(holder: string, labels: Labels): void {
    this.labels.set(holder, labels);
    const before = this.memberOf.get(holder);
    const now = new Set<string>();
    for (const id of this.unrestricted) {
      if (this.selectors.get(id)!.selector.evaluate(labels)) now.add(id);
    }
    for (const [key, byValue] of this.restricted) {
      const v = labels[key];
      if (typeof v !== 'string' || !Object.hasOwn(labels, key)) continue;
      for (const id of byValue.get(v) ?? EMPTY) {
        if (this.selectors.get(id)!.selector.evaluate(labels)) now.add(id);
      }
    }
    if (before) {
      for (const id of [...before]) if (!now.has(id)) this.leave(id, holder, this.selectors.get(id)!);
    }
    for (const id of now) {
      if (!before?.has(id)) this.join(id, holder, this.selectors.get(id)!);
    }
  }

  removeHolder(holder: string): void {
    if (!this.labels.delete(holder)) return;
    for (const id of [...(this.memberOf.get(holder) ?? [])]) this.leave(id, holder, this.selectors.get(id)!);
    this.memberOf.delete(holder);
  }

  addSelector(id: string, selector: Selector): void {
    if (this.selectors.has(id)) return;
    const e: Entry = { selector, members: new Set() };
    // The restricted label with the fewest allowed values narrows the candidates most.
    for (const [key, r] of selector.labelRestrictions()) {
      if (!r.mustBePresent || !r.mustHaveOneOfValues) continue;
      if (!e.values || r.mustHaveOneOfValues.length < e.values.length) {
        e.key = key;
        e.values = r.mustHaveOneOfValues;
      }
    }
    this.selectors.set(id, e);
    if (e.key !== undefined) {
      let byValue = this.restricted.get(e.key);
      if (!byValue) this.restricted.set(e.key, (byValue = new Map()));
      for (const v of e.values!) {
        let s = byValue.get(v);
        if (!s) byValue.set(v, (s = new Set()));
        s.add(id);
      }
      for (const [holder, labels] of this.labels) {
        const v = labels[e.key];
        if (
          typeof v === 'string' &&
          Object.hasOwn(labels, e.key) &&
          e.values!.includes(v) &&
          selector.evaluate(labels)
        )
          this.join(id, holder, e);
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
    for (const holder of e.members) this.memberOf.get(holder)?.delete(id);
    if (e.key !== undefined) {
      const byValue = this.restricted.get(e.key)!;
      for (const v of e.values!) {
        const s = byValue.get(v);
        s?.delete(id);
        if (s && s.size === 0) byValue.delete(v);
      }
      if (byValue.size === 0) this.restricted.delete(e.key);
    } else {
      this.unrestricted.delete(id);
    }
    this.selectors.delete(id);
    this.dirty.delete(id);
  }
}

const EMPTY: ReadonlySet<string> = new Set();
