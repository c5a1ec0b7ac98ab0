import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  formatLabelRestrictions,
  parseSelector,
  possibleToSatisfy,
  type LabelRestriction,
  type LabelRestrictions,
} from '../../../src/selector/index.js';
import { RESTRICTION_VECTORS } from './calico-vectors.js';

type R = { present?: boolean; absent?: boolean; values?: readonly string[] };

function expected(res: Record<string, R> | null): Map<string, LabelRestriction> {
  const m = new Map<string, LabelRestriction>();
  for (const [k, r] of Object.entries(res ?? {})) {
    const lr: LabelRestriction = { mustBePresent: r.present ?? false, mustBeAbsent: r.absent ?? false };
    m.set(k, r.values === undefined ? lr : { ...lr, mustHaveOneOfValues: r.values });
  }
  return m;
}

function plain(lr: LabelRestrictions): Map<string, LabelRestriction> {
  return new Map([...lr].map(([k, v]) => [k, { ...v }]));
}

describe('Calico label restriction vectors', () => {
  for (const [text, res] of RESTRICTION_VECTORS) {
    it(`${JSON.stringify(text)} -> ${JSON.stringify(res)}`, () => {
      const sel = parseSelector(text);
      assert.deepEqual(plain(sel.labelRestrictions()), expected(res));
      // Cached value stays the same.
      assert.deepEqual(plain(sel.labelRestrictions()), expected(res));
      if (text !== '') {
        // Calico also checks that an extra "all() &&" changes nothing.
        assert.deepEqual(plain(parseSelector(`all() && (${text})`).labelRestrictions()), expected(res));
      }
    });
  }
});

describe('label restrictions', () => {
  it('possibleToSatisfy', () => {
    const lr = (t: string) => parseSelector(t).labelRestrictions().get('a') as LabelRestriction;
    assert.equal(possibleToSatisfy(lr(`a == 'v1'`)), true);
    assert.equal(possibleToSatisfy(lr(`a == 'v1' && a == 'v2'`)), false);
    assert.equal(possibleToSatisfy(lr('has(a) && !has(a)')), false);
    assert.equal(possibleToSatisfy(lr('!has(a)')), true);
  });

  it('or with several branches unions sorted values; and intersects', () => {
    const sel = parseSelector(`a == 'z' || a in {'y', 'b'} || (a == 'b' && has(c))`);
    assert.deepEqual(sel.labelRestrictions().get('a')?.mustHaveOneOfValues, ['b', 'y', 'z']);
    assert.equal(sel.labelRestrictions().has('c'), false);
    const and = parseSelector(`a in {'x', 'y', 'z'} && a in {'z', 'y'} && a != 'y'`);
    assert.deepEqual(and.labelRestrictions().get('a')?.mustHaveOneOfValues, ['y', 'z']);
  });

  it('!has in every or branch stays absent', () => {
    const sel = parseSelector('!has(a) || (!has(a) && has(b))');
    assert.deepEqual({ ...sel.labelRestrictions().get('a') }, { mustBePresent: false, mustBeAbsent: true });
  });

  it('formats readably', () => {
    assert.equal(
      formatLabelRestrictions(parseSelector(`b == 'x' && has(a) && !has(c)`).labelRestrictions()),
      '{a: present; b: present, one of ["x"]; c: absent}',
    );
  });
});
