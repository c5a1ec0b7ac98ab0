/** Rule peers (selectors, AND/OR, ipBlock) and ports (default protocol, ranges, named ports). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  InvalidPolicyError,
  NetpolModel,
  type NetworkPolicySpec,
  type Protocol,
} from '../../helpers/k8s-netpol-model.js';
import { cluster, policy, rows } from './cluster.js';

const POD_A = { matchLabels: { pod: 'a' } };
const NS_Y = { matchLabels: { ns: 'y' } };

function model(specs: NetworkPolicySpec[], ns = 'x') {
  return new NetpolModel(cluster(specs.map((s, i) => policy(ns, `p${i}`, s))));
}

/** Sources allowed into one destination, as `ns/pod` keys. */
function sourcesInto(m: NetpolModel, to: string, port = 80, protocol: Protocol = 'TCP'): string[] {
  return m.state.pods
    .map((p) => `${p.namespace}/${p.name}`)
    .filter((k) => k !== to && m.allowed(k, to, port, protocol));
}

describe('k8s model: peers', () => {
  it('podSelector alone: the policy’s namespace only', () => {
    const m = model([{ podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }]);
    assert.deepEqual(
      m.matrix(80, 'TCP'),
      rows(
        '... ... ...',
        '... ... ...',
        '... ... ...',
        'xxx ... ...',
        'xxx ... ...',
        'xxx ... ...',
        'xxx ... ...',
        'xxx ... ...',
        'xxx ... ...',
      ),
    );
  });

  it('namespaceSelector alone: every pod of the matching namespaces', () => {
    const m = model([{ podSelector: POD_A, ingress: [{ from: [{ namespaceSelector: NS_Y }] }] }]);
    assert.deepEqual(sourcesInto(m, 'x/a'), ['y/a', 'y/b', 'y/c']);
    assert.deepEqual(sourcesInto(m, 'x/b'), ['x/a', 'x/c', 'y/a', 'y/b', 'y/c', 'z/a', 'z/b', 'z/c']);
  });

  it('namespaceSelector by the automatic kubernetes.io/metadata.name label', () => {
    const m = model([
      {
        podSelector: POD_A,
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'z' } } }] }],
      },
    ]);
    assert.deepEqual(sourcesInto(m, 'x/a'), ['z/a', 'z/b', 'z/c']);
  });

  it('namespaceSelector {}: every pod of the cluster, no outside address', () => {
    const m = model([{ podSelector: POD_A, ingress: [{ from: [{ namespaceSelector: {} }] }] }]);
    assert.equal(sourcesInto(m, 'x/a').length, 8);
    assert.equal(m.allowed({ ip: '198.51.100.7' }, 'x/a', 80, 'TCP'), false);
  });

  it('both selectors in one peer: AND; as two peers: OR', () => {
    const and = model([
      {
        podSelector: POD_A,
        ingress: [{ from: [{ namespaceSelector: NS_Y, podSelector: { matchLabels: { pod: 'b' } } }] }],
      },
    ]);
    assert.deepEqual(sourcesInto(and, 'x/a'), ['y/b']);
    const or = model([
      {
        podSelector: POD_A,
        ingress: [{ from: [{ namespaceSelector: NS_Y }, { podSelector: { matchLabels: { pod: 'b' } } }] }],
      },
    ]);
    assert.deepEqual(sourcesInto(or, 'x/a'), ['x/b', 'y/a', 'y/b', 'y/c']);
  });

  it('ipBlock with except, on the pod IPs and on outside addresses', () => {
    // y/b is 203.0.113.21, z/c 203.0.113.32.
    const m = model([
      {
        podSelector: POD_A,
        ingress: [
          { from: [{ ipBlock: { cidr: '203.0.113.0/24', except: ['203.0.113.21/32', '203.0.113.32/32'] } }] },
        ],
      },
    ]);
    assert.deepEqual(sourcesInto(m, 'x/a'), ['x/b', 'x/c', 'y/a', 'y/c', 'z/a', 'z/b']);
    assert.equal(m.allowed({ ip: '203.0.113.99' }, 'x/a', 80, 'TCP'), true);
    assert.equal(m.allowed({ ip: '198.51.100.1' }, 'x/a', 80, 'TCP'), false);
  });

  it('egress to a CIDR', () => {
    const m = model([
      {
        podSelector: POD_A,
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '203.0.113.20/30' } }] }],
      },
    ]);
    const reach = m.state.pods
      .map((p) => `${p.namespace}/${p.name}`)
      .filter((k) => m.allowed('x/a', k, 80, 'TCP'));
    assert.deepEqual(reach, ['x/a', 'y/a', 'y/b', 'y/c']);
    assert.equal(m.allowed('x/a', { ip: '203.0.113.23' }, 80, 'TCP'), true);
    assert.equal(m.allowed('x/a', { ip: '203.0.113.24' }, 80, 'TCP'), false);
  });

  it('empty from / to: everyone, outside addresses too', () => {
    const m = model([
      {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ ports: [{ port: 80 }] }],
        egress: [{}],
      },
    ]);
    assert.equal(m.allowed({ ip: '198.51.100.1' }, 'x/a', 80, 'TCP'), true);
    assert.equal(m.allowed('x/a', { ip: '198.51.100.1' }, 443, 'UDP'), true);
  });
});

describe('k8s model: ports', () => {
  const cases: [string, NetworkPolicySpec['ingress'], [number, Protocol, boolean][]][] = [
    [
      'no ports: all',
      [{}],
      [
        [80, 'TCP', true],
        [81, 'UDP', true],
      ],
    ],
    [
      'protocol defaults to TCP',
      [{ ports: [{ port: 81 }] }],
      [
        [81, 'TCP', true],
        [81, 'UDP', false],
        [80, 'TCP', false],
      ],
    ],
    [
      'protocol without port: every port',
      [{ ports: [{ protocol: 'UDP' }] }],
      [
        [80, 'UDP', true],
        [81, 'UDP', true],
        [80, 'TCP', false],
      ],
    ],
    [
      'UDP only',
      [{ ports: [{ protocol: 'UDP', port: 80 }] }],
      [
        [80, 'UDP', true],
        [80, 'TCP', false],
        [81, 'UDP', false],
      ],
    ],
    [
      'range port..endPort inclusive',
      [{ ports: [{ port: 81, endPort: 1000 }] }],
      [
        [80, 'TCP', false],
        [81, 'TCP', true],
        [1000, 'TCP', true],
        [1001, 'TCP', false],
      ],
    ],
    [
      'range of one',
      [{ ports: [{ port: 80, endPort: 80, protocol: 'UDP' }] }],
      [
        [80, 'UDP', true],
        [81, 'UDP', false],
      ],
    ],
    [
      'named port: name and protocol',
      [{ ports: [{ port: 'serve-81-udp', protocol: 'UDP' }] }],
      [
        [81, 'UDP', true],
        [81, 'TCP', false],
        [80, 'UDP', false],
      ],
    ],
    // The name exists on the pod for UDP only: a TCP rule with it matches nothing.
    [
      'named port, protocol of the rule must match',
      [{ ports: [{ port: 'serve-81-udp' }] }],
      [
        [81, 'TCP', false],
        [81, 'UDP', false],
      ],
    ],
    [
      'ports ORed',
      [{ ports: [{ port: 80 }, { port: 81, protocol: 'UDP' }] }],
      [
        [80, 'TCP', true],
        [81, 'UDP', true],
        [81, 'TCP', false],
      ],
    ],
  ];
  for (const [name, ingress, checks] of cases) {
    it(name, () => {
      const m = model([{ podSelector: {}, ingress }]);
      for (const [port, proto, want] of checks)
        assert.equal(m.allowed('y/a', 'x/a', port, proto), want, `${proto}/${port}`);
    });
  }

  it('a named port resolves per destination pod (x/c has no serve-81-tcp)', () => {
    const m = model([{ podSelector: {}, ingress: [{ ports: [{ port: 'serve-81-tcp' }] }] }]);
    assert.deepEqual(sourcesInto(m, 'x/a', 81), ['x/b', 'x/c', 'y/a', 'y/b', 'y/c', 'z/a', 'z/b', 'z/c']);
    assert.deepEqual(sourcesInto(m, 'x/c', 81), []);
    assert.deepEqual(sourcesInto(m, 'x/a', 80), []);
  });

  it('egress named ports use the destination’s port names, never the source’s', () => {
    // Source x/c has no serve-81-tcp; destinations a and b do.
    const m = model([
      { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'serve-81-tcp' }] }] },
    ]);
    assert.equal(m.allowed('x/c', 'y/a', 81, 'TCP'), true);
    assert.equal(m.allowed('x/c', 'y/c', 81, 'TCP'), false);
    assert.equal(m.allowed('x/a', 'z/b', 81, 'TCP'), true);
    assert.equal(
      m.allowed('x/a', { ip: '198.51.100.1' }, 81, 'TCP'),
      false,
      'an outside address has no named ports',
    );
  });
});

describe('k8s model: invalid policies', () => {
  const bad: [string, NetworkPolicySpec, RegExp][] = [
    ['empty peer', { ingress: [{ from: [{}] }] }, /a peer needs/],
    [
      'ipBlock with a selector',
      { ingress: [{ from: [{ ipBlock: { cidr: '203.0.113.0/24' }, podSelector: {} }] }] },
      /ipBlock cannot be combined/,
    ],
    ['bad CIDR', { egress: [{ to: [{ ipBlock: { cidr: '203.0.113.0' } }] }] }, /invalid CIDR/],
    [
      'endPort with a named port',
      { ingress: [{ ports: [{ port: 'serve-80-tcp', endPort: 90 }] }] },
      /endPort cannot be used/,
    ],
    ['endPort below port', { ingress: [{ ports: [{ port: 90, endPort: 80 }] }] }, /below port/],
    [
      'In without values',
      { podSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } },
      /In needs values/,
    ],
  ];
  for (const [name, spec, re] of bad) {
    it(name, () =>
      assert.throws(
        () => model([spec]),
        (e: unknown) =>
          e instanceof InvalidPolicyError &&
          re.test(e.message) &&
          e.message.startsWith('NetworkPolicy x/p0:'),
      ),
    );
  }
});
