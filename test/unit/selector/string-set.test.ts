import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseSelector } from '../../../src/selector/index.js';
import { compareBytewise, sortedUnique } from '../../../src/selector/string-set.js';
import { STRING_SET_DEDUPE, STRING_SET_INPUTS } from './calico-vectors.js';

function setLiteral(values: readonly string[]): string {
  return `{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}

describe('Calico string set vectors', () => {
  for (const input of STRING_SET_INPUTS) {
    it(`in ${setLiteral(input)} contains its inputs only`, () => {
      const sel = parseSelector(`k in ${setLiteral(input)}`);
      const values = sel.root.kind === 'in' ? sel.root.values : [];
      assert.ok(values.length <= input.length);
      for (const v of input) {
        assert.equal(sel.evaluate({ k: v }), true);
        assert.equal(sel.evaluate({ k: `${v}bogus` }), false);
      }
    });
  }
  for (const [input, output] of STRING_SET_DEDUPE) {
    it(`dedupes ${setLiteral(input)} to ${setLiteral(output)}`, () => {
      assert.deepEqual(sortedUnique(input), output);
      assert.equal(parseSelector(`k in ${setLiteral(input)}`).toString(), `k in ${setLiteral(output)}`);
    });
  }
});

describe('byte-wise order', () => {
  it('matches UTF-8 byte order', () => {
    const words = [
      'b',
      'a',
      'ab',
      '',
      'B',
      '\u00e9',
      '\uffff',
      '\u{10000}',
      '\u{1f600}',
      '\ue000',
      'a\u{1f600}',
      'a\uffff',
    ];
    const byBytes = [...words].sort((x, y) => Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8')));
    assert.deepEqual([...words].sort(compareBytewise), byBytes);
  });
});
