import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderBirdConfig } from '../../../src/confd/index.js';
import { bgpConfig, block, fn, input, pool } from './fixtures.js';

describe('renderBirdConfig: route policy', () => {
  it("exports only this host's blocks, aggregated; more-specifics only when elevated", () => {
    const text = renderBirdConfig(input('h1', { blocks: ['10.244.1.0/26', '10.244.1.64/26'] }));
    // The block itself leaves once, from BIRD's static blackhole (not again as Felix's kernel route).
    assert.deepEqual(fn(text, 'calico_aggr'), [
      'if ( net = 10.244.1.0/26 ) then { if ( source = RTS_STATIC ) then { accept; } reject; }',
      'if ( net ~ 10.244.1.0/26 ) then { if ( krt_metric < 1024 ) then { accept; } reject; }',
      'if ( net = 10.244.1.64/26 ) then { if ( source = RTS_STATIC ) then { accept; } reject; }',
      'if ( net ~ 10.244.1.64/26 ) then { if ( krt_metric < 1024 ) then { accept; } reject; }',
    ]);
    const exp = fn(text, 'calico_export_to_bgp_peers');
    // Routes learned from peers are never passed on by a non-reflector; tunnel routes never go to iBGP.
    assert.ok(exp.includes('if ( source = RTS_BGP ) then { reject; }'));
    assert.ok(
      exp.includes(
        'if ( internal_peer && (ifname ~ "*.cali" || ifname ~ "*.calico" || ifname = "tunl0") ) then { reject; }',
      ),
    );
    assert.ok(exp.indexOf('calico_aggr();') < exp.indexOf('if ( net ~ 10.244.0.0/16 ) then { accept; }'));
    assert.deepEqual(fn(text, 'calico_export_ibgp'), [
      'filter calico_export_ibgp { calico_export_to_bgp_peers(true); reject; }',
    ]);
    assert.deepEqual(block(text, 'calico_static'), [
      'ipv4;',
      'route 10.244.1.0/26 blackhole;',
      'route 10.244.1.64/26 blackhole;',
    ]);
  });

  it('a /32 block gets no static blackhole; staticBlockRoutes: false leaves blocks to Felix', () => {
    const text = renderBirdConfig(input('h1', { blocks: ['10.244.9.1/32', '10.244.1.0/26'] }));
    assert.deepEqual(block(text, 'calico_static'), ['ipv4;', 'route 10.244.1.0/26 blackhole;']);
    const none = renderBirdConfig(
      input('h1', { blocks: ['10.244.1.0/26'], options: { staticBlockRoutes: false } }),
    );
    assert.doesNotMatch(none, /protocol static/);
    assert.match(none, /if \( net = 10\.244\.1\.0\/26 \) then \{ accept; \}/);
  });

  it('disableBGPExport pools are rejected before anything is accepted', () => {
    const ipPools = [
      pool('a', '192.168.1.0/24'),
      pool('b', '192.168.2.0/24', { disableBGPExport: true }),
      pool('c', '192.168.3.0/24'),
    ];
    const exp = fn(
      renderBirdConfig(input('h1', { ipPools, blocks: ['192.168.2.0/26'] })),
      'calico_export_to_bgp_peers',
    );
    const rejectAt = exp.indexOf('if ( net ~ 192.168.2.0/24 ) then { reject; }');
    assert.ok(rejectAt >= 0);
    assert.ok(rejectAt < exp.indexOf('calico_aggr();'));
    assert.ok(exp.includes('if ( net ~ 192.168.1.0/24 ) then { accept; }'));
    assert.ok(exp.includes('if ( net ~ 192.168.3.0/24 ) then { accept; }'));
    assert.ok(!exp.includes('if ( net ~ 192.168.2.0/24 ) then { accept; }'));
  });

  it('kernel programming: no-encap pools by BIRD; VXLAN and IPIP pools left to Felix; connected and blackhole routes never', () => {
    const ipPools = [
      pool('plain', '10.244.0.0/16'),
      pool('vx', '10.245.0.0/16', { vxlanMode: 'Always' }),
      pool('ipip', '10.246.0.0/16', { ipipMode: 'CrossSubnet' }),
    ];
    const k = fn(renderBirdConfig(input('h1', { ipPools })), 'calico_kernel_programming');
    assert.deepEqual(k, [
      'if ( source = RTS_DEVICE ) then { reject; }',
      'if ( source = RTS_STATIC && dest = RTD_BLACKHOLE ) then { reject; }',
      'if ( net ~ 10.244.0.0/16 ) then { accept; }',
      'if ( net ~ 10.245.0.0/16 ) then { reject; }',
      'if ( net ~ 10.246.0.0/16 ) then { reject; }',
      'accept;',
    ]);
    const disabled = fn(
      renderBirdConfig(
        input('h1', {
          ipPools,
          bgpConfigurations: [bgpConfig('default', { programClusterRoutes: 'Disabled' })],
        }),
      ),
      'calico_kernel_programming',
    );
    assert.ok(disabled.includes('if ( net ~ 10.244.0.0/16 ) then { reject; }'));
  });

  it('normal route priority: the metric BIRD writes, the default priority of exports, the elevated threshold', () => {
    assert.ok(block(renderBirdConfig(input('h1')), 'kernel4').includes('metric 1024;'));
    const text = renderBirdConfig(
      input('h1', {
        blocks: ['10.244.1.0/26'],
        bgpConfigurations: [bgpConfig('default', { ipv4NormalRoutePriority: 500 })],
      }),
    );
    assert.ok(block(text, 'kernel4').includes('metric 500;'));
    assert.deepEqual(fn(text, 'calico_export_to_bgp_peers').slice(0, 3), [
      'if ( !defined(krt_metric) ) then { krt_metric = 0; }',
      'if ( krt_metric = 0 ) then {',
      'krt_metric = 500;',
    ]);
    assert.ok(
      fn(text, 'calico_aggr').includes(
        'if ( net ~ 10.244.1.0/26 ) then { if ( krt_metric < 500 ) then { accept; } reject; }',
      ),
    );
    assert.ok(
      fn(text, 'calico_import_from_bgp_peers').includes(
        'if ( defined(bgp_local_pref) && bgp_local_pref > 2147483147 ) then { preference = 200; }',
      ),
    );
  });

  it('service CIDRs: blackholed, advertised by every node, never programmed; RRs reflect LB/external ranges', () => {
    const cfg = bgpConfig('default', {
      serviceClusterIPs: [{ cidr: '10.96.0.0/12' }],
      serviceLoadBalancerIPs: [{ cidr: '203.0.113.0/24' }],
    });
    const text = renderBirdConfig(input('h1', { bgpConfigurations: [cfg] }));
    assert.deepEqual(block(text, 'calico_static'), [
      'ipv4;',
      'route 10.96.0.0/12 blackhole;',
      'route 203.0.113.0/24 blackhole;',
    ]);
    assert.ok(fn(text, 'calico_export_to_bgp_peers').includes('if ( net ~ 10.96.0.0/12 ) then { accept; }'));
    assert.ok(fn(text, 'calico_kernel_programming').includes('if ( net ~ 203.0.113.0/24 ) then { reject; }'));
  });

  it('communities for advertised prefixes: names resolved, standard and large', () => {
    const cfg = bgpConfig('default', {
      communities: [{ name: 'cluster', value: '64512:300' }],
      prefixAdvertisements: [{ cidr: '10.244.0.0/16', communities: ['cluster', '64512:1:2'] }],
    });
    const text = renderBirdConfig(input('h1', { bgpConfigurations: [cfg] }));
    assert.deepEqual(fn(text, 'apply_communities'), [
      'if ( net ~ 10.244.0.0/16 ) then {',
      'bgp_community.add((64512, 300));',
      'bgp_large_community.add((64512, 1, 2));',
      '}',
    ]);
    assert.ok(fn(text, 'calico_export_to_bgp_peers').includes('apply_communities();'));
  });

  it('ignoredInterfaces are excluded from the direct protocol; kernel options are honoured', () => {
    const text = renderBirdConfig(
      input('h1', {
        bgpConfigurations: [bgpConfig('default', { ignoredInterfaces: ['eth9', 'veth*'] })],
        options: {
          kernel: { scanTime: 10, metric: 32, mergePaths: false },
          timers: { connectDelay: 1, connectRetry: 3 },
        },
      }),
    );
    assert.match(text, /interface -"eth9", -"veth\*", -"cali\*", -"kube-ipvs\*", "\*";/);
    assert.ok(block(text, 'kernel4').includes('scan time 10;'));
    assert.ok(block(text, 'kernel4').includes('metric 32;'));
    assert.ok(!block(text, 'kernel4').includes('merge paths on;'));
    assert.ok(block(text, 'bgp_template').includes('connect delay time 1;'));
    assert.ok(block(text, 'bgp_template').includes('connect retry time 3;'));
  });

  it('logs to stderr by default, to a file when asked', () => {
    assert.match(renderBirdConfig(input('h1')), /^log stderr all;$/m);
    assert.match(
      renderBirdConfig(input('h1', { options: { logFile: '/var/log/calico/bird.log' } })),
      /^log "\/var\/log\/calico\/bird\.log" all;$/m,
    );
  });
});
