import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashToIPv4, renderBirdConfig } from '../../../src/confd/index.js';
import { isBirdError } from '../../../src/confd/errors.js';
import { bgpConfig, bgpProtocols, block, H1, H2, H3, input, node } from './fixtures.js';

describe('renderBirdConfig: node-to-node mesh', () => {
  it('mesh of 3: one session per other node, the side with the lower address (as a string) is passive', () => {
    const h1 = renderBirdConfig(input('h1'));
    const h2 = renderBirdConfig(input('h2'));
    const h3 = renderBirdConfig(input('h3'));
    assert.deepEqual(bgpProtocols(h1), ['Mesh_198_51_100_12', 'Mesh_198_51_100_13']);
    assert.deepEqual(bgpProtocols(h2), ['Mesh_198_51_100_11', 'Mesh_198_51_100_13']);
    assert.deepEqual(bgpProtocols(h3), ['Mesh_198_51_100_11', 'Mesh_198_51_100_12']);
    assert.deepEqual(block(h1, 'Mesh_198_51_100_12'), [
      'neighbor 198.51.100.12 as 64512;',
      'source address 198.51.100.11;',
      'ttl security off;',
      'multihop;',
      'passive on;',
    ]);
    // h1 (lowest) waits for both; h3 (highest) connects to both; h2 waits for h3 only.
    assert.ok(block(h1, 'Mesh_198_51_100_13').includes('passive on;'));
    assert.ok(!block(h2, 'Mesh_198_51_100_11').includes('passive on;'));
    assert.ok(block(h2, 'Mesh_198_51_100_13').includes('passive on;'));
    assert.ok(!block(h3, 'Mesh_198_51_100_11').includes('passive on;'));
    assert.ok(!block(h3, 'Mesh_198_51_100_12').includes('passive on;'));
    assert.match(h1, /^router id 198\.51\.100\.11;$/m);
    assert.deepEqual(block(h1, 'bgp_template'), [
      'debug { states, routes, filters, events };',
      'description "Connection to BGP peer";',
      'local as 64512;',
      'ipv4 {',
      'gateway recursive;',
      'add paths on;',
      'import filter calico_import_from_bgp_peers;',
      'export filter calico_export_ibgp;',
      '};',
      'graceful restart;',
      'connect delay time 2;',
      'connect retry time 5;',
      'error wait time 5,30;',
    ]);
  });

  it('passivity compares addresses as strings, not numbers (10.0.0.10 < 10.0.0.9)', () => {
    const nodes = [node('a', { ipv4Address: '10.0.0.9/24' }), node('b', { ipv4Address: '10.0.0.10/24' })];
    const a = renderBirdConfig(input('a', { nodes }));
    const b = renderBirdConfig(input('b', { nodes }));
    assert.ok(!block(a, 'Mesh_10_0_0_10').includes('passive on;'));
    assert.ok(block(b, 'Mesh_10_0_0_9').includes('passive on;'));
  });

  it('mesh disabled by the default BGPConfiguration: no sessions', () => {
    const text = renderBirdConfig(
      input('h1', { bgpConfigurations: [bgpConfig('default', { nodeToNodeMeshEnabled: false })] }),
    );
    assert.deepEqual(bgpProtocols(text), []);
    assert.match(text, /# No BGP peers configured for this node\./);
  });

  it('route reflectors drop out of the mesh, on both sides', () => {
    const rr = node('h3', { ipv4Address: '198.51.100.13/24', routeReflectorClusterID: '224.0.0.1' });
    const nodes = [H1, H2, rr];
    assert.deepEqual(bgpProtocols(renderBirdConfig(input('h1', { nodes }))), ['Mesh_198_51_100_12']);
    assert.deepEqual(bgpProtocols(renderBirdConfig(input('h3', { nodes }))), []);
  });

  it('global and per-node AS: a mesh peer in another AS is an eBGP session with the eBGP export filter', () => {
    const nodes = [H1, node('h2', { ipv4Address: '198.51.100.12/24', asNumber: 65002 }), H3];
    const cfg = [bgpConfig('default', { asNumber: 64600 })];
    const h1 = renderBirdConfig(input('h1', { nodes, bgpConfigurations: cfg }));
    assert.ok(block(h1, 'bgp_template').includes('local as 64600;'));
    assert.deepEqual(block(h1, 'Mesh_198_51_100_12').slice(0, 1), ['neighbor 198.51.100.12 as 65002;']);
    assert.ok(block(h1, 'Mesh_198_51_100_12').includes('ipv4 { export filter calico_export_ebgp; };'));
    assert.ok(block(h1, 'Mesh_198_51_100_13').includes('neighbor 198.51.100.13 as 64600;'));
    assert.ok(!block(h1, 'Mesh_198_51_100_13').some((l) => l.includes('calico_export_ebgp')));
    const h2 = renderBirdConfig(input('h2', { nodes, bgpConfigurations: cfg }));
    assert.ok(block(h2, 'bgp_template').includes('local as 65002;'));
  });

  it('mesh password, max restart time, per-node listen port', () => {
    const cfg = [
      bgpConfig('default', {
        nodeMeshPassword: { secretKeyRef: { name: 'bgp', key: 'mesh' } },
        nodeMeshMaxRestartTime: '1m30s',
        listenPort: 1790,
      }),
      bgpConfig('node.h2', { listenPort: 500 }),
    ];
    const secrets = { bgp: { mesh: 'very-secret' } };
    const h1 = renderBirdConfig(input('h1', { bgpConfigurations: cfg, secrets }));
    assert.deepEqual(bgpProtocols(h1), ['Mesh_198_51_100_12_port_500', 'Mesh_198_51_100_13_port_1790']);
    assert.deepEqual(block(h1, 'Mesh_198_51_100_12_port_500'), [
      'neighbor 198.51.100.12 port 500 as 64512;',
      'source address 198.51.100.11;',
      'ttl security off;',
      'multihop;',
      'passive on;',
      'graceful restart time 90;',
      'password "very-secret";',
    ]);
    assert.ok(block(h1, 'bgp_template').includes('local port 1790 as 64512;'));
    const h2 = renderBirdConfig(input('h2', { bgpConfigurations: cfg, secrets }));
    assert.ok(block(h2, 'bgp_template').includes('local port 500 as 64512;'));
  });

  it('bindMode NodeIP binds each session to the node address', () => {
    const text = renderBirdConfig(
      input('h1', { bgpConfigurations: [bgpConfig('default', { bindMode: 'NodeIP' })] }),
    );
    assert.ok(block(text, 'Mesh_198_51_100_12').includes('strict bind on;'));
  });

  it('IPv6 mesh between dual-stack nodes: separate template, channel and filters', () => {
    const nodes = [
      node('h1', { ipv4Address: '198.51.100.11/24', ipv6Address: 'fd00:51::11/64' }),
      node('h2', { ipv4Address: '198.51.100.12/24', ipv6Address: 'FD00:51:0::12/64' }),
      node('h3', { ipv4Address: '198.51.100.13/24' }),
    ];
    const text = renderBirdConfig(input('h1', { nodes, blocks: ['10.244.1.0/26', 'fd00:244::/122'] }));
    assert.deepEqual(bgpProtocols(text), ['Mesh_198_51_100_12', 'Mesh_198_51_100_13', 'Mesh_fd00_51__12']);
    assert.deepEqual(block(text, 'Mesh_fd00_51__12'), [
      'neighbor fd00:51::12 as 64512;',
      'source address fd00:51::11;',
      'ttl security off;',
      'multihop;',
      'passive on;',
    ]);
    assert.match(text, /^protocol bgp Mesh_fd00_51__12 from bgp_template_v6 \{$/m);
    assert.ok(block(text, 'bgp_template_v6').includes('export filter calico_export_ibgp_v6;'));
    assert.ok(block(text, 'kernel6').includes('export filter calico_kernel_programming_v6;'));
    assert.match(text, /^protocol direct \{\n {2}debug \{ states \};\n {2}ipv4;\n {2}ipv6;\n/m);
  });

  it('a node without an IPv4 address has no IPv4 BGP section; its router id falls back to the name hash', () => {
    const nodes = [node('v6only', { ipv6Address: 'fd00::1/64' }), node('x', { ipv6Address: 'fd00::2/64' })];
    const text = renderBirdConfig(input('v6only', { nodes }));
    assert.match(text, /# IPv4 disabled on this node/);
    assert.doesNotMatch(text, /protocol kernel kernel4/);
    assert.deepEqual(bgpProtocols(text), ['Mesh_fd00__2']);
    assert.match(text, new RegExp(`^router id ${hashToIPv4('v6only').replace(/\./g, '\\.')};$`, 'm'));
  });

  it("router id: CALICO_ROUTER_ID=hash gives Calico's value; an explicit address is used; junk is refused", () => {
    assert.equal(hashToIPv4('kube-master'), '25.79.212.8');
    const hashed = renderBirdConfig(input('h1', { options: { routerId: 'hash' } }));
    assert.match(hashed, new RegExp(`^router id ${hashToIPv4('h1').replace(/\./g, '\\.')};$`, 'm'));
    assert.match(
      renderBirdConfig(input('h1', { options: { routerId: '1.2.3.4' } })),
      /^router id 1\.2\.3\.4;$/m,
    );
    assert.throws(
      () => renderBirdConfig(input('h1', { options: { routerId: 'fd00::1' } })),
      (e) => isBirdError(e, 'invalidOption'),
    );
  });

  it('a node that has no Node resource yet renders a valid, peerless configuration', () => {
    const text = renderBirdConfig(input('newcomer'));
    assert.match(text, /# Node newcomer has no Node resource yet/);
    assert.deepEqual(bgpProtocols(text), []);
    assert.match(text, /^router id \d+\.\d+\.\d+\.\d+;$/m);
  });

  it('log severity: Debug → debug all; Warning → no protocol debugging', () => {
    const dbg = renderBirdConfig(
      input('h1', { bgpConfigurations: [bgpConfig('default', { logSeverityScreen: 'Debug' })] }),
    );
    assert.ok(block(dbg, 'bgp_template').includes('debug all;'));
    const quiet = renderBirdConfig(
      input('h1', {
        bgpConfigurations: [bgpConfig('default', {}), bgpConfig('node.h1', { logSeverityScreen: 'Warning' })],
      }),
    );
    assert.ok(!block(quiet, 'bgp_template').some((l) => l.startsWith('debug')));
  });

  it('is deterministic: input order does not matter', () => {
    const a = renderBirdConfig(
      input('h2', { nodes: [H1, H2, H3], blocks: ['10.244.2.64/26', '10.244.2.0/26'] }),
    );
    const b = renderBirdConfig(
      input('h2', { nodes: [H3, H1, H2], blocks: ['10.244.2.0/26', '10.244.2.64/26'] }),
    );
    assert.equal(a, b);
  });
});
