import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  KINDS,
  kindByAlias,
  kindByKind,
  kindByPlural,
  applyDefaults,
  decodeDocuments,
  validateResource,
  encodeYAML,
  type Resource,
} from '../../../src/api/index.js';

describe('registry', () => {
  it('knows every kind once, with unique plurals and aliases', () => {
    const kinds = KINDS.map((k) => k.kind);
    for (const k of [
      'IPPool',
      'Node',
      'BGPPeer',
      'BGPConfiguration',
      'BGPFilter',
      'FelixConfiguration',
      'ClusterInformation',
      'IPAMConfiguration',
      'IPReservation',
      'KubeControllersConfiguration',
      'CalicoNodeStatus',
      'BlockAffinity',
      'NetworkPolicy',
      'GlobalNetworkPolicy',
      'StagedNetworkPolicy',
      'StagedGlobalNetworkPolicy',
      'StagedKubernetesNetworkPolicy',
      'Tier',
      'Profile',
      'NetworkSet',
      'GlobalNetworkSet',
      'HostEndpoint',
      'WorkloadEndpoint',
    ]) {
      assert.ok(kinds.includes(k), k);
    }
    assert.equal(new Set(kinds).size, kinds.length);
    assert.equal(new Set(KINDS.map((k) => k.plural)).size, KINDS.length);
    const aliases = KINDS.flatMap((k) => k.aliases);
    assert.equal(new Set(aliases).size, aliases.length);
  });

  it('resolves calicoctl names case-insensitively', () => {
    const cases: [string, string][] = [
      ['ippool', 'IPPool'],
      ['IPPools', 'IPPool'],
      ['ipp', 'IPPool'],
      ['pools', 'IPPool'],
      ['no', 'Node'],
      ['nodes', 'Node'],
      ['bgpp', 'BGPPeer'],
      ['BPS', 'BGPPeer'],
      ['bgpconfig', 'BGPConfiguration'],
      ['bf', 'BGPFilter'],
      ['felixconfigs', 'FelixConfiguration'],
      ['clusterinfo', 'ClusterInformation'],
      ['ipamconfig', 'IPAMConfiguration'],
      ['reservations', 'IPReservation'],
      ['kubecontrollersconfig', 'KubeControllersConfiguration'],
      ['nodestatus', 'CalicoNodeStatus'],
      ['gnp', 'GlobalNetworkPolicy'],
      ['policy', 'NetworkPolicy'],
      ['hep', 'HostEndpoint'],
      ['wep', 'WorkloadEndpoint'],
    ];
    for (const [alias, kind] of cases) assert.equal(kindByAlias(alias)?.kind, kind, alias);
    assert.equal(kindByAlias('bogus'), undefined);
    assert.equal(kindByKind('ippool'), undefined);
    assert.equal(kindByKind('IPPool')?.plural, 'ippools');
    assert.equal(kindByPlural('bgppeers')?.kind, 'BGPPeer');
    assert.equal(kindByKind('NetworkPolicy')?.namespaced, true);
    assert.equal(kindByKind('IPPool')?.namespaced, false);
  });
});

const SEED = `
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: default-ipv4-ippool
spec:
  cidr: 10.244.0.0/16
  ipipMode: CrossSubnet
  natOutgoing: true
  blockSize: 26
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: default
spec:
  nodeToNodeMeshEnabled: false
  asNumber: 64512
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata:
  name: peer-to-rrs
spec:
  nodeSelector: "!has(calico-route-reflector)"
  peerSelector: has(calico-route-reflector)
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata:
  name: rrs-to-rrs
spec:
  nodeSelector: has(calico-route-reflector)
  peerSelector: has(calico-route-reflector)
---
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: rr1
  labels:
    calico-route-reflector: ""
spec:
  bgp:
    ipv4Address: 192.168.1.10/24
    routeReflectorClusterID: 224.0.0.1
`;

describe('seed resources', () => {
  const decoded = decodeDocuments(SEED, 'seed.yaml');
  const byName = (n: string): Resource => {
    const r = decoded.find((x) => x.metadata.name === n);
    assert.ok(r, n);
    return applyDefaults(r);
  };

  it('decodes and validates all of them', () => {
    assert.equal(decoded.length, 5);
    for (const r of decoded) validateResource(applyDefaults(r), 'create');
  });

  it('defaults the IPv4 pool', () => {
    assert.deepEqual(byName('default-ipv4-ippool').spec, {
      cidr: '10.244.0.0/16',
      ipipMode: 'CrossSubnet',
      natOutgoing: true,
      blockSize: 26,
      nodeSelector: 'all()',
      vxlanMode: 'Never',
      allowedUses: ['Workload', 'Tunnel'],
      assignmentMode: 'Automatic',
    });
  });

  it('keeps the BGP configuration values and adds the CRD defaults', () => {
    assert.deepEqual(byName('default').spec, {
      nodeToNodeMeshEnabled: false,
      asNumber: 64512,
      logSeverityScreen: 'Info',
      serviceLoadBalancerAggregation: 'Enabled',
    });
  });

  it('keeps the route-reflector peerings as written', () => {
    assert.deepEqual(byName('peer-to-rrs').spec, {
      nodeSelector: '!has(calico-route-reflector)',
      peerSelector: 'has(calico-route-reflector)',
    });
    assert.deepEqual(byName('rrs-to-rrs').spec, {
      nodeSelector: 'has(calico-route-reflector)',
      peerSelector: 'has(calico-route-reflector)',
    });
  });

  it('keeps the route reflector node and prints it like calicoctl', () => {
    const rr = byName('rr1');
    assert.equal(
      (rr.spec as { bgp: { routeReflectorClusterID: string } }).bgp.routeReflectorClusterID,
      '224.0.0.1',
    );
    assert.equal(
      encodeYAML(rr),
      `apiVersion: projectcalico.org/v3
kind: Node
metadata:
  labels:
    calico-route-reflector: ""
  name: rr1
spec:
  bgp:
    ipv4Address: 192.168.1.10/24
    routeReflectorClusterID: 224.0.0.1
status: {}
`,
    );
  });

  it('round-trips through YAML output', () => {
    for (const r of decoded) {
      const d = applyDefaults(r);
      assert.deepEqual(decodeDocuments(encodeYAML(d))[0], {
        ...d,
        ...(d.kind === 'Node' ? { status: {} } : {}),
      });
    }
  });
});
