import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostEndpointKind as HEP } from '../../../../src/api/kinds/hostendpoint.js';
import { workloadEndpointKind as WEP } from '../../../../src/api/kinds/workloadendpoint.js';
import {
  parseWorkloadEndpointName,
  splitWorkloadEndpointName,
  workloadEndpointName,
  workloadEndpointNameMatches,
  workloadEndpointNamePrefix,
} from '../../../../src/api/workload-endpoint-name.js';
import { ValidationError } from '../../../../src/errors/index.js';
import { assertError, assertOnlyError, assertValid, errorsOf, res } from './helpers.js';

describe('WorkloadEndpoint names', () => {
  it('computes names per orchestrator, doubling dashes inside segments', () => {
    assert.equal(
      workloadEndpointName({ node: 'node-1', orchestrator: 'k8s', pod: 'web-0', endpoint: 'eth0' }),
      'node--1-k8s-web--0-eth0',
    );
    assert.equal(
      workloadEndpointName({ node: 'host1', orchestrator: 'cni', containerID: 'abc-123', endpoint: 'eth0' }),
      'host1-cni-abc--123-eth0',
    );
    assert.equal(
      workloadEndpointName({ node: 'host1', orchestrator: 'libnetwork', endpoint: 'ep-1' }),
      'host1-libnetwork-libnetwork-ep--1',
    );
    assert.equal(
      workloadEndpointName({ node: 'h', orchestrator: 'openstack', workload: 'vm-7', endpoint: 'tap0' }),
      'h-openstack-vm--7-tap0',
    );
  });

  it('names the missing or malformed identifier', () => {
    const fieldOf = (ids: object) => {
      try {
        workloadEndpointName(ids);
      } catch (e) {
        assert.ok(e instanceof ValidationError);
        return [e.fields[0].field, e.fields[0].reason];
      }
      return undefined;
    };
    assert.deepEqual(fieldOf({ orchestrator: 'k8s' }), ['spec.node', 'field should be assigned']);
    assert.deepEqual(fieldOf({ node: 'n', orchestrator: 'k8s', endpoint: 'eth0' }), [
      'spec.pod',
      'field should be assigned',
    ]);
    assert.deepEqual(fieldOf({ node: 'n', orchestrator: 'k8s', pod: '-p', endpoint: 'e' }), [
      'spec.pod',
      "field must not begin with a '-'",
    ]);
    assert.deepEqual(fieldOf({ node: 'n-', orchestrator: 'k8s', pod: 'p', endpoint: 'e' }), [
      'spec.node',
      "field must not end with a '-'",
    ]);
  });

  it('builds list prefixes and filters over-selection', () => {
    assert.equal(workloadEndpointNamePrefix({ node: 'node-1', orchestrator: 'k8s' }), 'node--1-k8s-');
    assert.equal(workloadEndpointNamePrefix({ node: 'n', orchestrator: 'k8s', pod: 'web' }), 'n-k8s-web-');
    assert.ok(workloadEndpointNameMatches({ node: 'n', orchestrator: 'k8s', pod: 'web' }, 'n-k8s-web-eth0'));
    assert.ok(
      !workloadEndpointNameMatches({ node: 'n', orchestrator: 'k8s', pod: 'web' }, 'n-k8s-web--1-eth0'),
    );
  });

  it('parses names back into identifiers', () => {
    assert.deepEqual(splitWorkloadEndpointName('node--1-k8s-web--0-eth0'), [
      'node-1',
      'k8s',
      'web-0',
      'eth0',
    ]);
    assert.deepEqual(parseWorkloadEndpointName('node--1-k8s-web--0-eth0'), {
      node: 'node-1',
      orchestrator: 'k8s',
      pod: 'web-0',
      endpoint: 'eth0',
    });
    assert.deepEqual(parseWorkloadEndpointName('h-cni-abc--1'), {
      node: 'h',
      orchestrator: 'cni',
      containerID: 'abc-1',
    });
    assert.deepEqual(parseWorkloadEndpointName('h-libnetwork-libnetwork-ep'), {
      node: 'h',
      orchestrator: 'libnetwork',
      endpoint: 'ep',
    });
    assert.throws(
      () => parseWorkloadEndpointName('a-k8s-b-c-d'),
      /verify that WorkloadEndpoint name is correct/,
    );
    assert.throws(() => parseWorkloadEndpointName(''), /empty/);
  });
});

const wepSpec = {
  orchestrator: 'k8s',
  node: 'node-1',
  pod: 'web-0',
  endpoint: 'eth0',
  interfaceName: 'cali0123456789a',
  ipNetworks: ['10.65.0.5/32', 'fd00::5/128'],
  profiles: ['kns.default', 'ksa.default.default'],
  mac: 'ee:ee:ee:ee:ee:ee',
  serviceAccountName: 'default',
  ipv4Gateway: '169.254.1.1',
  ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
};

describe('WorkloadEndpoint', () => {
  it('fills an empty name and forces the namespace and orchestrator labels', () => {
    const r = res(WEP, undefined, wepSpec);
    r.metadata.labels = { app: 'web', 'projectcalico.org/namespace': 'spoofed' };
    const out = WEP.defaults(r);
    assert.equal(out.metadata.name, 'node--1-k8s-web--0-eth0');
    assert.deepEqual(out.metadata.labels, {
      app: 'web',
      'projectcalico.org/namespace': 'default',
      'projectcalico.org/orchestrator': 'k8s',
    });
    assert.deepEqual(errorsOf(WEP, out, { defaults: false }), []);
  });

  it('rejects a name that does not match the spec', () => {
    assertOnlyError(
      errorsOf(WEP, res(WEP, 'node-1-k8s-web-0-eth0', wepSpec)),
      'metadata.name',
      'the WorkloadEndpoint name does not match the primary identifiers assigned in the Spec: expected name node--1-k8s-web--0-eth0',
    );
    assertValid(WEP, res(WEP, 'node--1-k8s-web--0-eth0', wepSpec));
  });

  it('reports missing identifiers at their spec field', () => {
    const { pod: _pod, ...spec } = wepSpec;
    assertOnlyError(errorsOf(WEP, res(WEP, 'x', spec)), 'spec.pod', 'field should be assigned');
  });

  it('validates addresses, NATs, gateways, MAC and interface', () => {
    const errs = errorsOf(
      WEP,
      res(WEP, undefined, {
        ...wepSpec,
        ipNetworks: ['10.65.0.0/24', 'bogus'],
        ipNATs: [{ internalIP: '10.66.0.1', externalIP: 'fd00::1' }],
        ipv4Gateway: 'fd00::1',
        ipv6Gateway: '10.0.0.1',
        mac: 'zz',
        interfaceName: 'this-name-is-far-too-long',
        containerID: '-bad',
      }),
    );
    assertError(errs, 'spec.ipNetworks[0]', 'IP network contains multiple addresses');
    assertError(errs, 'spec.ipNetworks[1]', 'invalid CIDR');
    assertError(errs, 'spec.ipNATs[0].externalIP', 'mismatched IP versions');
    assertError(errs, 'spec.ipNATs', 'NAT is not in the endpoint networks');
    assertError(errs, 'spec.ipv4Gateway', 'IPv4');
    assertError(errs, 'spec.ipv6Gateway', 'IPv6');
    assertError(errs, 'spec.mac', 'invalid MAC address');
    assertError(errs, 'spec.interfaceName', 'interface name');
    assertError(errs, 'spec.containerID', 'must match');
    assert.deepEqual(
      errorsOf(
        WEP,
        res(WEP, undefined, { ...wepSpec, ipNATs: [{ internalIP: '10.65.0.5', externalIP: '172.16.0.5' }] }),
      ),
      [],
    );
  });

  it('validates ports and QoS controls', () => {
    const errs = errorsOf(
      WEP,
      res(WEP, undefined, {
        ...wepSpec,
        ports: [
          { protocol: 'ICMP', port: 0 },
          { protocol: 'UDP', port: 53, hostPort: 5353 },
        ],
        qosControls: { ingressBandwidth: 10, egressPacketRate: 100, dscp: 'EF' },
      }),
    );
    assertError(errs, 'spec.ports[0].name', 'must not be empty if no HostPort');
    assertError(errs, 'spec.ports[0].protocol', 'WorkloadEndpointPort protocol does not support ports.');
    assertError(errs, 'spec.ports[0].port', 'between 1 and 65535');
    assertOnlyError(
      errs.filter((e) => e.field.startsWith('spec.qos')),
      'spec.qosControls.ingressBandwidth',
      'between 1000',
    );
    assert.equal(errs.length, 4);
  });
});

describe('HostEndpoint', () => {
  it('accepts interface and expected-IP forms', () => {
    assertValid(
      HEP,
      res(HEP, 'h1-eth0', { node: 'h1', interfaceName: 'eth0', profiles: ['projectcalico-default-allow'] }),
    );
    assertValid(
      HEP,
      res(HEP, 'h1-all', { node: 'h1', interfaceName: '*', expectedIPs: ['10.0.0.1', 'fd00::1'] }),
    );
    assertValid(
      HEP,
      res(HEP, 'h1-ips', {
        node: 'h1',
        expectedIPs: ['10.0.0.1'],
        ports: [{ name: 'ssh', protocol: 'tcp', port: 22 }],
      }),
    );
  });

  it('requires a node and an interface or expected IPs', () => {
    const errs = errorsOf(HEP, res(HEP, 'h', {}));
    assertError(errs, 'spec.node', 'no node has been specified');
    assertError(errs, 'spec.interfaceName', 'no interface or expected IPs have been specified');
    assert.equal(errs.length, 2);
  });

  it('rejects bad IPs, interface names and ports', () => {
    const errs = errorsOf(
      HEP,
      res(HEP, 'h', {
        node: 'h1',
        interfaceName: 'eth 0',
        expectedIPs: ['10.0.0.0/8'],
        ports: [{ name: 'Web', protocol: 'ICMP', port: 70000 }],
      }),
    );
    assertError(errs, 'spec.interfaceName', 'interface name');
    assertError(errs, 'spec.expectedIPs[0]', 'invalid IP address');
    assertError(errs, 'spec.ports[0].name', 'alpha-numeric');
    assertError(errs, 'spec.ports[0].protocol', 'EndpointPort protocol does not support ports.');
    assertError(errs, 'spec.ports[0].port', 'between 1 and 65535');
  });

  it('normalises port protocols', () => {
    const out = HEP.defaults(
      res(HEP, 'h', {
        node: 'h1',
        interfaceName: 'eth0',
        ports: [{ name: 'dns', protocol: 'udp', port: 53 }],
      }),
    );
    assert.deepEqual(out.spec?.ports, [{ name: 'dns', protocol: 'UDP', port: 53 }]);
  });
});
