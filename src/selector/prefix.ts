import type { SelectorNode } from './ast.js';

/**
 * Calico's PrefixVisitor: prepends `prefix` to every label name (comparisons, has, in, not in).
 * Returns a new tree; untouched subtrees (all(), global()) are shared.
 */
export function prefixNode(node: SelectorNode, prefix: string): SelectorNode {
  switch (node.kind) {
    case 'all':
    case 'global':
      return node;
    case 'has':
    case 'eq':
    case 'ne':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
    case 'in':
    case 'notIn':
      return { ...node, label: prefix + node.label };
    case 'not':
      return { kind: 'not', operand: prefixNode(node.operand, prefix) };
    case 'and':
    case 'or':
      return { kind: node.kind, operands: node.operands.map((n) => prefixNode(n, prefix)) };
  }
}
