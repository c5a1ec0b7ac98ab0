/** Route parsing, ownership, diffing and the route driver's batch, against canned `ip` output. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DesiredRoute } from '../../../src/felix/calc/routing/index.js';
import { RouteDriver, routeOwnership } from '../../../src/felix/dataplane/index.js';
import {
  deleteRouteLine,
  isOwnedRoute,
  parseRoutes,
  replaceRouteLine,
  type KernelRoute,
} from '../../../src/felix/dataplane/kernel-routes.js';
import { diffRoutes } from '../../../src/felix/dataplane/route-diff.js';
import { resolveRoutingConfig } from '../../../src/felix/calc/routing/index.js';
import { FakeRunner } from './fixtures.js';

const OWN = routeOwnership(resolveRoutingConfig('h1', []));

/** What `ip -4 -N -j route show table main` printed on a lab host (plus foreign routes). */
const IP_ROUTE_JSON = [
  { dst: 'default', gateway: '198.51.100.1', dev: 'eth0', flags: ['onlink'] },
  { type: '6', dst: '10.244.1.0/26', protocol: '80', flags: [] },
  { dst: '10.244.1.1', dev: 'cali1', scope: '253', flags: [] },
  { dst: '10.244.2.0/26', gateway: '10.244.2.0', dev: 'vxlan.calico', flags: ['onlink'] },
  { dst: '10.9.0.0/16', gateway: '198.51.100.99', dev: 'eth0', protocol: '12', flags: [] },
  { dst: '198.51.100.0/24', dev: 'eth0', protocol: '2', scope: '253', prefsrc: '198.51.100.11', flags: [] },
  { dst: '10.244.1.9', dev: 'cali9', protocol: '4', scope: '253', metric: 5, flags: [] },
];

const WL: DesiredRoute = {
  dst: '10.244.1.1/32',
  type: 'unicast',
  dev: 'cali1',
  scope: 'link',
  protocol: 3,
  class: 'local-workload',
};
const BH: DesiredRoute = {
  dst: '10.244.1.0/26',
  type: 'blackhole',
  scope: 'universe',
  protocol: 80,
  class: 'blackhole-vxlan',
};
const VX: DesiredRoute = {
  dst: '10.244.2.0/26',
  type: 'unicast',
  gateway: '10.244.2.0',
  dev: 'vxlan.calico',
  onlink: true,
  scope: 'universe',
  protocol: 3,
  class: 'vxlan-tunnel',
};

const UP = new Set(['eth0', 'cali1', 'cali9', 'vxlan.calico']);
const opts = (o: { now?: number; since?: Map<string, number>; up?: Set<string>; graceMs?: number } = {}) => ({
  ownership: OWN,
  upLinks: o.up ?? UP,
  now: o.now ?? 100_000,
  graceMs: o.graceMs ?? 10_000,
  unwantedSince: o.since ?? new Map<string, number>(),
});

describe('felix dataplane: kernel routes', () => {
  it('parses -N JSON: defaults for absent type/protocol/scope/metric, /32 for bare dsts, default = 0.0.0.0/0', () => {
    const r = parseRoutes(IP_ROUTE_JSON);
    assert.equal(r.length, 7);
    assert.deepEqual(r[0], {
      dst: '0.0.0.0/0',
      type: 1,
      dev: 'eth0',
      gateway: '198.51.100.1',
      onlink: true,
      scope: 0,
      protocol: 3,
      metric: 0,
    });
    assert.deepEqual(r[1], {
      dst: '10.244.1.0/26',
      type: 6,
      onlink: false,
      scope: 0,
      protocol: 80,
      metric: 0,
    });
    assert.equal(r[2].dst, '10.244.1.1/32');
    assert.equal(r[2].scope, 253);
    assert.equal(r[6].metric, 5);
  });

  it('ownership: workload and vxlan.calico routes and proto 80 are ours; kernel, BIRD and plain routes are not', () => {
    const owned = parseRoutes(IP_ROUTE_JSON).map((r) => [r.dst, isOwnedRoute(r, OWN)]);
    assert.deepEqual(owned, [
      ['0.0.0.0/0', false],
      ['10.244.1.0/26', true],
      ['10.244.1.1/32', true],
      ['10.244.2.0/26', true],
      ['10.9.0.0/16', false],
      ['198.51.100.0/24', false],
      ['10.244.1.9/32', true],
    ]);
    const strict = { ...OWN, removeExternalRoutes: false };
    assert.equal(
      isOwnedRoute(parseRoutes(IP_ROUTE_JSON)[6], strict),
      false,
      'static route on cali9 kept without RemoveExternalRoutes',
    );
  });

  it('renders replace and delete lines', () => {
    assert.equal(replaceRouteLine(WL), 'route replace 10.244.1.1/32 dev cali1 scope link proto 3');
    assert.equal(replaceRouteLine(BH), 'route replace blackhole 10.244.1.0/26 proto 80');
    assert.equal(
      replaceRouteLine(VX),
      'route replace 10.244.2.0/26 via 10.244.2.0 dev vxlan.calico onlink scope global proto 3',
    );
    const k = parseRoutes(IP_ROUTE_JSON);
    assert.equal(deleteRouteLine(k[1]), 'route del blackhole 10.244.1.0/26 proto 80 metric 0');
    assert.equal(deleteRouteLine(k[6]), 'route del 10.244.1.9/32 dev cali9 proto 4 metric 5');
  });
});

describe('felix dataplane: route diff', () => {
  const actual = parseRoutes(IP_ROUTE_JSON);

  it('in sync: nothing to do; foreign routes are never touched', () => {
    const d = diffRoutes([WL, BH, VX], actual, opts({ graceMs: 0 }));
    assert.deepEqual(d.replace, []);
    assert.deepEqual(
      d.remove.map((r) => r.dst),
      ['10.244.1.9/32'],
      'only the unwanted owned route goes',
    );
  });

  it('missing or different routes are replaced', () => {
    const moved: DesiredRoute = { ...VX, gateway: '10.244.2.64' };
    const d = diffRoutes([WL, moved, { ...BH, dst: '10.244.1.64/26' }], actual, opts({ graceMs: 0 }));
    assert.deepEqual(
      d.replace.map((r) => [r.dst, r.gateway]),
      [
        ['10.244.2.0/26', '10.244.2.64'],
        ['10.244.1.64/26', undefined],
      ],
    );
    assert.deepEqual(
      d.remove.map((r) => r.dst),
      ['10.244.1.0/26', '10.244.1.9/32'],
    );
  });

  it('a desired route over a foreign route with the same key takes it over (replace)', () => {
    const d = diffRoutes([{ ...BH, dst: '10.9.0.0/16' }], actual, opts());
    assert.deepEqual(
      d.replace.map((r) => r.dst),
      ['10.9.0.0/16'],
    );
  });

  it('routes through a missing or down device wait', () => {
    const d = diffRoutes(
      [{ ...WL, dev: 'cali7', dst: '10.244.1.7/32' }],
      actual,
      opts({ up: new Set(['eth0']) }),
    );
    assert.deepEqual(
      d.waiting.map((r) => r.dst),
      ['10.244.1.7/32'],
    );
    assert.deepEqual(d.replace, []);
  });

  it('unwanted workload routes are held for the grace period, then removed; other owned routes go at once', () => {
    const since = new Map<string, number>();
    const first = diffRoutes([], actual, opts({ now: 1000, since }));
    assert.deepEqual(
      first.held.map((r) => r.dst),
      ['10.244.1.1/32', '10.244.1.9/32'],
    );
    assert.deepEqual(
      first.remove.map((r) => r.dst),
      ['10.244.1.0/26', '10.244.2.0/26'],
    );
    const during = diffRoutes([], actual, opts({ now: 10_999, since }));
    assert.equal(during.held.length, 2);
    const after = diffRoutes([], actual, opts({ now: 11_000, since }));
    assert.deepEqual(after.remove.map((r) => r.dst).sort(), [
      '10.244.1.0/26',
      '10.244.1.1/32',
      '10.244.1.9/32',
      '10.244.2.0/26',
    ]);
  });

  it('a route that becomes wanted again forgets its grace timer', () => {
    const since = new Map<string, number>();
    diffRoutes([], actual, opts({ now: 1000, since }));
    assert.equal(since.size, 2);
    diffRoutes([WL], actual, opts({ now: 2000, since }));
    assert.equal(since.size, 1);
  });
});

describe('felix dataplane: RouteDriver', () => {
  const linkJSON = JSON.stringify(
    ['eth0', 'cali1', 'vxlan.calico'].map((n) => ({
      ifname: n,
      flags: ['UP'],
      mtu: 1500,
      operstate: 'UP',
      addr_info: [],
    })),
  );

  it('reads links and the table, then sends deletions and replacements in one ip -batch', async () => {
    const runner = new FakeRunner([
      ['ip -j -d addr show', { stdout: linkJSON }],
      ['ip -4 -N -j route show table main', { stdout: JSON.stringify(IP_ROUTE_JSON) }],
    ]);
    const driver = new RouteDriver(runner, { ownership: OWN, graceMs: 0 });
    driver.setDesired([WL, { ...VX, dst: '10.244.3.0/26', gateway: '10.244.3.0' }]);
    const r = await driver.reconcile();
    const batches = runner.calls.filter((c) => c.args.includes('-batch'));
    assert.equal(batches.length, 1);
    assert.deepEqual(batches[0].args, ['-force', '-batch', '-']);
    assert.deepEqual(runner.batches('ip'), [
      'route del blackhole 10.244.1.0/26 proto 80 metric 0',
      'route del 10.244.2.0/26 via 10.244.2.0 dev vxlan.calico proto 3 metric 0',
      'route del 10.244.1.9/32 dev cali9 proto 4 metric 5',
      'route replace 10.244.3.0/26 via 10.244.3.0 dev vxlan.calico onlink scope global proto 3',
    ]);
    assert.equal(r.changes, 4);
  });

  it('in sync: no batch at all', async () => {
    const table = IP_ROUTE_JSON.slice(0, 4);
    const runner = new FakeRunner([
      ['ip -j -d addr show', { stdout: linkJSON }],
      ['ip -4 -N -j route show table main', { stdout: JSON.stringify(table) }],
    ]);
    const driver = new RouteDriver(runner, { ownership: OWN });
    driver.setDesired([WL, BH, VX]);
    assert.equal((await driver.reconcile()).changes, 0);
    assert.equal(runner.batches('ip').length, 0);
  });

  it('a failed batch line is reported by content', async () => {
    const runner = new FakeRunner([
      ['ip -j -d addr show', { stdout: linkJSON }],
      ['ip -4 -N -j route show table main', { stdout: '[]' }],
      ['ip -force -batch', { code: 1, stderr: 'Error: Nexthop has invalid gateway.\nCommand failed -:1\n' }],
    ]);
    const driver = new RouteDriver(runner, { ownership: OWN });
    driver.setDesired([VX]);
    await assert.rejects(driver.reconcile(), /failed: route replace 10\.244\.2\.0\/26/);
  });

  it('the actual list is typed (sanity)', () => {
    const k: KernelRoute[] = parseRoutes([]);
    assert.deepEqual(k, []);
  });
});
