import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import {
  SelectorParseError,
  parseSelector,
  prefixLabels,
  selectorFromAst,
  type SelectorNode,
} from '../../../src/selector/index.js';

// Few labels and values so that random label maps often hit the selector's labels.
const labelArb = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('a', 'b', 'c', 'app', 'k8s.io/role', 'has', 'in', 'not', 'all') },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'aZ09_./-'), minLength: 1, maxLength: 12 }) },
);
const valueArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constantFrom('', 'x', 'y', 'xy', 'yx', 'x y', `"`, `'`, `a"b`, 'é', '\u{1f600}'),
  },
  // Any text without one of the quote kinds (a literal cannot hold both).
  {
    weight: 1,
    arbitrary: fc.string({ maxLength: 8 }).map((s) => (s.includes('"') ? s.replaceAll("'", '') : s)),
  },
);

const { node: nodeArb } = fc.letrec<{ node: SelectorNode; leaf: SelectorNode; nonNot: SelectorNode }>(
  (tie) => ({
    leaf: fc.oneof(
      fc.constant<SelectorNode>({ kind: 'all' }),
      fc.constant<SelectorNode>({ kind: 'global' }),
      labelArb.map((label): SelectorNode => ({ kind: 'has', label })),
      fc
        .record({
          kind: fc.constantFrom('eq', 'ne', 'contains', 'startsWith', 'endsWith' as const),
          label: labelArb,
          value: valueArb,
        })
        .map((n): SelectorNode => ({ ...n })),
      fc
        .record({
          kind: fc.constantFrom('in', 'notIn' as const),
          label: labelArb,
          values: fc.array(valueArb, { maxLength: 4 }),
        })
        .map((n): SelectorNode => ({ ...n })),
    ),
    // `!` directly on `!` is printed `!!x`, which Calico (and we) read back as `x`: keep it out of
    // the round-trip property (it is tested on its own).
    nonNot: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      tie('leaf'),
      fc
        .array(tie('node'), { minLength: 2, maxLength: 4 })
        .map((operands): SelectorNode => ({ kind: 'and', operands })),
      fc
        .array(tie('node'), { minLength: 2, maxLength: 4 })
        .map((operands): SelectorNode => ({ kind: 'or', operands })),
    ),
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      tie('nonNot'),
      tie('nonNot').map((operand): SelectorNode => ({ kind: 'not', operand })),
    ),
  }),
);

const labelsArb = fc.dictionary(
  fc.constantFrom('a', 'b', 'c', 'app', 'k8s.io/role', 'has', 'in', 'not', 'all', 'toString', '__proto__'),
  fc.constantFrom('', 'x', 'y', 'xy', 'yx', 'x y', `"`, `'`, `a"b`, 'é', '\u{1f600}', 'zzz'),
  { maxKeys: 6 },
);

/** The spec's evaluation table, written independently of the implementation. */
function reference(node: SelectorNode, labels: Record<string, string>): boolean {
  const has = 'label' in node && Object.hasOwn(labels, node.label);
  const v = has ? labels[node.label] : undefined;
  switch (node.kind) {
    case 'all':
    case 'global':
      return true;
    case 'has':
      return has;
    case 'eq':
      return has && v === node.value;
    case 'ne':
      return !has || v !== node.value;
    case 'contains':
      return has && (v as string).includes(node.value);
    case 'startsWith':
      return has && (v as string).startsWith(node.value);
    case 'endsWith':
      return has && (v as string).endsWith(node.value);
    case 'in':
      return has && node.values.includes(v as string);
    case 'notIn':
      return !has || !node.values.includes(v as string);
    case 'not':
      return !reference(node.operand, labels);
    case 'and':
      return node.operands.every((n) => reference(n, labels));
    case 'or':
      return node.operands.some((n) => reference(n, labels));
  }
}

const RUNS = { numRuns: 300 };

describe('property: generated selectors', () => {
  it('parse(toString()) gives the same tree, canonical form and unique id', () => {
    fc.assert(
      fc.property(nodeArb, (node) => {
        const sel = selectorFromAst(node);
        const again = parseSelector(sel.toString());
        assert.equal(again.toString(), sel.toString());
        assert.equal(again.uniqueId(), sel.uniqueId());
        assert.deepEqual(again.root, sel.root);
      }),
      RUNS,
    );
  });

  it('evaluation agrees with the reference, the re-parsed form, Maps and lookup functions', () => {
    fc.assert(
      fc.property(nodeArb, fc.array(labelsArb, { minLength: 1, maxLength: 5 }), (node, labelMaps) => {
        const sel = selectorFromAst(node);
        const again = parseSelector(sel.toString());
        for (const labels of labelMaps) {
          const want = reference(sel.root, labels);
          assert.equal(sel.evaluate(labels), want);
          assert.equal(again.evaluate(labels), want);
          assert.equal(sel.evaluate(new Map(Object.entries(labels))), want);
          assert.equal(
            sel.evaluate((k) => (Object.hasOwn(labels, k) ? labels[k] : undefined)),
            want,
          );
        }
      }),
      RUNS,
    );
  });

  it('label restrictions hold for every match', () => {
    fc.assert(
      fc.property(nodeArb, fc.array(labelsArb, { minLength: 1, maxLength: 5 }), (node, labelMaps) => {
        const sel = selectorFromAst(node);
        for (const labels of labelMaps) {
          if (!sel.evaluate(labels)) continue;
          for (const [label, r] of sel.labelRestrictions()) {
            const present = Object.hasOwn(labels, label);
            if (r.mustBePresent) assert.ok(present, `${label} must be present`);
            if (r.mustBeAbsent) assert.ok(!present, `${label} must be absent`);
            if (r.mustHaveOneOfValues) assert.ok(r.mustHaveOneOfValues.includes(labels[label]));
          }
        }
      }),
      RUNS,
    );
  });

  it('prefixLabels matches prefixed label maps exactly as the original matched the originals', () => {
    fc.assert(
      fc.property(nodeArb, labelsArb, (node, labels) => {
        const sel = selectorFromAst(node);
        const prefixed = prefixLabels(sel, 'pcns.');
        const moved = Object.fromEntries(Object.entries(labels).map(([k, v]) => [`pcns.${k}`, v]));
        assert.equal(prefixed.evaluate(moved), sel.evaluate(labels));
        assert.equal(parseSelector(prefixed.toString()).toString(), prefixed.toString());
      }),
      RUNS,
    );
  });
});

describe('property: arbitrary text', () => {
  const pieces = fc.constantFrom(
    'a',
    'b',
    'has',
    'in',
    'not',
    '==',
    '!=',
    '!',
    '(',
    ')',
    '&&',
    '||',
    '&',
    '|',
    '=',
    '"x"',
    `'y'`,
    '"',
    `'`,
    '{',
    '}',
    ',',
    'in',
    'not in',
    'notin',
    'contains',
    'starts with',
    'endswith',
    'has(a)',
    'has(',
    'all()',
    'global()',
    ' ',
    '\t',
    '\n',
    '%',
    'é',
  );
  const textArb = fc.oneof(
    fc.array(pieces, { maxLength: 12 }).map((p) => p.join(' ')),
    fc.array(pieces, { maxLength: 12 }).map((p) => p.join('')),
    fc.string(),
  );

  it('either parses (and its canonical form means the same) or throws SelectorParseError', () => {
    fc.assert(
      fc.property(textArb, fc.array(labelsArb, { maxLength: 3 }), (text, labelMaps) => {
        let sel;
        try {
          sel = parseSelector(text);
        } catch (e) {
          assert.ok(e instanceof SelectorParseError, String(e));
          assert.ok(e.position >= 0 && e.position <= text.length);
          return;
        }
        const again = parseSelector(sel.toString());
        for (const labels of labelMaps) assert.equal(again.evaluate(labels), sel.evaluate(labels));
        // Canonical form is a fixed point after one more round (only `!!` collapses once).
        assert.equal(parseSelector(again.toString()).toString(), again.toString());
      }),
      { numRuns: 1000 },
    );
  });
});
