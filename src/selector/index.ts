/**
 * Calico's selector language: parse, evaluate, canonical form, unique id, label restrictions.
 * Pure; no I/O.
 */
import type { SelectorNode } from './ast.js';
import { prefixNode } from './prefix.js';
import { checkPrefix, normaliseTree } from './from-ast.js';
import { parseToAst } from './parser.js';
import { ParsedSelector, type Selector } from './selector.js';

export type {
  AllNode,
  AndNode,
  GlobalNode,
  HasNode,
  LabelNode,
  NotNode,
  OrNode,
  SelectorNode,
  SetNode,
  ValueNode,
} from './ast.js';
export { SelectorParseError } from './errors.js';
export type { LabelLookup, Labels } from './evaluate.js';
export {
  formatLabelRestrictions,
  possibleToSatisfy,
  type LabelRestriction,
  type LabelRestrictions,
} from './label-restrictions.js';
export type { Selector } from './selector.js';
export { MAX_LABEL_LENGTH, isValidLabel } from './tokenizer.js';
export { makeUniqueId } from './unique-id.js';

/** Parses a selector; the empty (or blank) selector is `all()`. Throws SelectorParseError. */
export function parseSelector(text: string): Selector {
  return new ParsedSelector(parseToAst(text));
}

/** Throws SelectorParseError if `text` is not a valid selector. */
export function validateSelector(text: string): void {
  parseToAst(text);
}

// Go's strings.TrimSpace (unicode.IsSpace), which differs slightly from String.prototype.trim.
const GO_SPACE =
  /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** Calico's Normalise: the canonical form, or the trimmed input if it does not parse. */
export function normaliseSelector(text: string): string {
  const trimmed = text.replace(GO_SPACE, '');
  try {
    return parseSelector(trimmed).toString();
  } catch {
    return trimmed;
  }
}

/**
 * Builds a selector from a tree (e.g. one built in code rather than by string concatenation).
 * Sets are sorted and de-duplicated, single-operand and/or collapse; invalid labels or values
 * throw CalicoError('SELECTOR_PARSE').
 */
export function selectorFromAst(root: SelectorNode): Selector {
  return new ParsedSelector(normaliseTree(root));
}

/**
 * Calico's PrefixVisitor: a copy of `sel` with `prefix` prepended to every label name, used to
 * turn namespace/service-account selectors into `pcns.`/`pcsa.` profile-label selectors.
 */
export function prefixLabels(sel: Selector, prefix: string): Selector {
  checkPrefix(prefix);
  return new ParsedSelector(prefixNode(sel.root, prefix));
}

/** Matches everything: `all()`. */
export const ALL: Selector = parseSelector('all()');
/** Matches nothing: `!all()`. */
export const NO_MATCH: Selector = parseSelector('!all()');
