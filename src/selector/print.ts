import type { SelectorNode } from './ast.js';

const OP_TEXT = {
  eq: ' == ',
  ne: ' != ',
  contains: ' contains ',
  startsWith: ' starts with ',
  endsWith: ' ends with ',
} as const;

/** Double quotes unless the value holds one (a literal can never hold both kinds). */
function quote(v: string): string {
  return v.includes('"') ? `'${v}'` : `"${v}"`;
}

/**
 * Calico's canonical form. It must match Calico byte for byte: the unique id hashes it, and
 * Felix uses it to name ipsets and chains. And/or are always parenthesised; `!` is printed bare
 * before its operand (the operand is a single operation or an already parenthesised group).
 */
export function printNode(node: SelectorNode): string {
  switch (node.kind) {
    case 'all':
      return 'all()';
    case 'global':
      return 'global()';
    case 'has':
      return `has(${node.label})`;
    case 'eq':
    case 'ne':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return node.label + OP_TEXT[node.kind] + quote(node.value);
    case 'in':
    case 'notIn':
      return `${node.label} ${node.kind === 'in' ? 'in' : 'not in'} {${node.values.map(quote).join(', ')}}`;
    case 'not':
      return '!' + printNode(node.operand);
    case 'and':
      return `(${node.operands.map(printNode).join(' && ')})`;
    case 'or':
      return `(${node.operands.map(printNode).join(' || ')})`;
  }
}
