import { SelectorParseError } from './errors.js';

/** Longest label name Calico accepts inside a selector. */
export const MAX_LABEL_LENGTH = 512;

export type TokenKind =
  | 'label'
  | 'string'
  | 'lbrace'
  | 'rbrace'
  | 'comma'
  | 'eq'
  | 'ne'
  | 'in'
  | 'not'
  | 'notIn'
  | 'contains'
  | 'startsWith'
  | 'endsWith'
  | 'all'
  | 'has'
  | 'lparen'
  | 'rparen'
  | 'and'
  | 'or'
  | 'global'
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Label name (label, has) or literal content (string); '' otherwise. */
  readonly value: string;
  /** Offset of the token's first character in the input. */
  readonly pos: number;
}

const SPACE = 0x20;
const TAB = 0x09;

/** Label-name characters: a-z A-Z 0-9 _ . / - (ASCII only). */
export function isLabelChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x5f || // _
    c === 0x2e || // .
    c === 0x2f || // /
    c === 0x2d // -
  );
}

/** True if `s` is a label name that can appear in a selector as is. */
export function isValidLabel(s: string): boolean {
  if (s.length === 0 || s.length > MAX_LABEL_LENGTH) return false;
  for (let i = 0; i < s.length; i++) if (!isLabelChar(s.charCodeAt(i))) return false;
  return true;
}

/** Only space and tab separate tokens (newlines are not whitespace to Calico's tokenizer). */
function skipSpace(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== SPACE && c !== TAB) break;
    i++;
  }
  return i;
}

/** End of input or a non-label character: a keyword must not run into a label. */
function atWordBoundary(s: string, i: number): boolean {
  return i >= s.length || !isLabelChar(s.charCodeAt(i));
}

/**
 * Matches words separated by optional whitespace ("not in", "notin", "starts  with") at `i`.
 * Like Calico, whitespace after the last word is consumed and only then is the boundary checked.
 * Returns the end offset, or -1.
 */
function matchWords(s: string, i: number, words: readonly string[]): number {
  let j = i;
  for (const w of words) {
    if (!s.startsWith(w, j)) return -1;
    j = skipSpace(s, j + w.length);
  }
  return atWordBoundary(s, j) ? j : -1;
}

function matchKeyword(s: string, i: number, word: string): number {
  return s.startsWith(word, i) && atWordBoundary(s, i + word.length) ? i + word.length : -1;
}

const OPERATOR_WORDS: readonly (readonly [TokenKind, readonly string[]])[] = [
  ['contains', ['contains']],
  ['startsWith', ['starts', 'with']],
  ['endsWith', ['ends', 'with']],
  ['notIn', ['not', 'in']],
];

/** Splits a selector into tokens; the list always ends with an 'eof' token. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const fail = (pos: number, reason: string, hint?: string): never => {
    throw new SelectorParseError(text, pos, reason, hint);
  };
  const readLabel = (start: number): number => {
    let j = start;
    while (j < text.length && isLabelChar(text.charCodeAt(j))) j++;
    if (j === start) fail(start, 'expected identifier');
    if (j - start > MAX_LABEL_LENGTH) {
      fail(start, `label too long (${j - start} characters, at most ${MAX_LABEL_LENGTH} allowed)`);
    }
    return j;
  };
  // `has(`, `all(` and `global(` are literal prefixes: no space before the parenthesis.
  const closeParen = (start: number, from: number, what: string): number => {
    const j = skipSpace(text, from);
    if (text.charCodeAt(j) !== 0x29) fail(start, `no closing ')' after ${what}(`);
    return j + 1;
  };

  let i = 0;
  for (;;) {
    i = skipSpace(text, i);
    const start = i;
    if (i >= text.length) {
      tokens.push({ kind: 'eof', value: '', pos: i });
      return tokens;
    }
    const push = (kind: TokenKind, end: number, value = ''): void => {
      tokens.push({ kind, value, pos: start });
      i = end;
    };
    const ch = text[i];
    switch (ch) {
      case '(':
        push('lparen', i + 1);
        break;
      case ')':
        push('rparen', i + 1);
        break;
      case '{':
        push('lbrace', i + 1);
        break;
      case '}':
        push('rbrace', i + 1);
        break;
      case ',':
        push('comma', i + 1);
        break;
      case '"':
      case "'": {
        // No escapes: the literal runs to the next quote of the same kind.
        const close = text.indexOf(ch, i + 1);
        if (close < 0) fail(start, 'unterminated string');
        push('string', close + 1, text.slice(i + 1, close));
        break;
      }
      case '=':
        if (text.charCodeAt(i + 1) !== 0x3d) fail(start, 'expected ==', 'compare a label with "==", not "="');
        push('eq', i + 2);
        break;
      case '!':
        if (text.charCodeAt(i + 1) === 0x3d) push('ne', i + 2);
        else push('not', i + 1);
        break;
      case '&':
        if (text.charCodeAt(i + 1) !== 0x26) fail(start, 'expected &&');
        push('and', i + 2);
        break;
      case '|':
        if (text.charCodeAt(i + 1) !== 0x7c) fail(start, 'expected ||');
        push('or', i + 2);
        break;
      default: {
        const prev = tokens.length > 0 ? tokens[tokens.length - 1] : undefined;
        if (prev?.kind === 'label') {
          // Keywords are contextual: right after a label only an operator may follow.
          let end = -1;
          for (const [kind, words] of OPERATOR_WORDS) {
            end = matchWords(text, i, words);
            if (end >= 0) {
              push(kind, end);
              break;
            }
          }
          if (end < 0) {
            end = matchKeyword(text, i, 'in');
            if (end < 0) fail(start, `expected operator after label ${JSON.stringify(prev.value)}`);
            push('in', end);
          }
        } else if (text.startsWith('has(', i)) {
          const labelStart = skipSpace(text, i + 4);
          const labelEnd = readLabel(labelStart);
          push('has', closeParen(start, labelEnd, 'has'), text.slice(labelStart, labelEnd));
        } else if (text.startsWith('all(', i)) {
          push('all', closeParen(start, i + 4, 'all'));
        } else if (text.startsWith('global(', i)) {
          push('global', closeParen(start, i + 7, 'global'));
        } else {
          const end = readLabel(i);
          push('label', end, text.slice(i, end));
        }
      }
    }
  }
}
