import type { SelectorNode } from './ast.js';

/** Looks a label up; undefined means absent. Lets callers layer profile labels under endpoint labels. */
export type LabelLookup = (key: string) => string | undefined;

/** What a selector can be evaluated against. */
export type Labels = Readonly<Record<string, string>> | ReadonlyMap<string, string> | LabelLookup;

export type Matcher<L> = (labels: L) => boolean;

/**
 * Returns the label's value, or something that is not a string when absent. Leaves compare with
 * `===` or `Set.has` (which a non-string never satisfies) and use `typeof` where presence alone
 * matters, so inherited object properties such as `toString` never count as labels.
 */
type Getter<L> = (labels: L, key: string) => unknown;

export const getFromRecord: Getter<Readonly<Record<string, string>>> = (l, k) => l[k];
export const getFromMap: Getter<ReadonlyMap<string, string>> = (l, k) => l.get(k);
export const getFromLookup: Getter<LabelLookup> = (l, k) => l(k);

/**
 * Compiles the AST to a tree of closures: no allocation and no dispatch on node kind per call,
 * which matters because Felix evaluates every selector against every endpoint.
 */
export function compile<L>(node: SelectorNode, get: Getter<L>): Matcher<L> {
  switch (node.kind) {
    case 'all':
    case 'global':
      return () => true;
    case 'has': {
      const k = node.label;
      return (l) => typeof get(l, k) === 'string';
    }
    case 'eq': {
      const k = node.label;
      const v = node.value;
      return (l) => get(l, k) === v;
    }
    case 'ne': {
      // Absent label: true (Calico's `!=` is the negation of `==`).
      const k = node.label;
      const v = node.value;
      return (l) => get(l, k) !== v;
    }
    case 'contains': {
      const k = node.label;
      const v = node.value;
      return (l) => {
        const x = get(l, k);
        return typeof x === 'string' && x.includes(v);
      };
    }
    case 'startsWith': {
      const k = node.label;
      const v = node.value;
      return (l) => {
        const x = get(l, k);
        return typeof x === 'string' && x.startsWith(v);
      };
    }
    case 'endsWith': {
      const k = node.label;
      const v = node.value;
      return (l) => {
        const x = get(l, k);
        return typeof x === 'string' && x.endsWith(v);
      };
    }
    case 'in': {
      const k = node.label;
      const set = new Set<unknown>(node.values);
      return (l) => set.has(get(l, k));
    }
    case 'notIn': {
      // Absent label: true.
      const k = node.label;
      const set = new Set<unknown>(node.values);
      return (l) => !set.has(get(l, k));
    }
    case 'not': {
      const inner = compile(node.operand, get);
      return (l) => !inner(l);
    }
    case 'and': {
      const ops = node.operands.map((n) => compile(n, get));
      if (ops.length === 2) {
        const [a, b] = ops;
        return (l) => a(l) && b(l);
      }
      return (l) => {
        for (let i = 0; i < ops.length; i++) if (!ops[i](l)) return false;
        return true;
      };
    }
    case 'or': {
      const ops = node.operands.map((n) => compile(n, get));
      if (ops.length === 2) {
        const [a, b] = ops;
        return (l) => a(l) || b(l);
      }
      return (l) => {
        for (let i = 0; i < ops.length; i++) if (ops[i](l)) return true;
        return false;
      };
    }
  }
}
