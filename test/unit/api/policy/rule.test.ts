import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { networkPolicyKind as NP } from '../../../../src/api/kinds/networkpolicy.js';
import { globalNetworkPolicyKind as GNP } from '../../../../src/api/kinds/globalnetworkpolicy.js';
import { profileKind } from '../../../../src/api/kinds/profile.js';
import { normaliseRule, type Rule } from '../../../../src/api/kinds/rule.js';
import { assertError, assertOnlyError, assertValid, errorsOf, res } from './helpers.js';

const ingress = (...rules: object[]) => errorsOf(NP, res(NP, 'p', { ingress: rules }));
const egress = (...rules: object[]) => errorsOf(NP, res(NP, 'p', { egress: rules }));

describe('Rule: accepted', () => {
  it('accepts a full-featured ingress rule', () => {
    assertValid(
      NP,
      res(NP, 'p', {
        ingress: [
          {
            action: 'Allow',
            ipVersion: 4,
            protocol: 'TCP',
            source: {
              nets: ['10.0.0.0/8', '192.168.1.5/32'],
              notNets: ['10.1.0.0/16'],
              selector: "role == 'frontend'",
              notSelector: 'has(quarantine)',
              namespaceSelector: "team in {'a', 'b'}",
              ports: [1024, '2000:3000'],
              notPorts: ['2500'],
              serviceAccounts: { names: ['sa1'], selector: "k == 'v'" },
            },
            destination: { ports: [80, 'http'] },
            http: { methods: ['GET', 'PUT'], paths: [{ exact: '/a' }, { prefix: '/b/' }] },
            metadata: { annotations: { 'example.com/why': 'because' } },
          },
          { action: 'Deny', protocol: 'ICMP', icmp: { type: 8, code: 0 } },
          { action: 'Log' },
          { action: 'Pass', protocol: 'ICMPv6', ipVersion: 6, notICMP: { type: 128 } },
          { action: 'Allow', source: { namespaceSelector: 'global()' } },
          { action: 'Allow', source: { services: { name: 'kube-dns', namespace: 'kube-system' } } },
        ],
      }),
    );
  });

  it('accepts named ports without a protocol', () => {
    assert.deepEqual(ingress({ action: 'Allow', destination: { ports: ['http', 'metrics'] } }), []);
  });

  it('accepts numeric protocols that carry ports', () => {
    assert.deepEqual(ingress({ action: 'Allow', protocol: 6, destination: { ports: [80] } }), []);
    assert.deepEqual(ingress({ action: 'Allow', protocol: 'udp', destination: { ports: [53] } }), []);
  });
});

describe('Rule: action, protocol, ICMP', () => {
  it('requires an action from the enum', () => {
    assertOnlyError(ingress({}), 'spec.ingress[0].action', 'must be specified');
    assertOnlyError(ingress({ action: 'allow' }), 'spec.ingress[0].action', 'one of Allow, Deny, Log, Pass');
  });

  it('rejects bad ipVersion and protocols', () => {
    assertOnlyError(ingress({ action: 'Allow', ipVersion: 5 }), 'spec.ingress[0].ipVersion', '4 or 6');
    assertOnlyError(
      ingress({ action: 'Allow', protocol: 0 }),
      'spec.ingress[0].protocol',
      'protocol number invalid',
    );
    assertOnlyError(
      ingress({ action: 'Allow', notProtocol: 'gre' }),
      'spec.ingress[0].notProtocol',
      'protocol name invalid',
    );
  });

  it('rejects an ICMP code without a type', () => {
    assertOnlyError(
      ingress({ action: 'Allow', protocol: 'ICMP', icmp: { code: 3 } }),
      'spec.ingress[0].icmp.code',
      'ICMP code specified without an ICMP type',
    );
    assertOnlyError(
      ingress({ action: 'Allow', protocol: 'ICMP', notICMP: { code: 3 } }),
      'spec.ingress[0].notICMP.code',
      'ICMP code specified without an ICMP type',
    );
  });

  it('bounds ICMP type and code', () => {
    assertOnlyError(
      ingress({ action: 'Allow', protocol: 'ICMP', icmp: { type: 255 } }),
      'spec.ingress[0].icmp.type',
      '0 and 254',
    );
    assertOnlyError(
      ingress({ action: 'Allow', protocol: 'ICMP', icmp: { type: 3, code: 256 } }),
      'spec.ingress[0].icmp.code',
      '0 and 255',
    );
  });

  it('requires an ICMP protocol for icmp matches', () => {
    assertOnlyError(
      ingress({ action: 'Allow', icmp: { type: 8 } }),
      'spec.ingress[0].icmp',
      'must set protocol to ICMP',
    );
    assertOnlyError(
      ingress({ action: 'Allow', protocol: 'TCP', icmp: { type: 8 } }),
      'spec.ingress[0].icmp',
      'must set protocol to ICMP',
    );
    assert.deepEqual(ingress({ action: 'Allow', protocol: 1, icmp: { type: 8 } }), []);
    assert.deepEqual(ingress({ action: 'Allow', protocol: 58, icmp: { type: 128 } }), []);
  });

  it('requires an ICMP protocol for notICMP matches too', () => {
    assertOnlyError(
      ingress({ action: 'Allow', protocol: 'TCP', notICMP: { type: 8 } }),
      'spec.ingress[0].notICMP',
      'must set protocol to ICMP',
    );
    assertOnlyError(
      ingress({ action: 'Allow', notICMP: { type: 8 } }),
      'spec.ingress[0].notICMP',
      'must set protocol to ICMP',
    );
    assertOnlyError(
      ingress({ action: 'Allow', notProtocol: 'ICMP', notICMP: { type: 8 } }),
      'spec.ingress[0].notICMP',
      'must set protocol to ICMP',
    );
    assert.deepEqual(ingress({ action: 'Deny', protocol: 'ICMP', notICMP: { type: 8, code: 0 } }), []);
  });

  it('requires ipVersion to agree with ICMP / ICMPv6', () => {
    assertOnlyError(
      ingress({ action: 'Allow', protocol: 'ICMP', ipVersion: 6 }),
      'spec.ingress[0].ipVersion',
      "ipversion to '4'",
    );
    assertOnlyError(
      ingress({ action: 'Allow', notProtocol: 'ICMPv6', ipVersion: 4 }),
      'spec.ingress[0].ipVersion',
      "ipversion to '6'",
    );
  });
});

describe('Rule: ports', () => {
  it('rejects numeric ports without a protocol, at the port', () => {
    assertOnlyError(
      ingress({ action: 'Allow', destination: { ports: ['http', 80] } }),
      'spec.ingress[0].destination.ports[1]',
      'rules with numeric port or port range must set protocol to TCP or UDP or SCTP',
    );
    assertOnlyError(
      egress({ action: 'Allow', source: { notPorts: ['1:2'] } }),
      'spec.egress[0].source.notPorts[0]',
      'must set protocol to TCP or UDP or SCTP',
    );
  });

  it('rejects any ports with a protocol that has none', () => {
    assertOnlyError(
      ingress({ action: 'Allow', protocol: 'ICMP', destination: { ports: ['http'] } }),
      'spec.ingress[0].destination.ports',
      'rules that specify ports must set protocol to TCP or UDP or SCTP',
    );
  });

  it('reports a reversed range at the entry with the exact message', () => {
    assertOnlyError(
      ingress({ action: 'Allow', protocol: 'TCP', destination: { ports: [80, '2000:1000'] } }),
      'spec.ingress[0].destination.ports[1]',
      'minimum port number (2000) is greater than maximum port number (1000) in port range',
    );
  });

  it('rejects port 0 and more than 50 ports', () => {
    assertOnlyError(
      ingress({ action: 'Allow', protocol: 'TCP', destination: { ports: [0] } }),
      'spec.ingress[0].destination.ports[0]',
      'between 1 and 65535',
    );
    const many = Array.from({ length: 51 }, (_, i) => i + 1);
    assertOnlyError(
      ingress({ action: 'Allow', protocol: 'TCP', source: { ports: many } }),
      'spec.ingress[0].source.ports',
      'max 50',
    );
  });
});

describe('Rule: nets', () => {
  it('rejects IPv4 and IPv6 CIDRs in one rule', () => {
    const errs = ingress({
      action: 'Allow',
      source: { nets: ['10.0.0.0/8'] },
      destination: { nets: ['fd00::/64'] },
    });
    assertOnlyError(errs, 'spec.ingress[0].destination.nets', 'rule contains both IPv4 and IPv6 CIDRs');
    assertOnlyError(
      ingress({ action: 'Allow', source: { nets: ['10.0.0.0/8', 'fd00::/64'] } }),
      'spec.ingress[0].source.nets',
      'both IPv4 and IPv6',
    );
  });

  it('rejects a CIDR of the other family than ipVersion', () => {
    assertOnlyError(
      ingress({ action: 'Allow', ipVersion: 6, source: { notNets: ['10.0.0.0/8'] } }),
      'spec.ingress[0].source.notNets',
      "rule IP version doesn't match CIDR version",
    );
  });

  it('rejects a catch-all CIDR in notNets', () => {
    assertOnlyError(
      ingress({ action: 'Allow', source: { notNets: ['10.0.0.0/8', '0.0.0.0/0'] } }),
      'spec.ingress[0].source.notNets[1]',
      'catch-all CIDR in negation creates logical contradiction (matches no traffic)',
    );
    assertOnlyError(
      egress({ action: 'Deny', destination: { notNets: ['::/0'] } }),
      'spec.egress[0].destination.notNets[0]',
      'catch-all',
    );
    assert.deepEqual(ingress({ action: 'Allow', source: { nets: ['0.0.0.0/0'] } }), []);
  });

  it('rejects bare IPs, garbage and unmasked networks', () => {
    assertOnlyError(
      ingress({ action: 'Allow', source: { nets: ['10.0.0.1'] } }),
      'spec.ingress[0].source.nets[0]',
      'invalid CIDR',
    );
    assertOnlyError(
      ingress({ action: 'Allow', source: { nets: ['nope/8'] } }),
      'spec.ingress[0].source.nets[0]',
      'invalid CIDR',
    );
    assertOnlyError(
      ingress({ action: 'Allow', source: { nets: ['10.0.0.1/8'] } }),
      'spec.ingress[0].source.nets[0]',
      'not strictly masked',
    );
  });
});

describe('Rule: selectors, services, HTTP', () => {
  it('rejects an unparseable selector', () => {
    assertOnlyError(
      ingress({ action: 'Allow', source: { selector: 'role ==' } }),
      'spec.ingress[0].source.selector',
      'invalid selector',
    );
  });

  it('allows global() only alone in namespaceSelector', () => {
    assertOnlyError(
      ingress({ action: 'Allow', source: { namespaceSelector: "global() && a == 'b'" } }),
      'spec.ingress[0].source.namespaceSelector',
      'global() cannot be combined with other selectors',
    );
    assertOnlyError(
      ingress({ action: 'Allow', source: { selector: 'global()' } }),
      'spec.ingress[0].source.selector',
      'global()',
    );
  });

  it('keeps services apart from other entity matches', () => {
    const errs = egress({
      action: 'Allow',
      destination: { services: { name: 'svc' }, selector: "a == 'b'", nets: ['10.0.0.0/8'], ports: ['http'] },
    });
    assertError(errs, 'spec.egress[0].destination.services', 'Selector/NotSelector and Services');
    assertError(errs, 'spec.egress[0].destination.services', 'Nets/NotNets and Services');
    assertError(errs, 'spec.egress[0].destination.ports', 'cannot specify ports with a service selector');
    assertOnlyError(
      egress({ action: 'Allow', destination: { services: { namespace: 'x' } } }),
      'spec.egress[0].destination.services.name',
      'must specify a service name',
    );
  });

  it('allows services only in ingress source and egress destination', () => {
    assertOnlyError(
      egress({ action: 'Allow', source: { services: { name: 's' } } }),
      'spec.egress[0].source.services',
      'not allowed in egress rule source',
    );
    assertOnlyError(
      ingress({ action: 'Allow', destination: { services: { name: 's' } } }),
      'spec.ingress[0].destination.services',
      'not allowed in ingress rule destination',
    );
  });

  it('requires a service namespace in global policies', () => {
    const errs = errorsOf(
      GNP,
      res(GNP, 'g', { egress: [{ action: 'Allow', destination: { services: { name: 's' } } }] }),
    );
    assertOnlyError(errs, 'spec.egress[0].destination.services.namespace', 'must specify a namespace');
  });

  it('limits HTTP matches', () => {
    assertOnlyError(
      ingress({ action: 'Deny', http: { methods: ['GET'] } }),
      'spec.ingress[0].http',
      'only valid for Allow rules',
    );
    assertOnlyError(
      egress({ action: 'Allow', http: { methods: ['GET'] } }),
      'spec.egress[0].http',
      'not allowed in egress rule',
    );
    assertOnlyError(
      ingress({ action: 'Allow', protocol: 'UDP', http: { methods: ['GET'] } }),
      'spec.ingress[0].protocol',
      'TCP or empty',
    );
    assertOnlyError(
      ingress({ action: 'Allow', http: { methods: ['GET', 'GET'] } }),
      'spec.ingress[0].http.methods',
      'duplicates',
    );
    assertOnlyError(
      ingress({ action: 'Allow', http: { paths: [{ exact: '/a', prefix: '/b' }] } }),
      'spec.ingress[0].http.paths[0]',
      'Both',
    );
    assertOnlyError(
      ingress({ action: 'Allow', http: { paths: [{ exact: 'a?b' }] } }),
      'spec.ingress[0].http.paths[0]',
      'must start with',
    );
  });

  it('checks rule annotations', () => {
    assertOnlyError(
      ingress({ action: 'Allow', metadata: { annotations: { 'bad key!': 'x' } } }),
      'spec.ingress[0].metadata.annotations["bad key!"]',
      'invalid annotation key',
    );
  });
});

describe('Rule: profiles and normalisation', () => {
  it('applies rule checks in profiles, without the policy direction limits', () => {
    const p = (spec: object) => errorsOf(profileKind, res(profileKind, 'p', spec));
    assertOnlyError(
      p({ egress: [{ action: 'Allow', destination: { ports: [80] } }] }),
      'spec.egress[0].destination.ports[0]',
      'must set protocol',
    );
    assert.deepEqual(p({ egress: [{ action: 'Allow', http: { methods: ['GET'] } }] }), []);
  });

  it('normalises protocols and ports, and drops empty entities', () => {
    const r = normaliseRule({
      action: 'Allow',
      protocol: 'tcp',
      notProtocol: '17',
      source: {},
      destination: { ports: ['80', '1:2', 'http'] },
    } as Rule);
    assert.deepEqual(r, {
      action: 'Allow',
      protocol: 'TCP',
      notProtocol: 17,
      destination: { ports: [80, '1:2', 'http'] },
    });
  });
});
