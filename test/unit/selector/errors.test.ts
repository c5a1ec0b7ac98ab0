import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CalicoError } from '../../../src/errors/index.js';
import { SelectorParseError, parseSelector, validateSelector } from '../../../src/selector/index.js';

function failure(text: string): SelectorParseError {
  try {
    parseSelector(text);
  } catch (e) {
    assert.ok(e instanceof SelectorParseError);
    return e;
  }
  assert.fail(`${JSON.stringify(text)} parsed`);
}

describe('SelectorParseError', () => {
  it('is a CalicoError with code SELECTOR_PARSE and the selector, position, reason', () => {
    const e = failure('a == ');
    assert.ok(e instanceof CalicoError);
    assert.equal(e.code, 'SELECTOR_PARSE');
    assert.equal(e.name, 'SelectorParseError');
    assert.equal(e.selector, 'a == ');
    assert.equal(e.position, 5);
    assert.equal(e.message, 'invalid selector "a == ": expected string, found end of selector at position 5');
  });

  // [selector, position, reason (start of)]
  const cases: [string, number, string][] = [
    ['"FOO', 0, 'unterminated string'],
    [`a == 'FOO`, 5, 'unterminated string'],
    ['a = "b"', 2, 'expected =='],
    ['a == "b" & has(foo)', 9, 'expected &&'],
    ['a == "b" | has(foo)', 9, 'expected ||'],
    ['a b', 2, 'expected operator after label "a"'],
    ['label inf "value"', 6, 'expected operator after label "label"'],
    ['a ', 2, 'expected operator after label "a", found end of selector'],
    ['b', 1, 'expected operator after label "b", found end of selector'],
    ['a )', 2, 'expected operator after label "a", found ")"'],
    ['b == b', 5, 'expected string, found "b"'],
    [`'b1' == b`, 0, 'unexpected token "\'b1\'"'],
    ['foo in ""', 7, 'expected set literal, found "\\"\\""'],
    ['foo in {"", ||', 12, 'expected }, found "||"'],
    ['foo in {"a" "b"}', 12, 'expected }'],
    ['(a == "foo"', 11, 'expected ), found end of selector'],
    ['(', 1, 'unexpected end of selector'],
    ['()', 1, 'unexpected token ")"'],
    [')', 0, 'unexpected token ")"'],
    ['!', 1, 'unexpected end of selector'],
    ['has(foo) &&', 11, 'unexpected end of selector'],
    ['has(foo) has(bar)', 9, 'unexpected content at end of selector'],
    ['a == "b")', 8, 'unexpected content at end of selector'],
    ['%', 0, 'expected identifier'],
    ['a == "b" && %', 12, 'expected identifier'],
    ['has()', 4, 'expected identifier'],
    ['has(foo', 0, "no closing ')' after has("],
    ['all(', 0, "no closing ')' after all("],
    ['global( x)', 0, "no closing ')' after global("],
    [`${'x'.repeat(513)} == "a"`, 0, 'label too long'],
  ];
  for (const [text, position, reason] of cases) {
    it(`${JSON.stringify(text.length > 40 ? text.slice(0, 20) + '...' : text)}: ${reason} at ${position}`, () => {
      const e = failure(text);
      assert.ok(e.reason.startsWith(reason), `reason ${JSON.stringify(e.reason)}`);
      assert.equal(e.position, position);
      assert.ok(e.message.includes(`at position ${position}`));
      assert.throws(() => validateSelector(text), SelectorParseError);
    });
  }

  it('reports absurd nesting as a parse error, not a crash', () => {
    const e = failure('('.repeat(100_000));
    assert.match(e.reason, /nested too deeply/);
  });

  it('accepts reasonable nesting', () => {
    const text = '('.repeat(500) + 'a == "b"' + ')'.repeat(500);
    assert.equal(parseSelector(text).toString(), 'a == "b"');
    const nots = '!('.repeat(300) + 'has(a)' + ')'.repeat(300);
    assert.equal(parseSelector(nots).evaluate({ a: '' }), true);
  });
});
