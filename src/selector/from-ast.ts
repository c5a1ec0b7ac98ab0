import { CalicoError } from '../errors/index.js';
import type { SelectorNode } from './ast.js';
import { sortedUnique } from './string-set.js';
import { isLabelChar, isValidLabel } from './tokenizer.js';

function invalid(reason: string): never {
  throw new CalicoError('SELECTOR_PARSE', `invalid selector tree: ${reason}`);
}

function checkLabel(label: string): void {
  if (!isValidLabel(label)) invalid(`${JSON.stringify(label)} is not a valid label name`);
}

function checkValue(value: string): void {
  // No escapes in selector strings: a value can hold one kind of quote, not both.
  if (value.includes('"') && value.includes("'")) {
    invalid(`value ${JSON.stringify(value)} contains both quote characters and cannot be written`);
  }
}

/**
 * Checks a hand-built tree and brings it to the shape the parser produces for its printed form:
 * set values sorted and de-duplicated, single-operand and/or replaced by the operand. Throws
 * CalicoError('SELECTOR_PARSE') for trees that cannot be printed as a valid selector.
 * (`!` of `!` is kept: Calico prints it as `!!x`, which the parser reads back as `x`.)
 */
export function normaliseTree(node: SelectorNode): SelectorNode {
  switch (node.kind) {
    case 'all':
    case 'global':
      return node;
    case 'has':
      checkLabel(node.label);
      return node;
    case 'eq':
    case 'ne':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      checkLabel(node.label);
      checkValue(node.value);
      return node;
    case 'in':
    case 'notIn':
      checkLabel(node.label);
      node.values.forEach(checkValue);
      return { kind: node.kind, label: node.label, values: sortedUnique(node.values) };
    case 'not':
      return { kind: 'not', operand: normaliseTree(node.operand) };
    case 'and':
    case 'or': {
      if (node.operands.length === 0) invalid(`empty ${node.kind}`);
      const operands = node.operands.map(normaliseTree);
      return operands.length === 1 ? operands[0] : { kind: node.kind, operands };
    }
  }
}

/** Label prefixes must be made of label characters so the prefixed selector still parses. */
export function checkPrefix(prefix: string): void {
  for (let i = 0; i < prefix.length; i++) {
    if (!isLabelChar(prefix.charCodeAt(i)))
      invalid(`label prefix ${JSON.stringify(prefix)} has invalid characters`);
  }
}
