import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parsePort, portToString } from '../../../src/api/index.js';
import { parseSelector } from '../../../src/selector/index.js';
import {
  k8sSelectorToCalico,
  K8sSelectorError,
  simplifyPorts,
  type K8sLabelSelector,
  type K8sLabelSelectorRequirement,
} from '../../../src/k8s/index.js';

const ORCH = "projectcalico.org/orchestrator == 'k8s'";
const toast = (operator: K8sLabelSelectorRequirement['operator'], values?: string[]): K8sLabelSelector => ({
  matchExpressions: [{ key: 'toast', operator, ...(values ? { values } : {}) }],
});

describe('k8sSelectorToCalico (Calico selector conversion table)', () => {
  const table: [string, K8sLabelSelector | null, boolean, string][] = [
    ['empty pod selector', {}, true, ORCH],
    ['empty namespace selector', {}, false, 'all()'],
    ['DoesNotExist namespace selector', toast('DoesNotExist'), false, '! has(toast)'],
    ['Exists namespace selector', toast('Exists'), false, 'has(toast)'],
    ['In namespace selector', toast('In', ['butter', 'jam']), false, "toast in { 'butter', 'jam' }"],
    [
      'NotIn namespace selector',
      toast('NotIn', ['marmite', 'milk']),
      false,
      "toast not in { 'marmite', 'milk' }",
    ],
    ['DoesNotExist pod selector', toast('DoesNotExist'), true, `${ORCH} && ! has(toast)`],
    ['nil pod selector', null, true, ORCH],
    ['nil namespace selector', null, false, ''],
    [
      'matchLabels sorted, before expressions',
      { matchLabels: { b: '2', a: '1' }, ...toast('Exists') },
      true,
      `${ORCH} && a == '1' && b == '2' && has(toast)`,
    ],
  ];
  for (const [title, sel, orchestrator, expected] of table) {
    it(title, () => assert.equal(k8sSelectorToCalico(sel, { orchestrator }), expected));
  }

  it('rejects unknown operators and In without values with a typed error naming the field', () => {
    assert.throws(
      () =>
        k8sSelectorToCalico(
          { matchExpressions: [{ key: 'k', operator: 'Gt' as 'In', values: ['1'] }] },
          { orchestrator: true },
        ),
      (e: unknown) =>
        e instanceof K8sSelectorError && e.path === 'matchExpressions[0].operator' && e.code === 'VALIDATION',
    );
    assert.throws(
      () => k8sSelectorToCalico(toast('NotIn', []), { orchestrator: false }),
      /matchExpressions\[0\]\.values/,
    );
  });

  it('matches exactly the labels the Kubernetes selector matches', () => {
    const key = fc.constantFrom('a', 'b', 'app.kubernetes.io/name');
    const value = fc.constantFrom('x', 'y', 'z');
    const req = fc.oneof(
      fc.record({
        key,
        operator: fc.constantFrom('In' as const, 'NotIn' as const),
        values: fc.array(value, { minLength: 1, maxLength: 3 }),
      }),
      fc.record({ key, operator: fc.constantFrom('Exists' as const, 'DoesNotExist' as const) }),
    );
    const sel = fc.record({
      matchLabels: fc.dictionary(key, value, { maxKeys: 2 }),
      matchExpressions: fc.array(req, { maxLength: 3 }),
    });
    const labels = fc.dictionary(key, value, { maxKeys: 3 });
    // Kubernetes LabelSelector semantics (NotIn and DoesNotExist match an absent key).
    const k8sMatches = (
      s: { matchLabels: Record<string, string>; matchExpressions: K8sLabelSelectorRequirement[] },
      l: Record<string, string>,
    ) =>
      Object.entries(s.matchLabels).every(([k, v]) => l[k] === v) &&
      s.matchExpressions.every((r) => {
        const has = Object.prototype.hasOwnProperty.call(l, r.key);
        switch (r.operator) {
          case 'In':
            return has && (r.values ?? []).includes(l[r.key]);
          case 'NotIn':
            return !has || !(r.values ?? []).includes(l[r.key]);
          case 'Exists':
            return has;
          case 'DoesNotExist':
            return !has;
        }
      });
    fc.assert(
      fc.property(sel, labels, (s, l) => {
        const pod = parseSelector(k8sSelectorToCalico(s, { orchestrator: true }));
        assert.equal(pod.evaluate({ ...l, 'projectcalico.org/orchestrator': 'k8s' }), k8sMatches(s, l));
        assert.equal(pod.evaluate(l), false);
        const ns = parseSelector(k8sSelectorToCalico(s, { orchestrator: false }));
        assert.equal(ns.evaluate(l), k8sMatches(s, l));
      }),
      { numRuns: 500 },
    );
  });
});

describe('simplifyPorts (Calico port simplification table)', () => {
  const table: [string, string][] = [
    ['', ''],
    ['0', '0'],
    ['1', '1'],
    ['65535', '65535'],
    ['0:65535', '0:65535'],
    ['1,2', '1:2'],
    ['2,1', '1:2'],
    ['1,2,4', '1:2,4'],
    ['1,2,3,4,80:81,81:90,9090', '1:4,80:90,9090'],
    ['81:90,4,2,80:81,3,1,9090', '1:4,80:90,9090'],
    ['81:90,4,2,foo,80:81,3,1,9090,http', 'foo,http,1:4,80:90,9090'],
    ['foo', 'foo'],
  ];
  for (const [input, expected] of table) {
    it(`${input || '(none)'} -> ${expected || '(none)'}`, () => {
      const ports = input ? input.split(',').map((p) => parsePort(p)) : [];
      assert.equal(simplifyPorts(ports).map(portToString).join(','), expected);
    });
  }

  it('covers exactly the same numeric ports with disjoint, non-adjacent ranges', () => {
    const range = fc.tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 20 }));
    fc.assert(
      fc.property(fc.array(range, { maxLength: 8 }), (rs) => {
        const ports = rs.map(([lo, len]) => ({ minPort: lo, maxPort: lo + len, portName: '' }));
        const covered = (ps: typeof ports) => {
          const s = new Set<number>();
          for (const p of ps) for (let i = p.minPort; i <= p.maxPort; i++) s.add(i);
          return [...s].sort((a, b) => a - b);
        };
        const out = simplifyPorts(ports);
        assert.deepStrictEqual(covered(out), covered(ports));
        if (covered(ports).length > 1) {
          for (let i = 1; i < out.length; i++) assert.ok(out[i].minPort > out[i - 1].maxPort + 1);
        }
      }),
    );
  });
});
