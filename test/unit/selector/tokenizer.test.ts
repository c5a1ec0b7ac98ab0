import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SelectorParseError } from '../../../src/selector/index.js';
import { isValidLabel, tokenize } from '../../../src/selector/tokenizer.js';
import { TOKENIZER_VECTORS, type Tok } from './calico-vectors.js';

function simplify(text: string): Tok[] {
  return tokenize(text).map((t) => (t.value === '' && t.kind !== 'string' ? [t.kind] : [t.kind, t.value]));
}

describe('Calico tokenizer vectors', () => {
  for (const [input, expected] of TOKENIZER_VECTORS) {
    const name = input.length > 60 ? `${input.slice(0, 20)}... (${input.length} chars)` : input;
    if (expected === null) {
      it(`rejects ${JSON.stringify(name)}`, () => {
        assert.throws(() => tokenize(input), SelectorParseError);
      });
    } else {
      it(`tokenizes ${JSON.stringify(name)}`, () => {
        assert.deepEqual(simplify(input), expected);
      });
    }
  }
});

describe('tokenizer details', () => {
  it('records token positions', () => {
    assert.deepEqual(
      tokenize(' a == "b" ').map((t) => t.pos),
      [1, 3, 6, 10],
    );
  });

  it('only space and tab are whitespace', () => {
    assert.deepEqual(simplify('\ta\t==\t"b"\t'), [['label', 'a'], ['eq'], ['string', 'b'], ['eof']]);
    assert.throws(() => tokenize('a == "b"\n'), { reason: 'expected identifier', position: 8 });
    assert.throws(() => tokenize('\ra == "b"'), { reason: 'expected identifier', position: 0 });
  });

  it('strings have no escapes and may hold the other quote', () => {
    assert.deepEqual(simplify(`a!='"'`), [['label', 'a'], ['ne'], ['string', '"'], ['eof']]);
    assert.deepEqual(simplify(`a == "\\"`), [['label', 'a'], ['eq'], ['string', '\\'], ['eof']]);
    assert.deepEqual(simplify(`a == ""`), [['label', 'a'], ['eq'], ['string', ''], ['eof']]);
  });

  it('has/all/global need the parenthesis right after the keyword', () => {
    assert.deepEqual(simplify('has == "x"'), [['label', 'has'], ['eq'], ['string', 'x'], ['eof']]);
    assert.deepEqual(simplify('has (x)'), [
      ['label', 'has'],
      ['lparen'],
      ['label', 'x'],
      ['rparen'],
      ['eof'],
    ]);
    assert.throws(() => tokenize('has(a b)'), SelectorParseError);
  });

  it('keyword boundaries', () => {
    assert.deepEqual(simplify('a in{"x"}'), [
      ['label', 'a'],
      ['in'],
      ['lbrace'],
      ['string', 'x'],
      ['rbrace'],
      ['eof'],
    ]);
    assert.deepEqual(simplify('a notin {}'), [['label', 'a'], ['notIn'], ['lbrace'], ['rbrace'], ['eof']]);
    assert.throws(() => tokenize('a containsx "v"'), { reason: 'expected operator after label "a"' });
    // After a string a word is a label again (the parser rejects what follows).
    assert.deepEqual(simplify('a == "b" in'), [
      ['label', 'a'],
      ['eq'],
      ['string', 'b'],
      ['label', 'in'],
      ['eof'],
    ]);
  });

  it('labels: character set and the 512 limit', () => {
    assert.ok(isValidLabel('calico/k8s_NS-.1/role'));
    assert.ok(isValidLabel('a'.repeat(512)));
    assert.ok(!isValidLabel('a'.repeat(513)));
    assert.ok(!isValidLabel(''));
    assert.ok(!isValidLabel('a:b'));
    assert.ok(!isValidLabel('é'));
    assert.throws(
      () => tokenize(`has(${'a'.repeat(513)})`),
      (e: unknown) => {
        assert.ok(e instanceof SelectorParseError);
        assert.match(e.reason, /^label too long/);
        assert.equal(e.position, 4);
        return true;
      },
    );
  });
});
