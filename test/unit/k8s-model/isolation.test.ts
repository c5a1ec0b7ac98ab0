/** Which pods a policy isolates, policyTypes defaulting, additivity and loopback, as full 9×9 tables. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectivePolicyTypes, NetpolModel, type NetworkPolicySpec } from '../../helpers/k8s-netpol-model.js';
import { cluster, policy, rows } from './cluster.js';

/** Nothing reaches x's pods but themselves. */
const DENY_INTO_X = rows(
  '.xx ... ...',
  'x.x ... ...',
  'xx. ... ...',
  'xxx ... ...',
  'xxx ... ...',
  'xxx ... ...',
  'xxx ... ...',
  'xxx ... ...',
  'xxx ... ...',
);

/** x's pods reach nothing but themselves. */
const DENY_FROM_X = rows(
  '.xx xxx xxx',
  'x.x xxx xxx',
  'xx. xxx xxx',
  '... ... ...',
  '... ... ...',
  '... ... ...',
  '... ... ...',
  '... ... ...',
  '... ... ...',
);

const ALL = rows(...Array.from({ length: 9 }, () => '... ... ...'));

function matrixOf(specs: NetworkPolicySpec[], ns = 'x') {
  return new NetpolModel(cluster(specs.map((s, i) => policy(ns, `p${i}`, s)))).matrix(80, 'TCP');
}

describe('k8s model: isolation and policy types', () => {
  const table: [string, NetworkPolicySpec[], ReturnType<typeof rows>][] = [
    ['no policies: everything allowed', [], ALL],
    ['default deny ingress', [{ podSelector: {}, policyTypes: ['Ingress'] }], DENY_INTO_X],
    ['no policyTypes, no rules: ingress only', [{ podSelector: {} }], DENY_INTO_X],
    ['default deny egress', [{ podSelector: {}, policyTypes: ['Egress'] }], DENY_FROM_X],
    [
      'deny both ways',
      [{ podSelector: {}, policyTypes: ['Ingress', 'Egress'] }],
      rows(
        '.xx xxx xxx',
        'x.x xxx xxx',
        'xx. xxx xxx',
        'xxx ... ...',
        'xxx ... ...',
        'xxx ... ...',
        'xxx ... ...',
        'xxx ... ...',
        'xxx ... ...',
      ),
    ],
    // Egress rules present and no policyTypes: both types, so ingress is denied.
    ['no policyTypes, egress rules: ingress denied too', [{ podSelector: {}, egress: [{}] }], DENY_INTO_X],
    // An empty egress list does not add the Egress type.
    ['no policyTypes, egress: [] is ingress only', [{ podSelector: {}, egress: [], ingress: [{}] }], ALL],
    // Ingress rules of an Egress-only policy are ignored.
    [
      'ingress rules ignored without the Ingress type',
      [{ policyTypes: ['Egress'], ingress: [{}] }],
      DENY_FROM_X,
    ],
    ['allow all ingress: [{}]', [{ podSelector: {}, ingress: [{}] }], ALL],
    [
      'additive: deny all, then allow all into x/a',
      [
        { podSelector: {}, policyTypes: ['Ingress'] },
        { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{}] },
      ],
      rows(
        '.xx ... ...',
        '..x ... ...',
        '.x. ... ...',
        '.xx ... ...',
        '.xx ... ...',
        '.xx ... ...',
        '.xx ... ...',
        '.xx ... ...',
        '.xx ... ...',
      ),
    ],
    [
      'policy selecting nothing isolates nothing',
      [{ podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress', 'Egress'] }],
      ALL,
    ],
  ];
  for (const [name, specs, want] of table) {
    it(name, () => assert.deepEqual(matrixOf(specs), want));
  }

  it('a policy only selects pods of its own namespace', () => {
    const m = new NetpolModel(cluster([policy('y', 'deny', { podSelector: {} })]));
    assert.equal(m.allowed('x/a', 'x/b', 80, 'TCP'), true);
    assert.equal(m.allowed('x/a', 'y/b', 80, 'TCP'), false);
    assert.equal(m.allowed('y/a', 'z/b', 80, 'TCP'), true);
  });

  it('policyTypes defaulting', () => {
    const p = (spec: NetworkPolicySpec) => effectivePolicyTypes(policy('x', 'p', spec));
    assert.deepEqual(p({}), ['Ingress']);
    assert.deepEqual(p({ policyTypes: [] }), ['Ingress']);
    assert.deepEqual(p({ ingress: [{}] }), ['Ingress']);
    assert.deepEqual(p({ egress: [{}] }), ['Ingress', 'Egress']);
    assert.deepEqual(p({ policyTypes: ['Egress'], ingress: [{}] }), ['Egress']);
  });

  it('loopback: allowed by default, evaluated like any pair with loopback: policy', () => {
    const c = cluster([policy('x', 'deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })]);
    assert.equal(new NetpolModel(c).allowed('x/a', 'x/a', 80, 'TCP'), true);
    assert.equal(new NetpolModel(c).verdict('x/a', 'x/a', 80, 'TCP').loopback, true);
    assert.equal(new NetpolModel(c, { loopback: 'policy' }).allowed('x/a', 'x/a', 80, 'TCP'), false);
    const selfOnly = cluster([
      policy('x', 'self', {
        podSelector: {},
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'a' } } }] }],
      }),
    ]);
    assert.equal(new NetpolModel(selfOnly, { loopback: 'policy' }).allowed('x/a', 'x/a', 80, 'TCP'), true);
    assert.equal(new NetpolModel(selfOnly, { loopback: 'policy' }).allowed('x/b', 'x/b', 80, 'TCP'), false);
  });

  it('explains a verdict: the isolating policies and the first allowing rule', () => {
    const m = new NetpolModel(
      cluster([
        policy('x', 'deny', { podSelector: {} }),
        policy('x', 'from-y', {
          podSelector: {},
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }],
        }),
        policy('y', 'out', { podSelector: {}, policyTypes: ['Egress'] }),
      ]),
    );
    assert.deepEqual(m.verdict('z/a', 'x/b', 80, 'TCP'), {
      allowed: false,
      loopback: false,
      egress: { allowed: true, isolatedBy: [] },
      ingress: { allowed: false, isolatedBy: ['x/deny', 'x/from-y'] },
    });
    assert.deepEqual(m.verdict('y/a', 'x/b', 80, 'TCP'), {
      allowed: false,
      loopback: false,
      egress: { allowed: false, isolatedBy: ['y/out'] },
      ingress: { allowed: true, isolatedBy: ['x/deny', 'x/from-y'], allowedBy: 'x/from-y ingress[0]' },
    });
  });
});
