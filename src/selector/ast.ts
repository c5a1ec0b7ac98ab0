/**
 * The selector AST. Nodes are plain immutable objects so they can be shared between selectors
 * (prefixLabels rebuilds only what it renames) and inspected by other modules (Felix indexes).
 */

/** `label == value`, `label != value` and the substring operators. */
export interface ValueNode {
  readonly kind: 'eq' | 'ne' | 'contains' | 'startsWith' | 'endsWith';
  readonly label: string;
  readonly value: string;
}

/** `label in {...}` / `label not in {...}`; `values` is sorted byte-wise and free of duplicates. */
export interface SetNode {
  readonly kind: 'in' | 'notIn';
  readonly label: string;
  readonly values: readonly string[];
}

export interface HasNode {
  readonly kind: 'has';
  readonly label: string;
}

export interface AllNode {
  readonly kind: 'all';
}

/** `global()`: true when evaluated; its meaning comes from rewriting (namespaceSelector). */
export interface GlobalNode {
  readonly kind: 'global';
}

export interface NotNode {
  readonly kind: 'not';
  readonly operand: SelectorNode;
}

/** n-ary; the parser only builds these with two or more operands. */
export interface AndNode {
  readonly kind: 'and';
  readonly operands: readonly SelectorNode[];
}

export interface OrNode {
  readonly kind: 'or';
  readonly operands: readonly SelectorNode[];
}

export type LabelNode = ValueNode | SetNode | HasNode;

export type SelectorNode = ValueNode | SetNode | HasNode | AllNode | GlobalNode | NotNode | AndNode | OrNode;

export const ALL_NODE: AllNode = { kind: 'all' };
export const GLOBAL_NODE: GlobalNode = { kind: 'global' };
