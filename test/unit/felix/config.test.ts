/** FelixConfiguration layering for routing: default, then node.<name>, then overrides. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ROUTING_CONFIG, resolveRoutingConfig } from '../../../src/felix/calc/routing/index.js';
import { felixConfig } from './fixtures.js';

describe('felix routing config', () => {
  it('defaults: VNI 4096, port 4789, boot protocol, EnabledIPIPOnly, cali prefix', () => {
    const c = resolveRoutingConfig('h1', []);
    assert.equal(c.vxlanVNI, 4096);
    assert.equal(c.vxlanPort, 4789);
    assert.equal(c.deviceRouteProtocol, 3);
    assert.equal(c.programClusterRoutes, 'EnabledIPIPOnly');
    assert.deepEqual(c.interfacePrefixes, ['cali']);
    assert.equal(c.routeRefreshMs, 5000);
    assert.deepEqual(DEFAULT_ROUTING_CONFIG.interfacePrefixes, ['cali'], 'defaults are not mutated');
  });

  it('node.<name> overrides default; other nodes’ resources are ignored; overrides win', () => {
    const c = resolveRoutingConfig(
      'h1',
      [
        felixConfig('node.h1', { vxlanMTU: 1400, interfacePrefix: 'cali,tap' }),
        felixConfig('default', {
          vxlanMTU: 1300,
          vxlanVNI: 10,
          routeRefreshInterval: '1m30s',
          natPortRange: '32768:65535',
        }),
        felixConfig('node.h2', { vxlanVNI: 99 }),
      ],
      { vxlanVNI: 11 },
    );
    assert.equal(c.vxlanMTU, 1400);
    assert.equal(c.vxlanVNI, 11);
    assert.deepEqual(c.interfacePrefixes, ['cali', 'tap']);
    assert.equal(c.routeRefreshMs, 90_000);
    assert.deepEqual(c.natPortRange, [32768, 65535]);
  });

  it('ignores values of the wrong type', () => {
    const c = resolveRoutingConfig('h1', [
      felixConfig('default', { vxlanVNI: 'x', programClusterRoutes: 'Bogus' }),
    ]);
    assert.equal(c.vxlanVNI, 4096);
    assert.equal(c.programClusterRoutes, 'EnabledIPIPOnly');
  });
});
