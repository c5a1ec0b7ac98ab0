import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseSelector } from '../../../src/selector/index.js';

describe('evaluate', () => {
  it('accepts records, Maps and lookup functions', () => {
    const sel = parseSelector(`app == 'web' && tier in {'a', 'b'} && !has(legacy)`);
    assert.equal(sel.evaluate({ app: 'web', tier: 'b' }), true);
    assert.equal(
      sel.evaluate(
        new Map([
          ['app', 'web'],
          ['tier', 'a'],
        ]),
      ),
      true,
    );
    assert.equal(
      sel.evaluate(
        new Map([
          ['app', 'web'],
          ['tier', 'a'],
          ['legacy', ''],
        ]),
      ),
      false,
    );
    assert.equal(
      sel.evaluate((k) => ({ app: 'web', tier: 'c' })[k]),
      false,
    );
  });

  it('profile label inheritance through a lookup (endpoint labels win)', () => {
    const endpoint: Record<string, string> = { a: 'ep-a', b: 'ep-b' };
    const profiles: Record<string, string>[] = [
      { a: 'prof-a', c: 'prof-c', d: 'prof-d' },
      { d: 'other', e: 'e' },
    ];
    const lookup = (k: string): string | undefined => {
      if (Object.hasOwn(endpoint, k)) return endpoint[k];
      for (const p of profiles) if (Object.hasOwn(p, k)) return p[k];
      return undefined;
    };
    assert.equal(
      parseSelector(`a == 'ep-a' && c == 'prof-c' && d == 'prof-d' && e == 'e'`).evaluate(lookup),
      true,
    );
    assert.equal(parseSelector(`a == 'prof-a'`).evaluate(lookup), false);
    assert.equal(parseSelector('has(f)').evaluate(lookup), false);
  });

  it('object prototype properties are not labels', () => {
    for (const key of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      assert.equal(parseSelector(`has(${key})`).evaluate({}), false, key);
      assert.equal(parseSelector(`${key} != 'x'`).evaluate({}), true, key);
      assert.equal(parseSelector(`${key} not in {'x'}`).evaluate({}), true, key);
      assert.equal(parseSelector(`${key} contains ''`).evaluate({}), false, key);
      assert.equal(parseSelector(`${key} == ''`).evaluate({}), false, key);
    }
    const own = JSON.parse('{"__proto__": "p", "toString": "t"}') as Record<string, string>;
    assert.equal(parseSelector(`__proto__ == 'p' && toString == 't'`).evaluate(own), true);
    assert.equal(parseSelector('has(a)').evaluate(Object.create(null) as Record<string, string>), false);
  });

  it('n-ary and/or short-circuit left to right', () => {
    const seen: string[] = [];
    const lookup = (k: string): string | undefined => {
      seen.push(k);
      return k === 'b' ? 'x' : undefined;
    };
    assert.equal(parseSelector('has(a) || has(b) || has(c)').evaluate(lookup), true);
    assert.deepEqual(seen, ['a', 'b']);
    seen.length = 0;
    assert.equal(parseSelector('has(b) && has(a) && has(c)').evaluate(lookup), false);
    assert.deepEqual(seen, ['b', 'a']);
  });

  it('comparisons are exact and case-sensitive', () => {
    assert.equal(parseSelector(`a == 'X'`).evaluate({ a: 'x' }), false);
    assert.equal(parseSelector(`a in {'X'}`).evaluate({ a: 'x' }), false);
    assert.equal(parseSelector(`a == ' x'`).evaluate({ a: 'x' }), false);
  });
});
