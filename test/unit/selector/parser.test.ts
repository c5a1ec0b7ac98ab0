import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  ALL,
  NO_MATCH,
  SelectorParseError,
  normaliseSelector,
  parseSelector,
  prefixLabels,
  validateSelector,
} from '../../../src/selector/index.js';
import {
  BAD_SELECTORS,
  CANONICAL_VECTORS,
  MATCH_VECTORS,
  PREFIX_VECTORS,
  VALIDATOR_VECTORS,
} from './calico-vectors.js';

describe('Calico match vectors', () => {
  for (const [text, matches, nonMatches] of MATCH_VECTORS) {
    it(`${JSON.stringify(text)} matches ${JSON.stringify(matches)}, not ${JSON.stringify(nonMatches)}`, () => {
      const sel = parseSelector(text);
      validateSelector(text);
      // Calico re-checks every case on the re-parsed canonical form.
      const reparsed = parseSelector(sel.toString());
      assert.equal(reparsed.toString(), sel.toString());
      for (const labels of matches) {
        assert.equal(sel.evaluate(labels), true, `should match ${JSON.stringify(labels)}`);
        assert.equal(
          reparsed.evaluate(labels),
          true,
          `canonical form should match ${JSON.stringify(labels)}`,
        );
      }
      for (const labels of nonMatches) {
        assert.equal(sel.evaluate(labels), false, `should not match ${JSON.stringify(labels)}`);
        assert.equal(
          reparsed.evaluate(labels),
          false,
          `canonical form should not match ${JSON.stringify(labels)}`,
        );
      }
      assert.equal(sel.uniqueId(), sel.uniqueId());
    });
  }
});

describe('Calico rejected selectors', () => {
  for (const text of BAD_SELECTORS) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseSelector(text), SelectorParseError);
      assert.throws(() => validateSelector(text), SelectorParseError);
    });
  }
});

describe('Calico canonical forms and unique ids', () => {
  for (const [input, canonical, uid] of CANONICAL_VECTORS) {
    it(`${JSON.stringify(input)} -> ${canonical}`, () => {
      const sel = parseSelector(input);
      assert.equal(sel.toString(), canonical);
      assert.equal(String(sel), canonical);
      const again = parseSelector(canonical);
      assert.equal(again.toString(), canonical);
      assert.equal(again.uniqueId(), sel.uniqueId());
      assert.ok(sel.equals(again));
      assert.match(sel.uniqueId(), /^s:[A-Za-z0-9_-]{38}$/);
      if (uid !== '') assert.equal(sel.uniqueId(), uid);
    });
  }
});

describe('Calico PrefixVisitor vectors', () => {
  for (const [input, output] of PREFIX_VECTORS) {
    it(`${input} -> ${output}`, () => {
      validateSelector(input);
      const sel = parseSelector(input);
      const prefixed = prefixLabels(sel, 'visited/');
      assert.equal(prefixed.toString(), output);
      assert.equal(parseSelector(output).uniqueId(), prefixed.uniqueId());
      // The original is untouched.
      assert.equal(sel.toString(), parseSelector(input).toString());
    });
  }

  it('prefixed selectors evaluate on prefixed labels', () => {
    const sel = prefixLabels(parseSelector(`team == 'x' && has(tier)`), 'pcns.');
    assert.equal(sel.evaluate({ 'pcns.team': 'x', 'pcns.tier': '' }), true);
    assert.equal(sel.evaluate({ team: 'x', tier: '' }), false);
  });

  it('rejects a prefix that would not parse', () => {
    assert.throws(() => prefixLabels(ALL, 'bad prefix:'), { code: 'SELECTOR_PARSE' });
  });
});

describe('Calico validator selector vectors', () => {
  for (const [text, valid] of VALIDATOR_VECTORS) {
    it(`${JSON.stringify(text)} is ${valid ? 'valid' : 'invalid'}`, () => {
      if (valid) validateSelector(text);
      else assert.throws(() => validateSelector(text), SelectorParseError);
    });
  }
});

describe('spec vectors', () => {
  it('canonical forms from the spec', () => {
    const cases: [string, string][] = [
      [`a == 'a'`, 'a == "a"'],
      [`!(k == 'v')`, '!k == "v"'],
      [`k == 'v' && x == 'y'`, '(k == "v" && x == "y")'],
      [`a == 'b' && (c == 'd' || e == 'f') && g == 'h'`, '(a == "b" && (c == "d" || e == "f") && g == "h")'],
      ['(a == "b" && c == "d") && e == "f"', '((a == "b" && c == "d") && e == "f")'],
      ['a == "b" || c == "d" || e == "f"', '(a == "b" || c == "d" || e == "f")'],
      ['a == "b" && c == "d" || e == "f"', '((a == "b" && c == "d") || e == "f")'],
      ['a in {}', 'a in {}'],
      ['a not in {"x",}', 'a not in {"x"}'],
      [`a in {'"', "'"}`, `a in {'"', "'"}`],
      ['(all())', 'all()'],
      ['((has(a)))', 'has(a)'],
      ['!!(has(a))', 'has(a)'],
      ['all() && global()', '(all() && global())'],
      ['\tall()\t', 'all()'],
      ['a\tnot\tin\t{"x"}', 'a not in {"x"}'],
      ['a   starts   with "x"', 'a starts with "x"'],
      ['has  ==  "x"', 'has == "x"'],
      ['all == "x" && global != "y"', '(all == "x" && global != "y")'],
      ['in in {"in"}', 'in in {"in"}'],
      ['not not in {"not"}', 'not not in {"not"}'],
      [`a == ""`, 'a == ""'],
      [`a == 'x y  z'`, 'a == "x y  z"'],
      ['a == "\u00e9\u{1f600}"', 'a == "\u00e9\u{1f600}"'],
    ];
    for (const [input, canonical] of cases) {
      const sel = parseSelector(input);
      assert.equal(sel.toString(), canonical, input);
      assert.equal(parseSelector(canonical).toString(), canonical, input);
    }
  });

  it('!(!x) prints as !!x like Calico, which re-parses as x', () => {
    const sel = parseSelector(`!(!(a == 'b'))`);
    assert.equal(sel.toString(), '!!a == "b"');
    assert.equal(sel.root.kind, 'not');
    const again = parseSelector(sel.toString());
    assert.equal(again.toString(), 'a == "b"');
    for (const labels of [{}, { a: 'b' }, { a: 'c' }] as Record<string, string>[])
      assert.equal(again.evaluate(labels), sel.evaluate(labels));
  });

  it('n-ary and/or, parenthesised groups not flattened', () => {
    const sel = parseSelector('a == "1" && b == "2" && (c == "3" && d == "4")');
    assert.equal(sel.root.kind, 'and');
    assert.equal(sel.root.kind === 'and' && sel.root.operands.length, 3);
    assert.equal(sel.root.kind === 'and' && sel.root.operands[2].kind, 'and');
  });

  it('! binds to one operation', () => {
    assert.equal(parseSelector(`!a == 'a1' && b == 'b1'`).toString(), '(!a == "a1" && b == "b1")');
    assert.equal(parseSelector(`!a in {"a"}`).root.kind, 'not');
  });

  it('set literals are sorted byte-wise (code point order), de-duplicated', () => {
    const sel = parseSelector('a in {"b", "B", "a", "_", "\u{1f600}", "\uffff", "é", "b"}');
    assert.equal(sel.toString(), 'a in {"B", "_", "a", "b", "é", "\uffff", "\u{1f600}"}');
    assert.equal(sel.evaluate({ a: '\u{1f600}' }), true);
    assert.equal(sel.evaluate({ a: 'c' }), false);
  });

  it('all() and !all()', () => {
    assert.equal(ALL.toString(), 'all()');
    assert.equal(ALL.uniqueId(), 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug');
    assert.equal(ALL.evaluate({}), true);
    assert.equal(NO_MATCH.toString(), '!all()');
    assert.equal(NO_MATCH.evaluate({}), false);
    assert.equal(NO_MATCH.evaluate({ a: 'b' }), false);
    assert.ok(parseSelector('').equals(ALL));
  });

  it('empty label value is present', () => {
    assert.equal(parseSelector('has(k)').evaluate({ k: '' }), true);
    assert.equal(parseSelector(`k == ''`).evaluate({ k: '' }), true);
    assert.equal(parseSelector(`k contains ''`).evaluate({ k: '' }), true);
    assert.equal(parseSelector(`k starts with ''`).evaluate({}), false);
    assert.equal(parseSelector(`k ends with ''`).evaluate({ k: 'x' }), true);
  });
});

describe('normaliseSelector', () => {
  it('trims, canonicalises, and returns bad input trimmed', () => {
    assert.equal(normaliseSelector(''), 'all()');
    assert.equal(normaliseSelector("  \n a == 'b'\r\n"), 'a == "b"');
    assert.equal(normaliseSelector('\u00a0has(x)\u0085'), 'has(x)');
    assert.equal(normaliseSelector(' a = b \n'), 'a = b');
    assert.equal(normaliseSelector('\ufeffhas(x)'), '\ufeffhas(x)'); // not space to Go
    assert.equal(
      normaliseSelector(`projectcalico.org/serviceaccount in { 'b', 'a' }`),
      'projectcalico.org/serviceaccount in {"a", "b"}',
    );
  });
});
