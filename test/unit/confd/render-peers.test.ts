import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderBirdConfig } from '../../../src/confd/index.js';
import { bgpConfig, bgpProtocols, block, H2, H3, input, node, peer, rrInput } from './fixtures.js';

const MESH_OFF = bgpConfig('default', { nodeToNodeMeshEnabled: false });

describe('renderBirdConfig: route reflectors', () => {
  it('the recipe: the RR has every client as `rr client`, clients peer only with the RR (Node_ names)', () => {
    const rr = renderBirdConfig(rrInput('h1'));
    assert.deepEqual(bgpProtocols(rr), ['Node_198_51_100_12', 'Node_198_51_100_13']);
    assert.deepEqual(block(rr, 'Node_198_51_100_12'), [
      'neighbor 198.51.100.12 as 64512;',
      'source address 198.51.100.11;',
      'ttl security off;',
      'multihop;',
      'rr client;',
      'rr cluster id 224.0.0.1;',
    ]);
    for (const client of ['h2', 'h3']) {
      const text = renderBirdConfig(rrInput(client));
      assert.deepEqual(bgpProtocols(text), ['Node_198_51_100_11'], client);
      const body = block(text, 'Node_198_51_100_11');
      assert.ok(!body.includes('rr client;'));
      assert.ok(!body.includes('passive on;'), 'node-specific peerings are never auto-passive');
    }
  });

  it('a route reflector exports what it reflects (pool routes from BGP); clients never re-advertise', () => {
    const rr = renderBirdConfig(rrInput('h1'));
    const client = renderBirdConfig(rrInput('h2'));
    assert.doesNotMatch(rr, /if \( source = RTS_BGP \) then \{ reject; \}/);
    assert.match(client, /if \( source = RTS_BGP \) then \{ reject; \}/);
  });

  it('two RRs with the same cluster id peer as plain iBGP; a different cluster id makes a client', () => {
    const rrNode = (name: string, ip: string, id: string) =>
      node(name, { ipv4Address: ip, routeReflectorClusterID: id }, { 'calico-route-reflector': '' });
    const same = rrInput('h1', {
      nodes: [
        rrNode('h1', '198.51.100.11/24', '224.0.0.1'),
        rrNode('h2', '198.51.100.12/24', '224.0.0.1'),
        H3,
      ],
    });
    const text = renderBirdConfig(same);
    assert.deepEqual(bgpProtocols(text), ['Node_198_51_100_12', 'Node_198_51_100_13']);
    assert.ok(!block(text, 'Node_198_51_100_12').includes('rr client;'));
    assert.ok(block(text, 'Node_198_51_100_13').includes('rr client;'));
    const other = rrInput('h1', {
      nodes: [
        rrNode('h1', '198.51.100.11/24', '224.0.0.1'),
        rrNode('h2', '198.51.100.12/24', '224.0.0.2'),
        H3,
      ],
    });
    assert.ok(block(renderBirdConfig(other), 'Node_198_51_100_12').includes('rr cluster id 224.0.0.1;'));
  });

  it('reversePeering: Manual leaves the selected peers without a session back', () => {
    const manual = rrInput('h1');
    manual.bgpPeers = manual.bgpPeers.map((p) =>
      p.metadata.name === 'peer-to-rrs' ? peer('peer-to-rrs', { ...p.spec, reversePeering: 'Manual' }) : p,
    );
    assert.deepEqual(bgpProtocols(renderBirdConfig(manual)), []);
    assert.deepEqual(bgpProtocols(renderBirdConfig({ ...manual, nodeName: 'h2' })), ['Node_198_51_100_11']);
  });

  it('an RR keeps eBGP peers as plain sessions (not rr client)', () => {
    const rr = rrInput('h1', {
      bgpPeers: [
        ...rrInput('h1').bgpPeers,
        peer('tor', {
          peerIP: '198.51.100.254',
          asNumber: 64513,
          nodeSelector: 'has(calico-route-reflector)',
        }),
      ],
    });
    const text = renderBirdConfig(rr);
    assert.deepEqual(block(text, 'Node_198_51_100_254'), [
      'neighbor 198.51.100.254 as 64513;',
      'source address 198.51.100.11;',
      'ttl security off;',
      'multihop;',
      'ipv4 { export filter calico_export_ebgp; };',
    ]);
  });
});

describe('renderBirdConfig: explicit BGPPeers', () => {
  it('a global peer with a port: Global_<ip>_port_<n> on every node, eBGP export', () => {
    const bgpPeers = [peer('tor', { peerIP: '198.51.100.254:1179', asNumber: 64513 })];
    for (const n of ['h1', 'h2', 'h3']) {
      const text = renderBirdConfig(input(n, { bgpPeers }));
      assert.ok(bgpProtocols(text).includes('Global_198_51_100_254_port_1179'), n);
    }
    const text = renderBirdConfig(input('h2', { bgpPeers }));
    assert.deepEqual(block(text, 'Global_198_51_100_254_port_1179'), [
      'neighbor 198.51.100.254 port 1179 as 64513;',
      'source address 198.51.100.12;',
      'ttl security off;',
      'multihop;',
      'ipv4 { export filter calico_export_ebgp; };',
    ]);
  });

  it("eBGP ToR peer (the lab's gobgpd, AS 64513) next to the mesh", () => {
    const text = renderBirdConfig(
      input('h1', { bgpPeers: [peer('tor', { peerIP: '198.51.100.254', asNumber: 64513 })] }),
    );
    assert.deepEqual(bgpProtocols(text), [
      'Global_198_51_100_254',
      'Mesh_198_51_100_12',
      'Mesh_198_51_100_13',
    ]);
    // An external peer is never passive: BIRD must connect to it.
    assert.ok(!block(text, 'Global_198_51_100_254').includes('passive on;'));
  });

  it("a global peerIP that is a Calico node gets the mesh passive rule and that node's listen port", () => {
    const cfg = [MESH_OFF, bgpConfig('node.h3', { listenPort: 150 })];
    const bgpPeers = [
      peer('to-h3', { peerIP: '198.51.100.13', asNumber: 64512 }),
      peer('to-h1', { peerIP: '198.51.100.11', asNumber: 64512 }),
    ];
    const text = renderBirdConfig(input('h2', { bgpConfigurations: cfg, bgpPeers }));
    assert.deepEqual(bgpProtocols(text), ['Global_198_51_100_11', 'Global_198_51_100_13_port_150']);
    assert.ok(block(text, 'Global_198_51_100_13_port_150').includes('passive on;'));
    assert.ok(!block(text, 'Global_198_51_100_11').includes('passive on;'));
  });

  it('node-specific peers: by node name, by nodeSelector; per-peer local AS, allowed local AS, keepalive, restart time', () => {
    const nodes = [node('h1', { ipv4Address: '198.51.100.11/24' }, { rack: 'a' }), H2, H3];
    const bgpPeers = [
      peer('by-name', {
        node: 'h1',
        peerIP: '203.0.113.1',
        asNumber: 64512,
        localASNumber: 64512,
        numAllowedLocalASNumbers: 1,
      }),
      peer('by-label', {
        nodeSelector: "rack == 'a'",
        peerIP: '203.0.113.2',
        asNumber: 64566,
        localASNumber: 65001,
        keepaliveTime: '20s',
        maxRestartTime: '2m',
      }),
      peer('elsewhere', { node: 'h2', peerIP: '203.0.113.3', asNumber: 64512 }),
    ];
    const text = renderBirdConfig(input('h1', { nodes, bgpConfigurations: [MESH_OFF], bgpPeers }));
    assert.deepEqual(bgpProtocols(text), ['Node_203_0_113_1', 'Node_203_0_113_2']);
    assert.deepEqual(block(text, 'Node_203_0_113_1'), [
      'local as 64512;',
      'neighbor 203.0.113.1 as 64512;',
      'source address 198.51.100.11;',
      'ttl security off;',
      'multihop;',
      'allow local as 1;',
    ]);
    assert.deepEqual(block(text, 'Node_203_0_113_2'), [
      'local as 65001;',
      'neighbor 203.0.113.2 as 64566;',
      'source address 198.51.100.11;',
      'ttl security off;',
      'multihop;',
      'ipv4 { export filter calico_export_ebgp; };',
      'graceful restart time 120;',
      'keepalive time 20;',
    ]);
  });

  it('peerSelector peerings reach other nodes on their listen ports; reverse peerings come back', () => {
    const nodes = [
      node('h1', { ipv4Address: '198.51.100.11/24' }, { group: 'one' }),
      node('h2', { ipv4Address: '198.51.100.12/24' }, { group: 'two' }),
      node('h3', { ipv4Address: '198.51.100.13/24' }, { group: 'two' }),
    ];
    const cfg = [MESH_OFF, bgpConfig('node.h2', { listenPort: 500 })];
    const bgpPeers = [peer('one-two', { nodeSelector: "group == 'one'", peerSelector: "group == 'two'" })];
    const h1 = renderBirdConfig(input('h1', { nodes, bgpConfigurations: cfg, bgpPeers }));
    assert.deepEqual(bgpProtocols(h1), ['Node_198_51_100_12_port_500', 'Node_198_51_100_13']);
    const h2 = renderBirdConfig(input('h2', { nodes, bgpConfigurations: cfg, bgpPeers }));
    assert.deepEqual(bgpProtocols(h2), ['Node_198_51_100_11']);
    assert.ok(block(h2, 'bgp_template').includes('local port 500 as 64512;'));
  });

  it('a peerIP that is a Calico node (same AS) is peered back automatically, with the same password', () => {
    const bgpPeers = [
      peer('h1-to-h2', {
        node: 'h1',
        peerIP: '198.51.100.12',
        asNumber: 64512,
        password: { secretKeyRef: { name: 's', key: 'k' } },
        nextHopMode: 'Self',
      }),
    ];
    const args = { bgpConfigurations: [MESH_OFF], bgpPeers, secrets: { s: { k: 'pw' } } };
    const h1 = renderBirdConfig(input('h1', args));
    assert.deepEqual(bgpProtocols(h1), ['Node_198_51_100_12']);
    assert.ok(block(h1, 'Node_198_51_100_12').includes('ipv4 { next hop self; };'));
    const h2 = renderBirdConfig(input('h2', args));
    assert.deepEqual(bgpProtocols(h2), ['Node_198_51_100_11']);
    assert.ok(block(h2, 'Node_198_51_100_11').includes('password "pw";'));
    assert.ok(!block(h2, 'Node_198_51_100_11').some((l) => l.includes('next hop')));
    assert.deepEqual(bgpProtocols(renderBirdConfig(input('h3', args))), []);
    // A different AS means it is not that node: no reverse session.
    const other = {
      ...args,
      bgpPeers: [peer('x', { node: 'h1', peerIP: '198.51.100.12', asNumber: 65000 })],
    };
    assert.deepEqual(bgpProtocols(renderBirdConfig(input('h2', other))), []);
  });

  it('next hop: keepOriginalNextHop only for eBGP; nextHopMode Self/Keep as asked', () => {
    const bgpPeers = [
      peer('ebgp-keep', { peerIP: '203.0.113.1', asNumber: 64513, keepOriginalNextHop: true }),
      peer('ibgp-keep', { peerIP: '203.0.113.2', asNumber: 64512, keepOriginalNextHop: true }),
      peer('self', { peerIP: '203.0.113.3', asNumber: 64512, nextHopMode: 'Self' }),
      peer('keep', { peerIP: '203.0.113.4', asNumber: 65515, nextHopMode: 'Keep' }),
    ];
    const text = renderBirdConfig(input('h1', { bgpConfigurations: [MESH_OFF], bgpPeers }));
    assert.ok(
      block(text, 'Global_203_0_113_1').includes(
        'ipv4 { export filter calico_export_ebgp; next hop keep; };',
      ),
    );
    assert.ok(!block(text, 'Global_203_0_113_2').some((l) => l.includes('next hop')));
    assert.ok(block(text, 'Global_203_0_113_3').includes('ipv4 { next hop self; };'));
    assert.ok(
      block(text, 'Global_203_0_113_4').includes(
        'ipv4 { export filter calico_export_ebgp; next hop keep; };',
      ),
    );
  });

  it('sourceAddress None, TTL security, reachableBy', () => {
    const bgpPeers = [
      peer('ttl', {
        peerIP: '203.0.113.1',
        asNumber: 64513,
        ttlSecurity: 1,
        sourceAddress: 'None',
        reachableBy: '198.51.100.1',
      }),
    ];
    const text = renderBirdConfig(input('h1', { bgpConfigurations: [MESH_OFF], bgpPeers }));
    assert.deepEqual(block(text, 'Global_203_0_113_1'), [
      'neighbor 203.0.113.1 as 64513;',
      'ttl security on;',
      'multihop 1;',
      'ipv4 { export filter calico_export_ebgp; };',
    ]);
    assert.ok(block(text, 'calico_static').includes('route 203.0.113.1/32 via 198.51.100.1;'));
  });

  it('passwords: resolved from the secrets given; a missing secret or an unwritable one disables the session', () => {
    const bgpPeers = [
      peer('ok', {
        peerIP: '203.0.113.1',
        asNumber: 64513,
        password: { secretKeyRef: { name: 'bgp', key: 'tor' } },
      }),
      peer('missing', {
        peerIP: '203.0.113.2',
        asNumber: 64513,
        password: { secretKeyRef: { name: 'bgp', key: 'nope' } },
      }),
      peer('quote', {
        peerIP: '203.0.113.3',
        asNumber: 64513,
        password: { secretKeyRef: { name: 'bgp', key: 'quote' } },
      }),
    ];
    const secrets = { bgp: { tor: 'p@ss w0rd#1', quote: 'has"quote' } };
    const text = renderBirdConfig(input('h1', { bgpConfigurations: [MESH_OFF], bgpPeers, secrets }));
    assert.ok(block(text, 'Global_203_0_113_1').includes('password "p@ss w0rd#1";'));
    assert.ok(block(text, 'Global_203_0_113_2').includes('disabled;'));
    assert.match(text, /disabled; # not started: secret bgp\/nope not found/);
    assert.ok(block(text, 'Global_203_0_113_3').includes('disabled;'));
    assert.doesNotMatch(text, /has"quote/);
  });

  it('IPv6 peers: global and node-specific, in the IPv6 template', () => {
    const nodes = [node('h1', { ipv4Address: '198.51.100.11/24', ipv6Address: 'fd00:51::11/64' }), H2, H3];
    const bgpPeers = [
      peer('tor6', { peerIP: '[fd00:51::fe]:1179', asNumber: 64513 }),
      peer('v6', { node: 'h1', peerIP: 'fd00:51::fd', asNumber: 64512 }),
    ];
    const text = renderBirdConfig(input('h1', { nodes, bgpConfigurations: [MESH_OFF], bgpPeers }));
    assert.deepEqual(bgpProtocols(text), ['Global_fd00_51__fe_port_1179', 'Node_fd00_51__fd']);
    assert.match(text, /^protocol bgp Global_fd00_51__fe_port_1179 from bgp_template_v6 \{$/m);
    assert.deepEqual(block(text, 'Global_fd00_51__fe_port_1179'), [
      'neighbor fd00:51::fe port 1179 as 64513;',
      'source address fd00:51::11;',
      'ttl security off;',
      'multihop;',
      'ipv6 { export filter calico_export_ebgp_v6; };',
    ]);
  });

  it('a session already covered (mesh or global) is not duplicated by a node-specific peer', () => {
    const bgpPeers = [
      peer('dup-of-mesh', { node: 'h1', peerIP: '198.51.100.12', asNumber: 64512 }),
      peer('global', { peerIP: '203.0.113.9', asNumber: 64513 }),
      peer('dup-of-global', { node: 'h1', peerIP: '203.0.113.9', asNumber: 64513 }),
    ];
    const text = renderBirdConfig(input('h1', { bgpPeers }));
    assert.deepEqual(bgpProtocols(text), ['Global_203_0_113_9', 'Mesh_198_51_100_12', 'Mesh_198_51_100_13']);
  });

  it('a peering with itself is skipped', () => {
    const bgpPeers = [peer('all', { peerSelector: 'all()' })];
    const text = renderBirdConfig(input('h1', { bgpConfigurations: [MESH_OFF], bgpPeers }));
    assert.deepEqual(bgpProtocols(text), ['Global_198_51_100_12', 'Global_198_51_100_13']);
  });
});
