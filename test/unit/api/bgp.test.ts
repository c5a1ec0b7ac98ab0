import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, type Resource } from '../../../src/api/index.js';
import { assertRejects, assertValid, errorsOf, res } from './helpers.js';

describe('Node', () => {
  const node = (spec: object, status?: Record<string, unknown>): Resource => ({
    ...res('Node', 'node1', spec),
    ...(status ? { status } : {}),
  });

  it('accepts a full node and normalises the AS number', () => {
    const n = node({
      bgp: {
        asNumber: '1.10',
        ipv4Address: '10.0.0.5/24',
        ipv6Address: 'fd00::5/64',
        ipv4IPIPTunnelAddr: '10.244.1.1',
        routeReflectorClusterID: '224.0.0.1',
      },
      ipv4VXLANTunnelAddr: '10.244.1.0',
      vxlanTunnelMACAddr: '66:aa:bb:cc:dd:ee',
      ipv6VXLANTunnelAddr: 'fd00:244::1',
      orchRefs: [{ nodeName: 'k8s-node1', orchestrator: 'k8s' }],
      wireguard: { interfaceIPv4Address: '10.244.1.2' },
      addresses: [
        { address: '10.0.0.5', type: 'InternalIP' },
        { address: '10.0.0.0/24', type: 'CalicoNodeIP' },
      ],
      interfaces: [{ name: 'eth0', addresses: ['10.0.0.5/24'] }],
    });
    assertValid(n);
    assert.equal((applyDefaults(n).spec as { bgp: { asNumber: number } }).bgp.asNumber, 65546);
  });

  it('accepts a node with only a route reflector cluster id', () => {
    assertValid(node({ bgp: { ipv4Address: '192.168.1.10/24', routeReflectorClusterID: '224.0.0.1' } }));
  });

  it('rejects an empty bgp section and bad addresses', () => {
    assertRejects(node({ bgp: {} }), 'spec.bgp', 'Spec.BGP should not be empty');
    assertRejects(node({ bgp: { asNumber: 'x' } }), 'spec.bgp.asNumber', 'AS number');
    assertRejects(
      node({ bgp: { ipv4Address: 'fd00::1/64' } }),
      'spec.bgp.ipv4Address',
      'must be an IPv4 CIDR',
    );
    assertRejects(
      node({ bgp: { ipv6Address: '10.0.0.1/24' } }),
      'spec.bgp.ipv6Address',
      'must be an IPv6 CIDR',
    );
    assertRejects(node({ bgp: { ipv4Address: '10.0.0.1/33' } }), 'spec.bgp.ipv4Address', 'invalid IPv4 CIDR');
    assertRejects(
      node({ bgp: { ipv4IPIPTunnelAddr: '10.0.0.1/32' } }),
      'spec.bgp.ipv4IPIPTunnelAddr',
      'IPv4 address',
    );
    assertRejects(
      node({ bgp: { routeReflectorClusterID: 'fd00::1' } }),
      'spec.bgp.routeReflectorClusterID',
      'IPv4 address',
    );
    assertRejects(node({ ipv4VXLANTunnelAddr: 'fd00::1' }), 'spec.ipv4VXLANTunnelAddr', 'IPv4 address');
    assertRejects(node({ ipv6VXLANTunnelAddr: '10.0.0.1' }), 'spec.ipv6VXLANTunnelAddr', 'IPv6 address');
    assertRejects(node({ vxlanTunnelMACAddr: 'zz:zz' }), 'spec.vxlanTunnelMACAddr', 'invalid MAC address');
    assertRejects(
      node({ wireguard: { interfaceIPv6Address: '10.0.0.1' } }),
      'spec.wireguard.interfaceIPv6Address',
      'IPv6',
    );
    assertRejects(
      node({ addresses: [{ address: '10.0.0.5/24' }] }),
      'spec.addresses[0].address',
      'not strictly masked',
    );
    assertRejects(
      node({ addresses: [{ address: '10.0.0.5', type: 'Public' }] }),
      'spec.addresses[0].type',
      'must be one of',
    );
    assertRejects(node({ interfaces: [{ name: 'Eth0' }] }), 'spec.interfaces[0].name', 'lower case');
    assertRejects(
      node({}, { wireguardPublicKey: 'short' }),
      'status.wireguardPublicKey',
      'WireGuard public key',
    );
    assertValid(node({}, { wireguardPublicKey: 'yBw4Ra3OFkX1ciJGeOUCm3aVQjL4U1pw+kD0EN2IoVs=' }));
  });
});

describe('BGPPeer', () => {
  const peer = (spec: object, name = 'peer') => res('BGPPeer', name, spec);

  it('accepts the common shapes', () => {
    assertValid(peer({ peerIP: '192.168.1.1', asNumber: 64513 }));
    assertValid(peer({ node: 'node1', peerIP: '192.168.1.1:1790', asNumber: '64513' }));
    assertValid(
      peer({
        nodeSelector: 'rack == "a"',
        peerIP: '[fd00::1]:179',
        asNumber: 65000,
        reachableBy: 'fd00::fe',
      }),
    );
    assertValid(peer({ peerSelector: 'has(rr)' }));
    assertValid(
      peer({
        peerIP: '10.0.0.1',
        asNumber: 64513,
        localASNumber: '1.1',
        nextHopMode: 'Self',
        password: { secretKeyRef: { name: 'bgp-secrets', key: 'peer' } },
        sourceAddress: 'None',
        maxRestartTime: '120s',
        keepaliveTime: '30s',
        numAllowedLocalASNumbers: 2,
        ttlSecurity: 1,
        filters: ['export-only'],
        reversePeering: 'Manual',
      }),
    );
    assertValid(peer({ localWorkloadSelector: 'app == "bgp"', asNumber: 65001 }));
  });

  it('normalises AS numbers to plain numbers', () => {
    const d = applyDefaults(peer({ peerIP: '10.0.0.1', asNumber: '1.10', localASNumber: '64512' }));
    assert.deepEqual(d.spec, { peerIP: '10.0.0.1', asNumber: 65546, localASNumber: 64512 });
  });

  it('checks field formats', () => {
    assertRejects(peer({ node: 'Node_1' }), 'spec.node', 'lower case');
    assertRejects(peer({ nodeSelector: 'has(' }), 'spec.nodeSelector', 'invalid selector');
    assertRejects(peer({ peerSelector: '!!!' }), 'spec.peerSelector', 'invalid selector');
    for (const bad of [
      '10.0.0',
      '10.0.0.1:0',
      '10.0.0.1:70000',
      'fd00::1:179x',
      '[10.0.0.1]:179',
      'peer.example.com',
    ]) {
      assertRejects(peer({ peerIP: bad, asNumber: 1 }), 'spec.peerIP', 'must be an IP address');
    }
    assertRejects(peer({ peerIP: `${'1'.repeat(65)}` }), 'spec.peerIP', 'no more than 64 characters');
    assertRejects(peer({ peerIP: '10.0.0.1', asNumber: '70000.1' }), 'spec.asNumber', 'AS number');
    assertRejects(
      peer({ peerIP: '10.0.0.1', asNumber: 1, localASNumber: -5 }),
      'spec.localASNumber',
      'AS number',
    );
    assertRejects(peer({ nextHopMode: 'Other' }), 'spec.nextHopMode', 'must be one of: Auto, Self, Keep');
    assertRejects(peer({ sourceAddress: 'NodeIP' }), 'spec.sourceAddress', 'must be one of: UseNodeIP, None');
    assertRejects(peer({ maxRestartTime: '2 minutes' }), 'spec.maxRestartTime', 'duration');
    assertRejects(peer({ keepaliveTime: '5' }), 'spec.keepaliveTime', 'duration');
    assertRejects(peer({ ttlSecurity: 256 }), 'spec.ttlSecurity', 'between 0 and 255');
    assertRejects(peer({ filters: ['Bad Filter'] }), 'spec.filters[0]', 'lower case');
    assertRejects(peer({ reversePeering: 'auto' }), 'spec.reversePeering', 'must be one of: Auto, Manual');
    assertRejects(
      peer({ password: { secretKeyRef: { name: 's' } } }),
      'spec.password.secretKeyRef.key',
      'must be specified',
    );
  });

  it('enforces the mutual exclusions', () => {
    assertRejects(
      peer({ node: 'n1', nodeSelector: 'all()' }),
      'spec.nodeSelector',
      'node and nodeSelector cannot both be set',
    );
    assertRejects(
      peer({ peerIP: '10.0.0.1', peerSelector: 'has(rr)' }),
      'spec.peerSelector',
      'peerIP and peerSelector cannot both be set',
    );
    assertRejects(
      peer({ peerSelector: 'has(rr)', asNumber: 64512 }),
      'spec.asNumber',
      'asNumber must be empty when peerSelector is set',
    );
    assertRejects(
      peer({ localWorkloadSelector: 'a == "b"' }),
      'spec.asNumber',
      'asNumber is required when localWorkloadSelector is set',
    );
    assertRejects(
      peer({ localWorkloadSelector: 'a == "b"', asNumber: 1, peerIP: '10.0.0.1' }),
      'spec.peerIP',
      'peerIP must be empty when localWorkloadSelector is set',
    );
    assertRejects(
      peer({ localWorkloadSelector: 'a == "b"', asNumber: 1, peerSelector: 'has(x)' }),
      'spec.peerSelector',
      'peerSelector must be empty when localWorkloadSelector is set',
    );
    assertRejects(
      peer({ keepOriginalNextHop: true, nextHopMode: 'Keep' }),
      'spec.keepOriginalNextHop',
      'cannot both be set',
    );
    assertValid(peer({ keepOriginalNextHop: true, peerIP: '10.0.0.1', asNumber: 1 }));
  });

  it('checks reachableBy', () => {
    assertRejects(
      peer({ reachableBy: '10.0.0.1' }),
      'spec.reachableBy',
      'reachableBy must be empty when peerIP is empty',
    );
    assertRejects(
      peer({ peerIP: '10.0.0.1', asNumber: 1, reachableBy: 'x' }),
      'spec.reachableBy',
      'invalid IP address',
    );
    assertRejects(
      peer({ peerIP: '10.0.0.1:179', asNumber: 1, reachableBy: 'fd00::1' }),
      'spec.reachableBy',
      'ReachableBy and PeerIP address family mismatched',
    );
    assertValid(peer({ peerIP: '10.0.0.1:179', asNumber: 1, reachableBy: '10.0.0.254' }));
  });
});

describe('BGPConfiguration', () => {
  const cfg = (spec: object, name = 'default') => res('BGPConfiguration', name, spec);

  it('defaults logSeverityScreen and serviceLoadBalancerAggregation only when absent', () => {
    assert.deepEqual(applyDefaults(cfg({})).spec, {
      logSeverityScreen: 'Info',
      serviceLoadBalancerAggregation: 'Enabled',
    });
    assert.deepEqual(applyDefaults(cfg({ logSeverityScreen: 'debug', asNumber: '1.1' })).spec, {
      logSeverityScreen: 'debug',
      asNumber: 65537,
      serviceLoadBalancerAggregation: 'Enabled',
    });
  });

  it('accepts a full default configuration', () => {
    assertValid(
      cfg({
        logSeverityScreen: 'Warning',
        nodeToNodeMeshEnabled: true,
        asNumber: 64512,
        serviceClusterIPs: [{ cidr: '10.96.0.0/12' }],
        serviceExternalIPs: [{ cidr: '104.244.42.129/32' }, { cidr: '172.217.3.0' }],
        serviceLoadBalancerIPs: [{ cidr: 'fd00:1::/112' }],
        serviceLoadBalancerAggregation: 'Disabled',
        communities: [
          { name: 'bgp-large', value: '4294967295:1:2' },
          { name: 'std', value: '65535:100' },
        ],
        prefixAdvertisements: [{ cidr: '172.218.4.0/26', communities: ['bgp-large', '100:200'] }],
        listenPort: 1790,
        nodeMeshPassword: { secretKeyRef: { name: 'bgp', key: 'mesh' } },
        nodeMeshMaxRestartTime: '2m',
        bindMode: 'NodeIP',
        ignoredInterfaces: ['iface-*', 'eth1'],
        localWorkloadPeeringIPV4: '169.254.0.179',
        localWorkloadPeeringIPV6: 'fe80::179',
        programClusterRoutes: 'Enabled',
        ipv4NormalRoutePriority: 1024,
      }),
    );
  });

  it('allows only per-node fields on non-default configurations', () => {
    assertValid(cfg({ listenPort: 178, logSeverityScreen: 'Debug' }, 'node.node1'));
    const fields: [string, unknown, string][] = [
      ['nodeToNodeMeshEnabled', false, 'nodeToNodeMeshEnabled'],
      ['asNumber', 64512, 'ASNumber'],
      ['serviceLoadBalancerIPs', [{ cidr: '10.0.0.0/24' }], 'ServiceLoadBalancerIPs'],
      ['serviceExternalIPs', [{ cidr: '10.0.0.0/24' }], 'ServiceExternalIPs'],
      ['serviceClusterIPs', [{ cidr: '10.0.0.0/24' }], 'ServiceClusterIPs'],
      ['nodeMeshPassword', { secretKeyRef: { name: 'a', key: 'b' } }, 'nodeMeshPassword'],
      ['nodeMeshMaxRestartTime', '1m', 'nodeMeshMaxRestartTime'],
    ];
    for (const [field, value, label] of fields) {
      assertRejects(
        cfg({ [field]: value }, 'node.node1'),
        `spec.${field}`,
        `Cannot set ${label} on a non default BGP Configuration.`,
      );
    }
    assertValid(cfg({ serviceClusterIPs: [] }, 'node.node1'));
  });

  it('checks enums, CIDRs, ports and interfaces', () => {
    assertRejects(cfg({ logSeverityScreen: 'Verbose' }), 'spec.logSeverityScreen', 'must be one of');
    assertValid(cfg({ logSeverityScreen: 'trace' }));
    assertRejects(cfg({ asNumber: 'a.b' }), 'spec.asNumber', 'AS number');
    assertRejects(
      cfg({ serviceClusterIPs: [{ cidr: '10.96.0.1/12' }] }),
      'spec.serviceClusterIPs[0].cidr',
      'not strictly masked',
    );
    assertRejects(
      cfg({ serviceExternalIPs: [{ cidr: 'x' }] }),
      'spec.serviceExternalIPs[0].cidr',
      'invalid CIDR',
    );
    assertRejects(
      cfg({ serviceLoadBalancerAggregation: 'On' }),
      'spec.serviceLoadBalancerAggregation',
      'must be one of',
    );
    assertRejects(cfg({ listenPort: 0 }), 'spec.listenPort', 'between 1 and 65535');
    assertRejects(cfg({ listenPort: 65536 }), 'spec.listenPort', 'between 1 and 65535');
    assertRejects(cfg({ bindMode: 'All' }), 'spec.bindMode', 'must be one of: None, NodeIP');
    assertRejects(cfg({ ignoredInterfaces: ['*'] }), 'spec.ignoredInterfaces[0]', "not '*'");
    assertRejects(
      cfg({ ignoredInterfaces: ['way-too-long-interface'] }),
      'spec.ignoredInterfaces[0]',
      'interface',
    );
    assertRejects(cfg({ localWorkloadPeeringIPV4: 'fe80::1' }), 'spec.localWorkloadPeeringIPV4', 'IPv4');
    assertRejects(cfg({ localWorkloadPeeringIPV6: '10.0.0.1' }), 'spec.localWorkloadPeeringIPV6', 'IPv6');
    assertRejects(cfg({ programClusterRoutes: 'Yes' }), 'spec.programClusterRoutes', 'must be one of');
    assertRejects(
      cfg({ ipv4NormalRoutePriority: 0 }),
      'spec.ipv4NormalRoutePriority',
      'between 1 and 2147483646',
    );
    assertRejects(cfg({ nodeMeshMaxRestartTime: '1 minute' }), 'spec.nodeMeshMaxRestartTime', 'duration');
  });

  it('checks mesh-only settings against a disabled mesh', () => {
    assertRejects(
      cfg({ nodeToNodeMeshEnabled: false, nodeMeshPassword: { secretKeyRef: { name: 'a', key: 'b' } } }),
      'spec.nodeMeshPassword',
      'nodeMeshPassword cannot be set when nodeToNodeMeshEnabled is false',
    );
    assertRejects(
      cfg({ nodeToNodeMeshEnabled: false, nodeMeshMaxRestartTime: '30s' }),
      'spec.nodeMeshMaxRestartTime',
      'nodeMeshMaxRestartTime cannot be set when nodeToNodeMeshEnabled is false',
    );
  });

  it('checks communities and prefix advertisements', () => {
    const adv = [{ cidr: '10.0.0.0/24', communities: ['100:1'] }];
    assertRejects(
      cfg({ communities: [{ name: 'a', value: '65536:1' }], prefixAdvertisements: adv }),
      'spec.communities[0].value',
      'expected 16 bit value',
    );
    assertRejects(
      cfg({ communities: [{ name: 'a', value: '4294967296:1:1' }], prefixAdvertisements: adv }),
      'spec.communities[0].value',
      'expected 32 bit value',
    );
    assertRejects(
      cfg({ communities: [{ name: 'a', value: '1-2' }], prefixAdvertisements: adv }),
      'spec.communities[0].value',
      'invalid community value or format used.',
    );
    assertRejects(
      cfg({ communities: [{ name: '', value: '1:2' }], prefixAdvertisements: adv }),
      'spec.communities[0].name',
      'must be specified',
    );
    assertRejects(
      cfg({ communities: [{ name: 'a', value: '1:2' }] }),
      'spec.communities',
      'communities are defined but not used in prefixAdvertisements',
    );
    assertRejects(
      cfg({ prefixAdvertisements: [{ cidr: '10.0.0.0/24', communities: ['undefined-name'] }] }),
      'spec.prefixAdvertisements[0].communities[0]',
      'community used is invalid or not defined.',
    );
    assertRejects(
      cfg({ prefixAdvertisements: [{ cidr: 'bad', communities: ['1:1'] }] }),
      'spec.prefixAdvertisements[0].cidr',
      'invalid CIDR',
    );
    assertRejects(
      cfg({ prefixAdvertisements: [{ cidr: '10.0.0.0/24', communities: ['70000:1'] }] }),
      'spec.prefixAdvertisements[0].communities[0]',
      '16 bit',
    );
    const many = Array.from({ length: 501 }, (_, i) => ({ name: `c${i}`, value: '1:1' }));
    assertRejects(cfg({ communities: many, prefixAdvertisements: adv }), 'spec.communities', 'at most 500');
  });
});

describe('BGPFilter', () => {
  const filter = (spec: object) => res('BGPFilter', 'f', spec);

  it('accepts import/export rules for both families', () => {
    assertValid(
      filter({
        exportV4: [
          { cidr: '10.0.0.0/8', matchOperator: 'In', prefixLength: { min: 16, max: 24 }, action: 'Accept' },
          { action: 'Reject', source: 'RemotePeers', interface: 'eth*', peerType: 'eBGP' },
          {
            action: 'Accept',
            communities: { values: ['100:200'] },
            asPathPrefix: [65000, '1.1'],
            priority: 10,
            operations: [
              { addCommunity: { value: '65000:1:2' } },
              { prependASPath: { prefix: [65000] } },
              { setPriority: { value: 5 } },
            ],
          },
        ],
        importV6: [{ cidr: 'fd00::/64', matchOperator: 'NotIn', action: 'Reject' }],
      }),
    );
  });

  it('checks rules', () => {
    assertRejects(
      filter({ exportV4: [{ matchOperator: 'In', cidr: 'fd00::/64', action: 'Accept' }] }),
      'spec.exportV4[0].cidr',
      'IPv4',
    );
    assertRejects(
      filter({ importV6: [{ matchOperator: 'In', cidr: '10.0.0.0/8', action: 'Accept' }] }),
      'spec.importV6[0].cidr',
      'IPv6',
    );
    assertRejects(
      filter({ exportV4: [{ cidr: '10.0.0.0/8', action: 'Accept' }] }),
      'spec.exportV4[0].matchOperator',
      'cidr and matchOperator must both be set or both be empty',
    );
    assertRejects(
      filter({ exportV4: [{ prefixLength: { min: 1 }, action: 'Accept' }] }),
      'spec.exportV4[0].prefixLength',
      'cidr is required when prefixLength is set',
    );
    assertRejects(
      filter({
        exportV4: [{ cidr: '10.0.0.0/8', matchOperator: 'In', prefixLength: { max: 33 }, action: 'Accept' }],
      }),
      'spec.exportV4[0].prefixLength.max',
      'between 0 and 32',
    );
    assertRejects(
      filter({ exportV4: [{ action: 'Drop' }] }),
      'spec.exportV4[0].action',
      'must be one of: Accept, Reject',
    );
    assertRejects(filter({ exportV4: [{}] }), 'spec.exportV4[0].action', 'action must be specified');
    assertRejects(
      filter({ exportV4: [{ action: 'Reject', operations: [{ setPriority: { value: 1 } }] }] }),
      'spec.exportV4[0].operations',
      'operations may only be used with action Accept',
    );
    assertRejects(
      filter({ exportV4: [{ action: 'Accept', communities: { values: ['1:2', '3:4'] } }] }),
      'spec.exportV4[0].communities.values',
      'exactly one',
    );
    assertRejects(
      filter({ exportV4: [{ action: 'Accept', interface: 'a b' }] }),
      'spec.exportV4[0].interface',
      'interface',
    );
    assertRejects(
      filter({ exportV4: [{ action: 'Accept', peerType: 'IBGP' }] }),
      'spec.exportV4[0].peerType',
      'must be one of',
    );
    assertRejects(
      filter({ exportV4: [{ action: 'Accept', priority: 0 }] }),
      'spec.exportV4[0].priority',
      'between 1',
    );
    assert.equal(
      errorsOf(filter({ exportV4: [{ action: 'Accept', operations: [{ prependASPath: { prefix: [] } }] }] }))
        .length,
      1,
    );
  });
});
