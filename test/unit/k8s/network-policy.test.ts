import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  applyDefaults,
  validateResource,
  type NetworkPolicy,
  type Resource,
} from '../../../src/api/index.js';
import { parseSelector } from '../../../src/selector/index.js';
import { CalicoError } from '../../../src/errors/index.js';
import {
  convertNetworkPolicy,
  K8sConversionError,
  K8sInputError,
  type K8sNetworkPolicy,
  type K8sNetworkPolicySpec,
} from '../../../src/k8s/index.js';
import {
  calicoPolicy,
  k8sPolicy,
  ORCH,
  POLICY_EXAMPLES,
  type PolicyExample,
} from './network-policy-examples.js';

/** Converts, returning the policy also when some rules were dropped. */
function convert(np: K8sNetworkPolicy): { policy: NetworkPolicy; error?: K8sConversionError } {
  try {
    return { policy: convertNetworkPolicy(np) };
  } catch (e) {
    if (e instanceof K8sConversionError) return { policy: e.policy, error: e };
    throw e;
  }
}

/** What calicoctl create does before writing: defaults, then validation. */
function validate(policy: NetworkPolicy): void {
  validateResource(applyDefaults(policy as Resource), 'create');
}

/** Every selector text in a converted policy. */
function selectorsOf(p: NetworkPolicy): string[] {
  const out = [p.spec?.selector ?? ''];
  for (const r of [...(p.spec?.ingress ?? []), ...(p.spec?.egress ?? [])]) {
    for (const e of [r.source, r.destination]) {
      if (e?.selector) out.push(e.selector);
      if (e?.namespaceSelector) out.push(e.namespaceSelector);
    }
  }
  return out;
}

describe('convertNetworkPolicy: spec §7.1 examples', () => {
  for (const ex of POLICY_EXAMPLES) {
    it(`#${ex.n} ${ex.title}`, () => {
      const { policy, error } = convert(ex.input);
      assert.deepStrictEqual(policy, ex.output);
      if (!ex.badRules) {
        assert.equal(error, undefined);
        return;
      }
      assert.ok(error instanceof K8sConversionError && error instanceof CalicoError);
      assert.equal(error.code, 'VALIDATION');
      assert.deepStrictEqual(
        error.badRules.map((b) => [b.direction, b.index, b.reason]),
        ex.badRules,
      );
      const rules = ex.input.spec?.[ex.badRules[0][0] as 'ingress' | 'egress'] ?? [];
      for (const b of error.badRules) assert.equal(b.rule, rules[b.index]);
      assert.match(error.message, /policy: default\/test\.policy: unable to convert/);
      assert.match(error.message, /invalid name for named port \(-50:-1\)/);
    });
  }

  it('every converted example passes NetworkPolicy validation (as calicoctl create checks it)', () => {
    for (const ex of POLICY_EXAMPLES) {
      // Kubernetes names are DNS-1123 subdomains; Calico's test name "testPolicy" is not one.
      const input: PolicyExample['input'] = {
        ...ex.input,
        metadata: { ...ex.input.metadata, name: ex.input.metadata.name?.toLowerCase() },
      };
      const { policy } = convert(input);
      assert.doesNotThrow(() => validate(policy), `#${ex.n} ${ex.title}`);
    }
  });

  it('every selector in the converted examples parses', () => {
    for (const ex of POLICY_EXAMPLES) {
      for (const s of selectorsOf(convert(ex.input).policy)) assert.doesNotThrow(() => parseSelector(s), s);
    }
  });

  it('rejects an uppercase k8s name the way calicoctl would (knp.default. + subdomain)', () => {
    const { policy } = convert(k8sPolicy({}, 'testPolicy'));
    assert.throws(() => validate(policy), /metadata\.name/);
  });
});

describe('convertNetworkPolicy: further cases', () => {
  it('defaults the namespace to default and ignores unknown policyTypes', () => {
    const p = convertNetworkPolicy({ metadata: { name: 'x' }, spec: { policyTypes: ['Bogus'] } });
    assert.deepStrictEqual(p, { ...calicoPolicy({ selector: ORCH, types: ['Ingress'] }, 'x') });
  });

  it('ingress: [{}] is one allow-all rule', () => {
    const p = convertNetworkPolicy(k8sPolicy({ podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] }));
    assert.deepStrictEqual(p.spec?.ingress, [{ action: 'Allow' }]);
  });

  it('simplifies ports per protocol and keeps SCTP', () => {
    const p = convertNetworkPolicy(
      k8sPolicy({
        podSelector: {},
        ingress: [
          {
            ports: [
              { port: 81 },
              { port: 'http' },
              { port: 80 },
              { port: 82, endPort: 90 },
              { port: 9000, protocol: 'SCTP' },
              { port: 53, protocol: 'UDP' },
              { port: 53, protocol: 'UDP' },
            ],
          },
        ],
        policyTypes: ['Ingress'],
      }),
    );
    assert.deepStrictEqual(p.spec?.ingress, [
      { action: 'Allow', protocol: 'SCTP', destination: { ports: [9000] } },
      { action: 'Allow', protocol: 'TCP', destination: { ports: ['http', '80:90'] } },
      { action: 'Allow', protocol: 'UDP', destination: { ports: [53] } },
    ]);
    validate(p);
  });

  it('masks ipBlock host bits as Calico prints CIDRs, and handles IPv6', () => {
    const p = convertNetworkPolicy(
      k8sPolicy({
        podSelector: {},
        egress: [
          {
            to: [
              { ipBlock: { cidr: 'fd00::1/64', except: ['fd00::8:0/112'] } },
              { ipBlock: { cidr: '198.51.100.7/24' } },
            ],
          },
        ],
        policyTypes: ['Egress'],
      }),
    );
    assert.deepStrictEqual(p.spec?.egress, [
      { action: 'Allow', destination: { nets: ['fd00::/64'], notNets: ['fd00::8:0/112'] } },
      { action: 'Allow', destination: { nets: ['198.51.100.0/24'] } },
    ]);
    validate(p);
  });

  it('NotIn and Exists expressions in selectors', () => {
    const p = convertNetworkPolicy(
      k8sPolicy({
        podSelector: {
          matchLabels: { app: 'db' },
          matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['a', 'b'] }],
        },
        ingress: [
          { from: [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] } }] },
        ],
      }),
    );
    assert.equal(p.spec?.selector, `${ORCH} && app == 'db' && tier not in { 'a', 'b' }`);
    assert.deepStrictEqual(p.spec?.ingress, [
      { action: 'Allow', source: { selector: ORCH, namespaceSelector: 'has(team)' } },
    ]);
  });

  it('drops (and reports) rules with a bad CIDR, protocol, port 0 or peer selector; keeps the rest', () => {
    const good = { ports: [{ port: 443 }] };
    const np = k8sPolicy({
      podSelector: {},
      ingress: [
        good,
        { from: [{ ipBlock: { cidr: '192.168.0.0/55' } }] },
        { ports: [{ port: 80, protocol: 'ICMP' }] },
        { ports: [{ port: 0 }] },
        { from: [{ podSelector: { matchExpressions: [{ key: 'k', operator: 'Near' as 'In' }] } }] },
        { ports: [{ port: 'foo', endPort: 90 }] },
      ],
      policyTypes: ['Ingress'],
    });
    let e: K8sConversionError | undefined;
    try {
      convertNetworkPolicy(np);
    } catch (err) {
      if (err instanceof K8sConversionError) e = err;
    }
    assert.ok(e, 'expected a K8sConversionError');
    assert.deepStrictEqual(e.policy.spec?.ingress, [
      { action: 'Allow', protocol: 'TCP', destination: { ports: [443] } },
    ]);
    assert.deepStrictEqual(
      e.badRules.map((b) => b.index),
      [1, 2, 3, 4, 5],
    );
    assert.match(e.badRules[0].reason, /invalid ipBlock cidr "192\.168\.0\.0\/55"/);
    assert.match(e.badRules[1].reason, /invalid protocol "ICMP"/);
    assert.match(e.badRules[2].reason, /invalid port 0: port range invalid/);
    assert.match(e.badRules[3].reason, /podSelector\.matchExpressions\[0\]\.operator/);
    assert.match(e.badRules[4].reason, /invalid port foo:90: invalid name for named port \(foo:90\)/);
    assert.ok(e.hint);
    validate(e.policy);
  });

  it('throws K8sInputError naming the field for malformed objects', () => {
    const cases: [unknown, RegExp][] = [
      [{ metadata: {} }, /metadata\.name/],
      [{ metadata: { name: '' } }, /metadata\.name/],
      [{}, /metadata/],
      [null, /NetworkPolicy object is required/],
      [{ metadata: { name: 'a' }, spec: { ingress: {} } }, /spec\.ingress .*must be a list/],
      [
        {
          metadata: { name: 'a' },
          spec: { podSelector: { matchExpressions: [{ key: 'k', operator: 'In' }] } },
        },
        /spec\.podSelector\.matchExpressions\[0\]\.values/,
      ],
      [
        { metadata: { name: 'a' }, spec: { podSelector: { matchLabels: { 'bad key': 'v' } } } },
        /spec\.podSelector/,
      ],
    ];
    for (const [input, re] of cases) {
      assert.throws(
        () => convertNetworkPolicy(input as K8sNetworkPolicy),
        (e: unknown) => e instanceof K8sInputError && e.code === 'VALIDATION' && re.test(e.message),
        String(re),
      );
    }
  });
});

describe('convertNetworkPolicy: properties', () => {
  const key = fc.constantFrom('app', 'tier', 'team', 'example.com/role');
  const value = fc.constantFrom('a', 'b', 'web', 'db-1');
  const labelSel = fc.record(
    {
      matchLabels: fc.dictionary(key, value, { maxKeys: 3 }),
      matchExpressions: fc.array(
        fc.oneof(
          fc.record({
            key,
            operator: fc.constantFrom('In' as const, 'NotIn' as const),
            values: fc.array(value, { minLength: 1, maxLength: 3 }),
          }),
          fc.record({ key, operator: fc.constantFrom('Exists' as const, 'DoesNotExist' as const) }),
        ),
        { maxLength: 3 },
      ),
    },
    { requiredKeys: [] },
  );
  const port = fc.record(
    {
      protocol: fc.constantFrom('TCP', 'UDP', 'SCTP'),
      port: fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constantFrom('http', 'dns', 'metrics')),
    },
    { requiredKeys: [] },
  );
  const peer = fc.oneof(
    fc.record({ podSelector: labelSel, namespaceSelector: labelSel }, { requiredKeys: [] }),
    fc.record({ ipBlock: fc.constant({ cidr: '198.51.100.0/24', except: ['198.51.100.128/25'] }) }),
  );
  const rule = fc.record(
    { ports: fc.array(port, { maxLength: 4 }), from: fc.array(peer, { maxLength: 3 }) },
    { requiredKeys: [] },
  );
  const egressRule = fc.record(
    { ports: fc.array(port, { maxLength: 4 }), to: fc.array(peer, { maxLength: 3 }) },
    { requiredKeys: [] },
  );
  const policy = fc.record({
    podSelector: labelSel,
    ingress: fc.array(rule, { maxLength: 3 }),
    egress: fc.array(egressRule, { maxLength: 3 }),
    policyTypes: fc.subarray(['Ingress', 'Egress']),
  });

  it('any valid k8s policy converts without dropping rules, validates, and its selectors parse', () => {
    fc.assert(
      fc.property(policy, (spec) => {
        const p = convertNetworkPolicy(k8sPolicy(spec as K8sNetworkPolicySpec));
        validate(p);
        for (const s of selectorsOf(p)) parseSelector(s);
        // protocol × peer expansion: each k8s rule yields (#protocols or 1) × (#peers or 1) rules.
        const expected = (rules: { ports?: { protocol?: string }[]; peers?: unknown[] }[]) =>
          rules.reduce((n, r) => {
            const protos = new Set((r.ports ?? []).map((x) => x.protocol ?? 'TCP')).size || 1;
            return n + protos * (r.peers?.length || 1);
          }, 0);
        assert.equal(
          p.spec?.ingress?.length ?? 0,
          expected(spec.ingress.map((r) => ({ ports: r.ports, peers: r.from }))),
        );
        assert.equal(
          p.spec?.egress?.length ?? 0,
          expected(spec.egress.map((r) => ({ ports: r.ports, peers: r.to }))),
        );
      }),
      { numRuns: 300 },
    );
  });
});
