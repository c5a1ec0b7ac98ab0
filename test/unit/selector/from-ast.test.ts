import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { selectorFromAst } from '../../../src/selector/index.js';

describe('selectorFromAst', () => {
  it('normalises sets and single-operand groups', () => {
    const sel = selectorFromAst({
      kind: 'and',
      operands: [{ kind: 'or', operands: [{ kind: 'in', label: 'a', values: ['z', 'a', 'z'] }] }],
    });
    assert.equal(sel.toString(), 'a in {"a", "z"}');
  });

  it('builds what rule rewriting needs', () => {
    const sel = selectorFromAst({
      kind: 'and',
      operands: [
        { kind: 'has', label: 'app' },
        { kind: 'eq', label: 'projectcalico.org/namespace', value: 'ns1' },
      ],
    });
    assert.equal(sel.toString(), '(has(app) && projectcalico.org/namespace == "ns1")');
  });

  it('rejects trees that cannot be written as a selector', () => {
    assert.throws(() => selectorFromAst({ kind: 'has', label: 'a b' }), { code: 'SELECTOR_PARSE' });
    assert.throws(() => selectorFromAst({ kind: 'has', label: 'x'.repeat(513) }), { code: 'SELECTOR_PARSE' });
    assert.throws(() => selectorFromAst({ kind: 'eq', label: 'a', value: `'"` }), { code: 'SELECTOR_PARSE' });
    assert.throws(() => selectorFromAst({ kind: 'or', operands: [] }), { code: 'SELECTOR_PARSE' });
  });
});
