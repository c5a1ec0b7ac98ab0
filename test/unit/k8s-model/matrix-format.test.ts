/** The truth tables and diffs the e2e matrix prints on failure. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matrixDiff, truthTable, type Matrix } from '../../helpers/k8s-netpol-model.js';

const EXPECTED: Matrix = {
  'x/a': { 'x/a': true, 'x/b': false },
  'x/b': { 'x/a': true, 'x/b': true },
};
const ACTUAL: Matrix = {
  'x/a': { 'x/a': true, 'x/b': true },
  'x/b': { 'x/a': false, 'x/b': true },
};

describe('k8s model: truth tables', () => {
  it('prints one table', () => {
    assert.equal(
      truthTable('TCP/80', EXPECTED),
      ['TCP/80    x/a    x/b', 'x/a         .      x', 'x/b         .      .'].join('\n'),
    );
  });

  it('marks leaks (A) and missing connections (D) against the model', () => {
    const t = truthTable('TCP/80', EXPECTED, ACTUAL).split('\n');
    assert.deepEqual(t.slice(0, 3), ['TCP/80    x/a    x/b', 'x/a         .      A', 'x/b         D      .']);
    assert.match(t[3], /A allowed but model denies/);
  });

  it('lists the pairs that differ, and cells missing on one side', () => {
    assert.deepEqual(matrixDiff(EXPECTED, ACTUAL), [
      { from: 'x/a', to: 'x/b', expected: false, actual: true },
      { from: 'x/b', to: 'x/a', expected: true, actual: false },
    ]);
    assert.deepEqual(matrixDiff(EXPECTED, { 'x/a': EXPECTED['x/a'] }), [
      { from: 'x/b', to: 'x/a', expected: true, actual: undefined },
      { from: 'x/b', to: 'x/b', expected: true, actual: undefined },
    ]);
    assert.deepEqual(matrixDiff(EXPECTED, EXPECTED), []);
    assert.match(truthTable('t', EXPECTED, { 'x/a': EXPECTED['x/a'] }), /x\/b\s+\?\s+\?/);
  });
});
