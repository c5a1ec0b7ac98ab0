import type { SelectorNode } from './ast.js';
import {
  compile,
  getFromLookup,
  getFromMap,
  getFromRecord,
  type LabelLookup,
  type Labels,
  type Matcher,
} from './evaluate.js';
import { labelRestrictionsOf, type LabelRestrictions } from './label-restrictions.js';
import { printNode } from './print.js';
import { makeUniqueId } from './unique-id.js';

/** A parsed selector. Immutable; safe to share and to use as a value (compare with `equals`). */
export interface Selector {
  /**
   * True if the labels match. Accepts a plain object, a Map, or a lookup function (returning
   * undefined for an absent label), e.g. endpoint labels falling back to profile labels.
   */
  evaluate(labels: Labels): boolean;
  /** Calico's canonical form, byte for byte. */
  toString(): string;
  /** `s:` + base64url(SHA-224(`s:` + canonical form)), as Calico computes it. */
  uniqueId(): string;
  /** Same canonical form, hence same unique id. */
  equals(other: Selector): boolean;
  /** Necessary per-label conditions for a match, for index lookups (Calico's LabelRestrictions). */
  labelRestrictions(): LabelRestrictions;
  readonly root: SelectorNode;
}

/** Built only from trees the parser could have produced (see fromAst for checked construction). */
export class ParsedSelector implements Selector {
  private readonly canonical: string;
  private id: string | undefined;
  private restrictions: LabelRestrictions | undefined;
  // Compiled lazily per label representation, so each closure tree stays monomorphic.
  private onRecord: Matcher<Readonly<Record<string, string>>> | undefined;
  private onMap: Matcher<ReadonlyMap<string, string>> | undefined;
  private onLookup: Matcher<LabelLookup> | undefined;

  constructor(readonly root: SelectorNode) {
    this.canonical = printNode(root);
  }

  evaluate(labels: Labels): boolean {
    if (typeof labels === 'function') {
      return (this.onLookup ??= compile(this.root, getFromLookup))(labels);
    }
    if (labels instanceof Map) {
      return (this.onMap ??= compile(this.root, getFromMap))(labels);
    }
    return (this.onRecord ??= compile(this.root, getFromRecord))(labels as Readonly<Record<string, string>>);
  }

  toString(): string {
    return this.canonical;
  }

  uniqueId(): string {
    return (this.id ??= makeUniqueId('s', this.canonical));
  }

  equals(other: Selector): boolean {
    return this.canonical === other.toString();
  }

  labelRestrictions(): LabelRestrictions {
    return (this.restrictions ??= labelRestrictionsOf(this.root));
  }
}
