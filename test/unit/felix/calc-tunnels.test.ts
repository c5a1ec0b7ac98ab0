/** Routing calculation: the VXLAN device and its peers, IPIP, MTU, NAT, sysctls. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeDesired, FALLBACK_HOST_MTU, hostMTU } from '../../../src/felix/calc/routing/index.js';
import { vxlanVtepMAC } from '../../../src/net/index.js';
import { block, ETH0, H1, H2, H3, input, node, pool } from './fixtures.js';

describe('felix calc: VXLAN device and peers', () => {
  it('vxlan.calico: VNI 4096, port 4789, node MAC, MTU host − 50, local = node IP on its interface', () => {
    const d = computeDesired(input());
    assert.deepEqual(d.vxlan, {
      name: 'vxlan.calico',
      vni: 4096,
      port: 4789,
      mac: '66:00:00:00:00:01',
      mtu: 1450,
      localIP: '198.51.100.11',
      parent: 'eth0',
      address: '10.244.1.0',
    });
  });

  it('VNI, port and MTU come from the configuration when set', () => {
    const d = computeDesired(input({ cfg: { vxlanVNI: 7, vxlanPort: 8472, vxlanMTU: 1400 } }));
    assert.equal(d.vxlan?.vni, 7);
    assert.equal(d.vxlan?.port, 8472);
    assert.equal(d.vxlan?.mtu, 1400);
  });

  it('one permanent ARP and one FDB entry per remote VTEP; a MAC not on the Node is derived from its name', () => {
    const d = computeDesired(input());
    const h3mac = vxlanVtepMAC('h3');
    assert.ok(h3mac.startsWith('66:'));
    assert.deepEqual(d.neighbours, [
      { dev: 'vxlan.calico', ip: '10.244.2.0', mac: '66:00:00:00:00:02' },
      { dev: 'vxlan.calico', ip: '10.244.3.0', mac: h3mac },
    ]);
    assert.deepEqual(
      d.fdb.map((f) => [f.mac, f.dst]),
      [
        ['66:00:00:00:00:02', '198.51.100.12'],
        [h3mac, '192.0.2.13'],
      ].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    );
  });

  it('no device (and no peers or tunnel routes) until this node has a VXLAN tunnel address', () => {
    const d = computeDesired(input({ nodes: [node('h1', { ip: '198.51.100.11/24' }), H2, H3] }));
    assert.equal(d.vxlan, undefined);
    assert.deepEqual(d.neighbours, []);
    assert.deepEqual(d.fdb, []);
    assert.ok(d.routes.every((r) => r.dev !== 'vxlan.calico'));
    assert.ok(d.notes.some((n) => n.includes('VXLAN tunnel address')));
  });

  it('no device when no pool uses VXLAN, unless vxlanEnabled says so', () => {
    assert.equal(computeDesired(input({ pools: [pool('p', '10.244.0.0/16')] })).vxlan, undefined);
    assert.ok(
      computeDesired(input({ pools: [pool('p', '10.244.0.0/16')], cfg: { vxlanEnabled: true } })).vxlan,
    );
    assert.equal(computeDesired(input({ cfg: { vxlanEnabled: false } })).vxlan, undefined);
  });

  it('no parent when no interface carries the node IP', () => {
    const d = computeDesired(input({ hostInterfaces: [ETH0('198.51.100.99')] }));
    assert.equal(d.vxlan?.parent, undefined);
  });
});

describe('felix calc: IPIP', () => {
  const ipipNodes = [
    node('h1', { ip: '198.51.100.11/24', ipip: '10.245.1.1' }),
    node('h2', { ip: '198.51.100.12/24', ipip: '10.245.2.1' }),
    node('h3', { ip: '192.0.2.13/24' }),
  ];
  const blocks = [block('10.245.1.0/26', 'h1'), block('10.245.2.0/26', 'h2'), block('10.245.3.0/26', 'h3')];

  it('Always: tunl0 (MTU host − 20, tunnel address) and routes via the node IP dev tunl0 onlink proto 80', () => {
    const d = computeDesired(
      input({ nodes: ipipNodes, blocks, pools: [pool('ip', '10.245.0.0/16', { ipipMode: 'Always' })] }),
    );
    assert.deepEqual(d.ipip, { name: 'tunl0', mtu: 1480, address: '10.245.1.1' });
    assert.equal(d.vxlan, undefined);
    assert.deepEqual(
      d.routes.map((r) => [r.dst, r.type, r.gateway, r.dev, r.onlink, r.protocol, r.class]),
      [
        ['10.245.1.0/26', 'blackhole', undefined, undefined, undefined, 80, 'blackhole-ipip'],
        ['10.245.2.0/26', 'unicast', '198.51.100.12', 'tunl0', true, 80, 'ipip-tunnel'],
        ['10.245.3.0/26', 'unicast', '192.0.2.13', 'tunl0', true, 80, 'ipip-tunnel'],
      ],
    );
    assert.equal(d.mtu.pod, 1480);
  });

  it('CrossSubnet: same subnet direct via eth0, other subnets through tunl0', () => {
    const d = computeDesired(
      input({ nodes: ipipNodes, blocks, pools: [pool('ip', '10.245.0.0/16', { ipipMode: 'CrossSubnet' })] }),
    );
    const byDst = new Map(d.routes.map((r) => [r.dst, r]));
    assert.equal(byDst.get('10.245.2.0/26')?.dev, 'eth0');
    assert.equal(byDst.get('10.245.2.0/26')?.class, 'ipip-same-subnet');
    assert.equal(byDst.get('10.245.3.0/26')?.dev, 'tunl0');
  });

  it('programClusterRoutes without IPIP leaves IPIP routes to BIRD (tunl0 and blackholes stay)', () => {
    const d = computeDesired(
      input({
        nodes: ipipNodes,
        blocks,
        pools: [pool('ip', '10.245.0.0/16', { ipipMode: 'Always' })],
        cfg: { programClusterRoutes: 'EnabledNoEncapOnly' },
      }),
    );
    assert.deepEqual(
      d.routes.map((r) => r.dst),
      ['10.245.1.0/26'],
    );
    assert.ok(d.ipip);
  });
});

describe('felix calc: MTU', () => {
  it('host MTU is the smallest up interface matching the pattern; 1460 when none', () => {
    const p = /^eth/;
    assert.equal(
      hostMTU(
        [
          { name: 'eth0', mtu: 1500, up: true, addresses: [] },
          { name: 'eth1', mtu: 9000, up: true, addresses: [] },
          { name: 'eth2', mtu: 1200, up: false, addresses: [] },
          { name: 'cali1', mtu: 1000, up: true, addresses: [] },
        ],
        p,
      ),
      1500,
    );
    assert.equal(hostMTU([{ name: 'lo', mtu: 65536, up: true, addresses: [] }], p), FALLBACK_HOST_MTU);
  });

  it('pod MTU is the VXLAN MTU when VXLAN is on, the host MTU with no encapsulation', () => {
    assert.deepEqual(computeDesired(input({ hostInterfaces: [ETH0('198.51.100.11', 9000)] })).mtu, {
      host: 9000,
      vxlan: 8950,
      ipip: 8980,
      pod: 8950,
    });
    assert.equal(computeDesired(input({ pools: [pool('p', '10.244.0.0/16')] })).mtu.pod, 1500);
  });
});

describe('felix calc: NAT outgoing and sysctls', () => {
  it('masq pools are those with natOutgoing; all pools exclude LoadBalancer-only pools', () => {
    const d = computeDesired(
      input({
        pools: [
          pool('vx', '10.244.0.0/16', { vxlanMode: 'Always', natOutgoing: true }),
          pool('other', '10.100.0.0/16'),
          pool('lb', '10.200.0.0/24', { lbOnly: true }),
        ],
      }),
    );
    assert.deepEqual(d.nat, {
      allPools: ['10.100.0.0/16', '10.244.0.0/16'],
      masqPools: ['10.244.0.0/16'],
      tunnelDevices: ['vxlan.calico'],
    });
  });

  it('IPPoolsAndHostIPs adds every node IP; natOutgoingAddress and natPortRange are carried', () => {
    const d = computeDesired(
      input({
        pools: [pool('vx', '10.244.0.0/16', { vxlanMode: 'Always', natOutgoing: true })],
        cfg: {
          natOutgoingExclusions: 'IPPoolsAndHostIPs',
          natOutgoingAddress: '198.51.100.100',
          natPortRange: [32768, 65535],
        },
      }),
    );
    assert.deepEqual(d.nat?.hostIPs, ['192.0.2.13/32', '198.51.100.11/32', '198.51.100.12/32']);
    assert.equal(d.nat?.snatAddress, '198.51.100.100');
    assert.deepEqual(d.nat?.portRange, [32768, 65535]);
  });

  it('no NAT table when no pool masquerades and there is no tunnel device', () => {
    assert.equal(computeDesired(input({ pools: [pool('p', '10.244.0.0/16')] })).nat, undefined);
    assert.deepEqual(computeDesired(input()).nat?.masqPools, []);
  });

  it('ip_forward=1 unless IPForwarding is Disabled', () => {
    assert.deepEqual(computeDesired(input()).sysctls, [{ key: 'net/ipv4/ip_forward', value: '1' }]);
    assert.deepEqual(computeDesired(input({ cfg: { ipForwarding: 'Disabled' } })).sysctls, []);
  });

  it('uses the fixture nodes (sanity)', () => {
    assert.equal(H1.metadata.name, 'h1');
    assert.equal(H2.spec?.vxlanTunnelMACAddr, '66:00:00:00:00:02');
    assert.equal(H3.spec?.bgp?.ipv4Address, '192.0.2.13/24');
  });
});
