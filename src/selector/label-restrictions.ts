import type { SelectorNode } from './ast.js';
import { compareBytewise, sortedUnique } from './string-set.js';

/**
 * A necessary condition on one label for a selector to match (Calico's LabelRestriction). Felix
 * indexes use these to find candidate endpoints without evaluating every selector.
 */
export interface LabelRestriction {
  /** The label must be present, e.g. `has(k)`, `k == 'v'`, `k contains 'v'`. */
  readonly mustBePresent: boolean;
  /** The label must be absent: `!has(k)`. */
  readonly mustBeAbsent: boolean;
  /**
   * If set, the label's value must be one of these (sorted byte-wise). An empty list means no
   * value can satisfy the selector, e.g. `k == 'a' && k == 'b'`. Unset: any value.
   */
  readonly mustHaveOneOfValues?: readonly string[];
}

/** Per-label restrictions; an empty map means the selector restricts no label. */
export type LabelRestrictions = ReadonlyMap<string, LabelRestriction>;

/** False if the restriction can never be met (present and absent, or no allowed value). */
export function possibleToSatisfy(r: LabelRestriction): boolean {
  if (r.mustBePresent && r.mustBeAbsent) return false;
  return r.mustHaveOneOfValues === undefined || r.mustHaveOneOfValues.length > 0;
}

const EMPTY: LabelRestrictions = new Map();

function restriction(present: boolean, absent: boolean, values?: readonly string[]): LabelRestriction {
  return values === undefined
    ? { mustBePresent: present, mustBeAbsent: absent }
    : { mustBePresent: present, mustBeAbsent: absent, mustHaveOneOfValues: values };
}

function intersect(a: readonly string[], b: readonly string[]): string[] {
  const bs = new Set(b);
  return a.filter((v) => bs.has(v));
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return sortedUnique([...a, ...b]);
}

/**
 * Lower bounds only: negations other than `!has()` and `!=`/`not in` restrict nothing, because
 * `!(k == 'v')` also matches endpoints without `k`.
 */
export function labelRestrictionsOf(node: SelectorNode): LabelRestrictions {
  switch (node.kind) {
    case 'eq':
      return new Map([[node.label, restriction(true, false, [node.value])]]);
    case 'in':
      return new Map([[node.label, restriction(true, false, node.values)]]);
    case 'has':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return new Map([[node.label, restriction(true, false)]]);
    case 'not':
      if (node.operand.kind === 'has') return new Map([[node.operand.label, restriction(false, true)]]);
      return EMPTY;
    case 'and': {
      // Every operand must hold: combine flags, intersect value lists.
      const out = new Map<string, LabelRestriction>();
      for (const op of node.operands) {
        for (const [label, r] of labelRestrictionsOf(op)) {
          const base = out.get(label);
          if (base === undefined) {
            out.set(label, r);
            continue;
          }
          let values = base.mustHaveOneOfValues;
          if (values === undefined) values = r.mustHaveOneOfValues;
          else if (r.mustHaveOneOfValues !== undefined) values = intersect(values, r.mustHaveOneOfValues);
          out.set(
            label,
            restriction(base.mustBePresent || r.mustBePresent, base.mustBeAbsent || r.mustBeAbsent, values),
          );
        }
      }
      return out.size === 0 ? EMPTY : out;
    }
    case 'or': {
      // Any operand may hold: keep only what every branch requires, union the value lists.
      const out = new Map(labelRestrictionsOf(node.operands[0]));
      for (let i = 1; i < node.operands.length && out.size > 0; i++) {
        const other = labelRestrictionsOf(node.operands[i]);
        for (const [label, r] of out) {
          const o = other.get(label);
          const present = r.mustBePresent && o !== undefined && o.mustBePresent;
          const absent = r.mustBeAbsent && o !== undefined && o.mustBeAbsent;
          let values: readonly string[] | undefined;
          if (present && r.mustHaveOneOfValues !== undefined && o?.mustHaveOneOfValues !== undefined) {
            values = union(r.mustHaveOneOfValues, o.mustHaveOneOfValues);
          }
          if (present || absent) out.set(label, restriction(present, absent, values));
          else out.delete(label);
        }
      }
      return out.size === 0 ? EMPTY : out;
    }
    case 'ne':
    case 'notIn':
    case 'all':
    case 'global':
      return EMPTY;
  }
}

/** For debugging and tests: a stable, readable rendering. */
export function formatLabelRestrictions(lr: LabelRestrictions): string {
  const parts = [...lr.keys()].sort(compareBytewise).map((k) => {
    const r = lr.get(k) as LabelRestriction;
    const flags = [r.mustBePresent ? 'present' : '', r.mustBeAbsent ? 'absent' : ''].filter(Boolean);
    if (r.mustHaveOneOfValues !== undefined) flags.push(`one of ${JSON.stringify(r.mustHaveOneOfValues)}`);
    return `${k}: ${flags.join(', ')}`;
  });
  return `{${parts.join('; ')}}`;
}
