/** ARP (neighbour) and FDB drivers, and the tunnel-device plans, against canned output. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FdbEntry, Neighbour, VXLANDevice } from '../../../src/felix/calc/routing/index.js';
import { NO_IPIP_MESSAGE, isDataplaneError } from '../../../src/felix/errors.js';
import {
  FdbDriver,
  isRelevantMonitorLine,
  LinkDriver,
  NeighbourDriver,
} from '../../../src/felix/dataplane/index.js';
import { diffFdb, parseFdb } from '../../../src/felix/dataplane/fdb-driver.js';
import {
  parseLinks,
  planIPIP,
  planVXLAN,
  vxlanIncompatible,
} from '../../../src/felix/dataplane/link-plan.js';
import { diffNeighbours, parseNeighbours } from '../../../src/felix/dataplane/neigh-driver.js';
import { FakeRunner } from './fixtures.js';

const N2: Neighbour = { dev: 'vxlan.calico', ip: '10.244.2.0', mac: '66:00:00:00:00:02' };
const N3: Neighbour = { dev: 'vxlan.calico', ip: '10.244.3.0', mac: '66:00:00:00:00:03' };
const F2: FdbEntry = { dev: 'vxlan.calico', mac: '66:00:00:00:00:02', dst: '198.51.100.12' };
const F3: FdbEntry = { dev: 'vxlan.calico', mac: '66:00:00:00:00:03', dst: '198.51.100.13' };
const UP = new Set(['eth0', 'vxlan.calico']);

/** `ip -j -d addr show` of a lab host with vxlan.calico as Felix makes it. */
const VXLAN_LINK = {
  ifname: 'vxlan.calico',
  flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
  mtu: 1450,
  operstate: 'UNKNOWN',
  address: '66:00:00:00:00:01',
  linkinfo: {
    info_kind: 'vxlan',
    info_data: { id: 4096, local: '198.51.100.11', link: 'eth0', port: 4789, learning: false },
  },
  addr_info: [
    { family: 'inet', local: '10.244.1.0', prefixlen: 32 },
    { family: 'inet6', local: 'fe80::6400:ff:fe00:1', prefixlen: 64 },
  ],
};
const ETH0_LINK = {
  ifname: 'eth0',
  flags: ['UP'],
  mtu: 1500,
  operstate: 'UP',
  addr_info: [{ family: 'inet', local: '198.51.100.11', prefixlen: 24 }],
};
const DEV: VXLANDevice = {
  name: 'vxlan.calico',
  vni: 4096,
  port: 4789,
  mac: '66:00:00:00:00:01',
  mtu: 1450,
  localIP: '198.51.100.11',
  parent: 'eth0',
  address: '10.244.1.0',
};

describe('felix dataplane: neighbours', () => {
  it('parses only permanent entries', () => {
    const n = parseNeighbours([
      { dst: '10.244.2.0', dev: 'vxlan.calico', lladdr: '66:00:00:00:00:02', state: ['PERMANENT'] },
      { dst: '198.51.100.1', dev: 'eth0', lladdr: 'aa:bb:cc:dd:ee:ff', state: ['REACHABLE'] },
    ]);
    assert.deepEqual(n, [{ dev: 'vxlan.calico', ip: '10.244.2.0', mac: '66:00:00:00:00:02' }]);
  });

  it('adds missing, fixes wrong MACs, removes unwanted on owned devices only, waits for a missing device', () => {
    const actual = [
      { ...N2, mac: '66:00:00:00:00:99' },
      { dev: 'vxlan.calico', ip: '10.244.9.0', mac: '66:00:00:00:00:09' },
      { dev: 'eth0', ip: '198.51.100.50', mac: 'aa:aa:aa:aa:aa:aa' },
    ];
    const d = diffNeighbours([N2, N3], actual, ['vxlan.calico'], UP);
    assert.deepEqual(d.replace, [N2, N3]);
    assert.deepEqual(
      d.remove.map((r) => r.ip),
      ['10.244.9.0'],
    );
    assert.deepEqual(diffNeighbours([N2], [], ['vxlan.calico'], new Set()).waiting, [N2]);
  });

  it('driver sends one ip -batch', async () => {
    const runner = new FakeRunner([
      ['ip -j -d addr show', { stdout: JSON.stringify([VXLAN_LINK]) }],
      [
        'ip -4 -j neigh show nud permanent',
        {
          stdout: JSON.stringify([
            { dst: '10.244.9.0', dev: 'vxlan.calico', lladdr: '66:00:00:00:00:09', state: ['PERMANENT'] },
          ]),
        },
      ],
    ]);
    const d = new NeighbourDriver(runner, ['vxlan.calico']);
    d.setDesired([N2]);
    assert.equal((await d.reconcile()).changes, 2);
    assert.deepEqual(runner.batches('ip'), [
      'neigh del 10.244.9.0 dev vxlan.calico',
      'neigh replace 10.244.2.0 lladdr 66:00:00:00:00:02 dev vxlan.calico nud permanent',
    ]);
  });
});

describe('felix dataplane: FDB', () => {
  it('parses permanent self entries with a destination', () => {
    const f = parseFdb('vxlan.calico', [
      { mac: '66:00:00:00:00:02', dst: '198.51.100.12', flags: ['self'], state: 'permanent' },
      { mac: '66:00:00:00:00:07', dst: '198.51.100.17', flags: ['self'], state: '' },
    ]);
    assert.deepEqual(f, [F2]);
  });

  it('keyed by MAC: a new destination replaces the old one, extras go', () => {
    const d = diffFdb([F2, F3], [{ ...F2, dst: '198.51.100.99' }, { ...F2, mac: '66:00:00:00:00:09' }, F3]);
    assert.deepEqual(
      d.remove.map((e) => [e.mac, e.dst]),
      [
        ['66:00:00:00:00:02', '198.51.100.99'],
        ['66:00:00:00:00:09', '198.51.100.12'],
      ],
    );
    assert.deepEqual(d.replace, [F2]);
  });

  it('driver: one bridge -batch; no bridge call at all while the device is missing', async () => {
    const runner = new FakeRunner([
      ['ip -j -d addr show', { stdout: JSON.stringify([VXLAN_LINK]) }],
      ['bridge -j fdb show dev vxlan.calico', { stdout: '[]' }],
    ]);
    const d = new FdbDriver(runner, 'vxlan.calico');
    d.setDesired([F2]);
    await d.reconcile();
    assert.deepEqual(runner.batches('bridge'), [
      'fdb replace 66:00:00:00:00:02 dev vxlan.calico dst 198.51.100.12 self permanent',
    ]);

    const none = new FakeRunner([['ip -j -d addr show', { stdout: '[]' }]]);
    const d2 = new FdbDriver(none, 'vxlan.calico');
    d2.setDesired([F2]);
    const r = await d2.reconcile();
    assert.equal(r.waiting.length, 1);
    assert.ok(none.calls.every((c) => c.tool !== 'bridge'));
  });
});

describe('felix dataplane: tunnel devices', () => {
  const [vx, eth0] = parseLinks([VXLAN_LINK, ETH0_LINK]);

  it('parses the VXLAN details and IPv4 addresses', () => {
    assert.deepEqual(vx, {
      name: 'vxlan.calico',
      kind: 'vxlan',
      vni: 4096,
      local: '198.51.100.11',
      parent: 'eth0',
      port: 4789,
      learning: false,
      mac: '66:00:00:00:00:01',
      mtu: 1450,
      up: true,
      operUp: true,
      addresses: ['10.244.1.0/32'],
    });
    assert.equal(eth0.kind, undefined);
  });

  it('creates the device as the lab does', () => {
    assert.deepEqual(planVXLAN('vxlan.calico', DEV, undefined), [
      'link add vxlan.calico type vxlan id 4096 local 198.51.100.11 dev eth0 dstport 4789 nolearning',
      'link set vxlan.calico address 66:00:00:00:00:01 mtu 1450 up',
      'addr add 10.244.1.0/32 dev vxlan.calico',
    ]);
  });

  it('in sync: nothing; MTU/MAC/down/address drift is fixed in place', () => {
    assert.deepEqual(planVXLAN('vxlan.calico', DEV, vx), []);
    assert.deepEqual(
      planVXLAN('vxlan.calico', { ...DEV, mtu: 1400, mac: '66:00:00:00:00:11' }, { ...vx, up: false }),
      ['link set vxlan.calico address 66:00:00:00:00:11 mtu 1400 up'],
    );
    assert.deepEqual(planVXLAN('vxlan.calico', DEV, { ...vx, addresses: ['10.244.1.5/32'] }), [
      'addr del 10.244.1.5/32 dev vxlan.calico',
      'addr add 10.244.1.0/32 dev vxlan.calico',
    ]);
  });

  it('recreates an incompatible device (VNI, local, port, learning, parent) and deletes an unwanted one', () => {
    assert.match(vxlanIncompatible(DEV, { ...vx, vni: 1 }) ?? '', /VNI 1/);
    assert.match(vxlanIncompatible(DEV, { ...vx, learning: true }) ?? '', /learning/);
    assert.match(vxlanIncompatible(DEV, { ...vx, kind: 'bridge' }) ?? '', /bridge/);
    const lines = planVXLAN('vxlan.calico', { ...DEV, port: 8472 }, vx);
    assert.equal(lines[0], 'link del vxlan.calico');
    assert.match(lines[1], /dstport 8472/);
    assert.deepEqual(planVXLAN('vxlan.calico', undefined, vx), ['link del vxlan.calico']);
    assert.deepEqual(planVXLAN('vxlan.calico', undefined, undefined), []);
  });

  it('tunl0: MTU, up and the tunnel address; when not wanted only its addresses go', () => {
    const tunl0 = { ...eth0, name: 'tunl0', kind: 'ipip', mtu: 1480, up: false, addresses: ['10.9.9.9/32'] };
    assert.deepEqual(planIPIP('tunl0', { name: 'tunl0', mtu: 1480, address: '10.245.1.1' }, tunl0), [
      'link set tunl0 up',
      'addr del 10.9.9.9/32 dev tunl0',
      'addr add 10.245.1.1/32 dev tunl0',
    ]);
    assert.deepEqual(planIPIP('tunl0', undefined, tunl0), ['addr del 10.9.9.9/32 dev tunl0']);
  });

  it('IPIP on a kernel without ipip fails with a clear message after programming VXLAN', async () => {
    const runner = new FakeRunner([
      ['ip -j -d addr show', { stdout: JSON.stringify([ETH0_LINK]) }],
      ['ip link add name tunl0 type ipip', { code: 2, stderr: 'Error: Unknown device type.\n' }],
    ]);
    const d = new LinkDriver(runner);
    d.setDesired({ vxlan: DEV, ipip: { name: 'tunl0', mtu: 1480 } });
    await assert.rejects(d.reconcile(), (e) => {
      assert.ok(isDataplaneError(e, 'unsupported'));
      assert.equal(e.message, NO_IPIP_MESSAGE);
      assert.equal(e.code, 'OPERATION_NOT_SUPPORTED');
      return true;
    });
    assert.equal(
      runner.batches('ip')[0],
      'link add vxlan.calico type vxlan id 4096 local 198.51.100.11 dev eth0 dstport 4789 nolearning',
    );
  });
});

describe('felix dataplane: kernel monitor filter', () => {
  const devs = ['vxlan.calico', 'tunl0'];
  it('links and main-table routes trigger a pass; local-table and link-local routes do not', () => {
    assert.equal(isRelevantMonitorLine('[LINK]4: vxlan.calico: <BROADCAST> mtu 1450', devs), true);
    assert.equal(
      isRelevantMonitorLine('[ROUTE]Deleted 10.244.2.0/26 via 10.244.2.0 dev vxlan.calico onlink ', devs),
      true,
    );
    assert.equal(
      isRelevantMonitorLine(
        '[ROUTE]local 10.244.1.0 dev vxlan.calico table local proto kernel scope host ',
        devs,
      ),
      false,
    );
    assert.equal(
      isRelevantMonitorLine('[ROUTE]fe80::/64 dev cali1 proto kernel metric 256 pref medium', devs),
      false,
    );
  });

  it('neighbour events only on our devices (FDB entries arrive as neighbours)', () => {
    assert.equal(
      isRelevantMonitorLine(
        '[NEIGH]Deleted 198.51.100.12 dev vxlan.calico lladdr 66:00:00:00:00:02 NOARP PERMANENT ',
        devs,
      ),
      true,
    );
    assert.equal(
      isRelevantMonitorLine('[NEIGH]198.51.100.1 dev eth0 lladdr aa:bb:cc:dd:ee:ff STALE ', devs),
      false,
    );
    assert.equal(isRelevantMonitorLine('[ADDR]2: eth0 inet 198.51.100.11/24', devs), false);
  });
});
