/** Routing calculation: each route class, blackholes, borrowed addresses, class precedence. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeDesired, type DesiredRoute } from '../../../src/felix/calc/routing/index.js';
import { block, H1, H2, H3, input, node, pool, wep } from './fixtures.js';

const route = (routes: DesiredRoute[], dst: string) => routes.find((r) => r.dst === dst);

describe('felix calc: local workload routes', () => {
  it('a /32 dev cali… scope link with the device protocol for each local IPv4 network', () => {
    const d = computeDesired(
      input({
        endpoints: [
          wep('a', 'h1', 'cali1234567890a', ['10.244.1.1/32', 'fd00::1/128']),
          wep('b', 'h2', 'cali00000000002', ['10.244.2.1/32']),
          wep('c', 'h1', 'cali00000000003', ['10.244.1.2']),
        ],
      }),
    );
    assert.deepEqual(route(d.routes, '10.244.1.1/32'), {
      dst: '10.244.1.1/32',
      type: 'unicast',
      dev: 'cali1234567890a',
      scope: 'link',
      protocol: 3,
      class: 'local-workload',
    });
    assert.equal(route(d.routes, '10.244.1.2/32')?.dev, 'cali00000000003', 'a bare IP counts as /32');
    assert.equal(route(d.routes, '10.244.2.1/32'), undefined, 'another host’s workload gets no /32');
    assert.ok(
      d.routes.every((r) => !r.dst.includes(':')),
      'IPv6 is not programmed',
    );
  });

  it('uses DeviceRouteProtocol for workload routes and (when not boot) for blackholes', () => {
    const d = computeDesired(
      input({ endpoints: [wep('a', 'h1', 'calia', ['10.244.1.1/32'])], cfg: { deviceRouteProtocol: 4 } }),
    );
    assert.equal(route(d.routes, '10.244.1.1/32')?.protocol, 4);
    assert.equal(route(d.routes, '10.244.1.0/26')?.protocol, 4);
  });

  it('skips endpoints without an interface name', () => {
    const w = wep('a', 'h1', '', ['10.244.1.1/32']);
    assert.equal(route(computeDesired(input({ endpoints: [w] })).routes, '10.244.1.1/32'), undefined);
  });
});

describe('felix calc: blackholes', () => {
  it('blackhole proto 80 for each non-/32 block affine to this host', () => {
    const d = computeDesired(
      input({ blocks: [block('10.244.1.0/26', 'h1'), block('10.244.1.64/26', 'h1')] }),
    );
    for (const dst of ['10.244.1.0/26', '10.244.1.64/26']) {
      assert.deepEqual(route(d.routes, dst), {
        dst,
        type: 'blackhole',
        scope: 'universe',
        protocol: 80,
        class: 'blackhole-vxlan',
      });
    }
  });

  it('no blackhole for a /32 block, an unaffine block or a block outside every pool', () => {
    const d = computeDesired(
      input({
        blocks: [block('10.244.1.7/32', 'h1'), block('10.244.9.0/26', null), block('10.99.0.0/26', 'h1')],
      }),
    );
    assert.deepEqual(d.routes, []);
  });

  it('no-encap pools: blackhole and routes only when Felix programs no-encap routes', () => {
    const pools = [pool('plain', '10.244.0.0/16')];
    const off = computeDesired(input({ pools }));
    assert.deepEqual(off.routes, [], 'default EnabledIPIPOnly leaves them to BIRD');
    const on = computeDesired(input({ pools, cfg: { programClusterRoutes: 'EnabledNoEncapOnly' } }));
    assert.equal(route(on.routes, '10.244.1.0/26')?.class, 'blackhole-no-encap');
    assert.deepEqual(route(on.routes, '10.244.2.0/26'), {
      dst: '10.244.2.0/26',
      type: 'unicast',
      gateway: '198.51.100.12',
      dev: 'eth0',
      onlink: true,
      scope: 'universe',
      protocol: 80,
      class: 'no-encap',
    });
  });

  it('ignores deleted blocks', () => {
    const b = { ...block('10.244.1.0/26', 'h1'), deleted: true };
    assert.deepEqual(computeDesired(input({ blocks: [b] })).routes, []);
  });
});

describe('felix calc: VXLAN routes', () => {
  it('Always: remote blocks via the remote VTEP tunnel IP dev vxlan.calico onlink, device protocol', () => {
    const d = computeDesired(input());
    assert.deepEqual(route(d.routes, '10.244.2.0/26'), {
      dst: '10.244.2.0/26',
      type: 'unicast',
      gateway: '10.244.2.0',
      dev: 'vxlan.calico',
      onlink: true,
      scope: 'universe',
      protocol: 3,
      class: 'vxlan-tunnel',
    });
    assert.equal(route(d.routes, '10.244.3.0/26')?.gateway, '10.244.3.0');
  });

  it('CrossSubnet: same subnet goes direct via the node IP (proto 80), another subnet through the tunnel', () => {
    const d = computeDesired(input({ pools: [pool('vx', '10.244.0.0/16', { vxlanMode: 'CrossSubnet' })] }));
    assert.deepEqual(route(d.routes, '10.244.2.0/26'), {
      dst: '10.244.2.0/26',
      type: 'unicast',
      gateway: '198.51.100.12',
      dev: 'eth0',
      onlink: true,
      scope: 'universe',
      protocol: 80,
      class: 'vxlan-same-subnet',
    });
    assert.equal(route(d.routes, '10.244.3.0/26')?.dev, 'vxlan.calico');
    assert.equal(route(d.routes, '10.244.3.0/26')?.class, 'vxlan-tunnel');
  });

  it('a remote node without a VXLAN tunnel address gets no route yet, and a note says why', () => {
    const d = computeDesired(input({ nodes: [H1, node('h2', { ip: '198.51.100.12/24' }), H3] }));
    assert.equal(route(d.routes, '10.244.2.0/26'), undefined);
    assert.ok(
      d.notes.some((n) => n.includes('h2') && n.includes('VXLAN tunnel address')),
      d.notes.join(),
    );
  });

  it('a node unknown to the datastore gets no route', () => {
    const d = computeDesired(input({ nodes: [H1, H2] }));
    assert.equal(route(d.routes, '10.244.3.0/26'), undefined);
    assert.ok(d.notes.some((n) => n.includes('h3')));
  });
});

describe('felix calc: borrowed addresses and precedence', () => {
  it('an address of my block allocated to another node gets a /32 to that node', () => {
    const d = computeDesired(input({ blocks: [block('10.244.1.0/26', 'h1', { 5: 'h2', 6: 'h1' })] }));
    assert.equal(route(d.routes, '10.244.1.5/32')?.gateway, '10.244.2.0');
    assert.equal(
      route(d.routes, '10.244.1.6/32'),
      undefined,
      'my own allocation: the workload route covers it',
    );
    assert.equal(route(d.routes, '10.244.1.0/26')?.type, 'blackhole');
  });

  it('an address of a remote block borrowed by a third node routes to the borrower', () => {
    const d = computeDesired(input({ blocks: [block('10.244.2.0/26', 'h2', { 9: 'h3' })] }));
    assert.equal(route(d.routes, '10.244.2.9/32')?.gateway, '10.244.3.0');
    assert.equal(route(d.routes, '10.244.2.0/26')?.gateway, '10.244.2.0');
  });

  it('the best class wins a destination: a local workload beats a tunnel route', () => {
    const d = computeDesired(
      input({
        blocks: [block('10.244.2.0/26', 'h2', { 3: 'h2' }), block('10.244.2.64/32', 'h2')],
        endpoints: [wep('w', 'h1', 'caliw', ['10.244.2.64/32'])],
      }),
    );
    assert.equal(route(d.routes, '10.244.2.64/32')?.class, 'local-workload');
  });

  it('routes are sorted by destination and the result does not depend on input order', () => {
    const a = input();
    const b = input({
      nodes: [...a.nodes].reverse(),
      blocks: [...a.blocks].reverse(),
      pools: [...a.pools].reverse(),
    });
    assert.deepEqual(computeDesired(a), computeDesired(b));
    assert.deepEqual(
      computeDesired(a).routes.map((r) => r.dst),
      ['10.244.1.0/26', '10.244.2.0/26', '10.244.3.0/26'],
    );
  });
});
