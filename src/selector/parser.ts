import { ALL_NODE, GLOBAL_NODE, type SelectorNode, type ValueNode } from './ast.js';
import { SelectorParseError } from './errors.js';
import { sortedUnique } from './string-set.js';
import { tokenize, type Token, type TokenKind } from './tokenizer.js';

const VALUE_OPS: Partial<Record<TokenKind, ValueNode['kind']>> = {
  eq: 'eq',
  ne: 'ne',
  contains: 'contains',
  startsWith: 'startsWith',
  endsWith: 'endsWith',
};

function describe(tok: Token, text: string): string {
  if (tok.kind === 'eof') return 'end of selector';
  if (tok.kind === 'string') return JSON.stringify(text[tok.pos] + tok.value + text[tok.pos]);
  // Other tokens: quote their source text (up to the next space is enough to recognise them).
  const m = /^[^ \t]+/.exec(text.slice(tok.pos, tok.pos + 40));
  return JSON.stringify(m ? m[0] : text[tok.pos]);
}

/**
 * Recursive descent over the token list, following Calico's grammar:
 *   or := and ("||" and)*;  and := op ("&&" op)*;  op := "!"* primary.
 * Consecutive "!" collapse by parity; single-operand and/or collapse to the operand; parenthesised
 * groups are kept as their own nodes (never flattened into the enclosing and/or).
 */
class Parser {
  private i = 0;
  constructor(
    private readonly text: string,
    private readonly toks: Token[],
  ) {}

  private fail(tok: Token, reason: string): never {
    throw new SelectorParseError(this.text, tok.pos, reason);
  }

  parseRoot(): SelectorNode {
    if (this.toks[0].kind === 'eof') return ALL_NODE;
    const node = this.parseOr();
    const rest = this.toks[this.i];
    if (rest.kind !== 'eof')
      this.fail(rest, `unexpected content at end of selector: ${describe(rest, this.text)}`);
    return node;
  }

  private parseOr(): SelectorNode {
    const first = this.parseAnd();
    if (this.toks[this.i].kind !== 'or') return first;
    const operands = [first];
    while (this.toks[this.i].kind === 'or') {
      this.i++;
      operands.push(this.parseAnd());
    }
    return { kind: 'or', operands };
  }

  private parseAnd(): SelectorNode {
    const first = this.parseOperation();
    if (this.toks[this.i].kind !== 'and') return first;
    const operands = [first];
    while (this.toks[this.i].kind === 'and') {
      this.i++;
      operands.push(this.parseOperation());
    }
    return { kind: 'and', operands };
  }

  private parseOperation(): SelectorNode {
    const toks = this.toks;
    let negated = false;
    while (toks[this.i].kind === 'not') {
      negated = !negated;
      this.i++;
    }
    const node = this.parsePrimary();
    return negated ? { kind: 'not', operand: node } : node;
  }

  private parsePrimary(): SelectorNode {
    const toks = this.toks;
    const tok = toks[this.i];
    switch (tok.kind) {
      case 'has':
        this.i++;
        return { kind: 'has', label: tok.value };
      case 'all':
        this.i++;
        return ALL_NODE;
      case 'global':
        this.i++;
        return GLOBAL_NODE;
      case 'lparen': {
        this.i++;
        const inner = this.parseOr();
        const close = toks[this.i];
        if (close.kind !== 'rparen') this.fail(close, `expected ), found ${describe(close, this.text)}`);
        this.i++;
        return inner;
      }
      case 'label':
        return this.parseComparison(tok);
      case 'eof':
        return this.fail(tok, 'unexpected end of selector');
      default:
        return this.fail(tok, `unexpected token ${describe(tok, this.text)}`);
    }
  }

  private parseComparison(labelTok: Token): SelectorNode {
    const toks = this.toks;
    const label = labelTok.value;
    const op = toks[this.i + 1];
    const operand = toks[this.i + 2];
    const valueKind = VALUE_OPS[op.kind];
    if (valueKind !== undefined) {
      if (operand.kind !== 'string')
        this.fail(operand, `expected string, found ${describe(operand, this.text)}`);
      this.i += 3;
      return { kind: valueKind, label, value: operand.value };
    }
    if (op.kind === 'in' || op.kind === 'notIn') {
      if (operand.kind !== 'lbrace')
        this.fail(operand, `expected set literal, found ${describe(operand, this.text)}`);
      this.i += 3;
      // Strings separated by commas; a comma may trail before the closing brace.
      const values: string[] = [];
      while (toks[this.i].kind === 'string') {
        values.push(toks[this.i].value);
        this.i++;
        if (toks[this.i].kind !== 'comma') break;
        this.i++;
      }
      const close = toks[this.i];
      if (close.kind !== 'rbrace') this.fail(close, `expected }, found ${describe(close, this.text)}`);
      this.i++;
      return { kind: op.kind, label, values: sortedUnique(values) };
    }
    // Calico: "unexpected end of string looking for op" / "expected == or != not ...".
    return this.fail(
      op,
      `expected operator after label ${JSON.stringify(label)}, found ${describe(op, this.text)}`,
    );
  }
}

/** Parses selector text to its AST; throws SelectorParseError. */
export function parseToAst(text: string): SelectorNode {
  const tokens = tokenize(text);
  try {
    return new Parser(text, tokens).parseRoot();
  } catch (e) {
    // Deeply nested parentheses exhaust the JS stack (Go's grows); report it as a parse error.
    if (e instanceof RangeError) {
      throw new SelectorParseError(text, 0, 'selector is nested too deeply');
    }
    throw e;
  }
}
