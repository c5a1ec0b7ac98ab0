import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resource } from '../../../src/api/index.js';
import { parseCIDR, parseIP } from '../../../src/net/index.js';
import { parseNodeConfig } from '../../../src/node/config.js';
import {
  chooseDefaultIPv4Pool,
  eligiblePools,
  findConflicts,
  ipOf,
  jsonLineLog,
  nodeInterfaces,
  randomULAPrefix,
  TUNNEL_TYPES,
  tunnelHandle,
  type Iface,
} from '../../../src/node/startup/index.js';

describe('default IPv4 pool choice', () => {
  it('192.168.0.0/16 when no host address is inside it', () => {
    assert.deepEqual(chooseDefaultIPv4Pool([parseIP('10.0.0.1')]), {
      cidr: '192.168.0.0/16',
      reason: 'the default',
    });
  });
  it('falls back to the first 172.16-31.0.0/16 without a host address', () => {
    const r = chooseDefaultIPv4Pool([parseIP('192.168.1.10'), parseIP('172.16.0.1'), parseIP('172.17.9.9')]);
    assert.equal(r.cidr, '172.18.0.0/16');
    assert.match(r.reason, /host address 192\.168\.1\.10 is inside 192\.168\.0\.0\/16/);
  });
  it('every fallback taken: 192.168.0.0/16 after all', () => {
    const addrs = [parseIP('192.168.0.1')];
    for (let n = 16; n <= 31; n++) addrs.push(parseIP(`172.${n}.0.1`));
    assert.equal(chooseDefaultIPv4Pool(addrs).cidr, '192.168.0.0/16');
  });
});

describe('random ULA prefix', () => {
  it('fd + 5 random bytes, /48', () => {
    assert.equal(
      randomULAPrefix(() => Uint8Array.from([0x5f, 0xab, 0xcd, 0x00, 0x64])),
      'fd5f:abcd:64::/48',
    );
    const c = parseCIDR(randomULAPrefix(), { strict: true });
    assert.equal(c.prefix, 48);
    assert.equal(c.addr >> 120n, 0xfdn);
    assert.notEqual(randomULAPrefix(), randomULAPrefix());
  });
});

const node = (name: string, v4?: string, v6?: string, labels?: Record<string, string>): Resource => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'Node',
  metadata: { name, labels },
  spec: { bgp: { ipv4Address: v4, ipv6Address: v6 } },
});

describe('IP conflicts', () => {
  it('compares host addresses (not prefixes) of other nodes only', () => {
    const nodes = [
      node('me', '10.0.0.5/24'),
      node('b', '10.0.0.5/16'),
      node('c', '10.0.0.6/24', 'fd00::5/64'),
    ];
    assert.deepEqual(findConflicts(nodes, 'me', '10.0.0.5/24', undefined), { v4: 'b' });
    assert.deepEqual(findConflicts(nodes, 'me', '10.0.0.7/24', 'fd00:0::5/128'), { v6: 'c' });
    assert.deepEqual(findConflicts(nodes, 'b', '10.0.0.5/24', undefined), { v4: 'me' });
    assert.deepEqual(findConflicts(nodes, 'me', undefined, undefined), {});
  });
  it('ipOf strips the prefix and normalises', () => {
    assert.equal(ipOf('fd00:0:0::1/64'), 'fd00::1');
    assert.equal(ipOf('10.0.0.1'), '10.0.0.1');
    assert.equal(ipOf(undefined), undefined);
  });
});

describe('Node interfaces', () => {
  const ifaces: Iface[] = [
    { ifindex: 3, ifname: 'eth1', addr_info: [{ family: 'inet', local: '192.0.2.7', prefixlen: 26 }] },
    { ifindex: 1, ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
    {
      ifindex: 2,
      ifname: 'eth0',
      addr_info: [
        { family: 'inet', local: '10.0.0.5', prefixlen: 24 },
        { family: 'inet6', local: 'fe80::1', prefixlen: 64 },
      ],
    },
    { ifindex: 4, ifname: 'docker0', addr_info: [{ family: 'inet', local: '172.17.0.1', prefixlen: 16 }] },
    { ifindex: 5, ifname: 'dummy-less', addr_info: [] },
    { ifindex: 6, ifname: 'bond0', addr_info: [{ family: 'inet6', local: '2001:db8::1', prefixlen: 64 }] },
  ];
  it('all but default excludes, sorted by name, addresses of the requested families (link-local included)', () => {
    assert.deepEqual(nodeInterfaces(ifaces, [4]), [
      { name: 'bond0' },
      { name: 'eth0', addresses: ['10.0.0.5'] },
      { name: 'eth1', addresses: ['192.0.2.7'] },
    ]);
    assert.deepEqual(nodeInterfaces(ifaces, [4, 6])![1], {
      name: 'eth0',
      addresses: ['10.0.0.5', 'fe80::1'],
    });
  });
  it('no family requested: no interface list', () => {
    assert.equal(nodeInterfaces(ifaces, []), undefined);
  });
});

describe('tunnel pools', () => {
  const cfg = parseNodeConfig({ NODENAME: 'n1' }, { readFile: () => undefined });
  const pool = (name: string, spec: Record<string, unknown>): Resource => ({
    apiVersion: 'projectcalico.org/v3',
    kind: 'IPPool',
    metadata: { name },
    spec,
  });
  const pools = [
    pool('vx', { cidr: '10.10.0.0/16', vxlanMode: 'Always', ipipMode: 'Never', nodeSelector: 'all()' }),
    pool('vx-cross', { cidr: '10.11.0.0/16', vxlanMode: 'CrossSubnet', nodeSelector: 'zone == "b"' }),
    pool('ipip', { cidr: '10.12.0.0/16', ipipMode: 'Always' }),
    pool('off', { cidr: '10.13.0.0/16', vxlanMode: 'Always', disabled: true }),
    pool('workload-only', { cidr: '10.14.0.0/16', vxlanMode: 'Always', allowedUses: ['Workload'] }),
    pool('v6', { cidr: 'fd00:1::/48', vxlanMode: 'Always' }),
    pool('plain', { cidr: '10.15.0.0/16' }),
  ];
  const byKind = (k: string) => TUNNEL_TYPES.find((t) => t.kind === k)!;
  it('VXLAN: encap on, enabled, Tunnel use allowed, selector matches, right family', () => {
    assert.deepEqual(
      eligiblePools(byKind('vxlan'), pools, node('n1', undefined, undefined, { zone: 'a' }), cfg),
      ['10.10.0.0/16'],
    );
    assert.deepEqual(
      eligiblePools(byKind('vxlan'), pools, node('n1', undefined, undefined, { zone: 'b' }), cfg),
      ['10.10.0.0/16', '10.11.0.0/16'],
    );
    assert.deepEqual(eligiblePools(byKind('vxlan-v6'), pools, node('n1'), cfg), ['fd00:1::/48']);
    assert.deepEqual(eligiblePools(byKind('ipip'), pools, node('n1'), cfg), ['10.12.0.0/16']);
  });
  it('WireGuard needs the node public key, and no host encryption', () => {
    const wgNode: Resource = { ...node('n1'), status: { wireguardPublicKey: 'k' } };
    assert.deepEqual(eligiblePools(byKind('wireguard'), pools, node('n1'), cfg), []);
    assert.deepEqual(eligiblePools(byKind('wireguard'), pools, wgNode, cfg), [
      '10.10.0.0/16',
      '10.12.0.0/16',
      '10.15.0.0/16',
    ]);
    const hostEnc = parseNodeConfig(
      { NODENAME: 'n1', FELIX_WIREGUARDHOSTENCRYPTIONENABLED: 'true' },
      { readFile: () => undefined },
    );
    assert.deepEqual(eligiblePools(byKind('wireguard'), pools, wgNode, hostEnc), []);
  });
  it('handles are <type>-tunnel-addr-<node>', () => {
    assert.deepEqual(
      TUNNEL_TYPES.map((t) => tunnelHandle(t.kind, 'n1')),
      [
        'wireguard-tunnel-addr-n1',
        'wireguard-v6-tunnel-addr-n1',
        'ipip-tunnel-addr-n1',
        'vxlan-tunnel-addr-n1',
        'vxlan-v6-tunnel-addr-n1',
      ],
    );
  });
});

describe('startup log', () => {
  it('one JSON line per event, below-level lines dropped, undefined fields left out', () => {
    const lines: string[] = [];
    const log = jsonLineLog({ write: (s: string) => lines.push(s) }, 'info');
    log.debug('hidden');
    log.info('Using autodetected IPv4 address', { address: '10.0.0.5/24', skip: undefined });
    assert.equal(lines.length, 1);
    assert.ok(lines[0].endsWith('\n'));
    const o = JSON.parse(lines[0]) as Record<string, unknown>;
    assert.equal(o.level, 'info');
    assert.equal(o.msg, 'Using autodetected IPv4 address');
    assert.equal(o.address, '10.0.0.5/24');
    assert.ok(!('skip' in o));
  });
});
