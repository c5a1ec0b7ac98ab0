import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IPFamily } from '../../../src/net/index.js';
import {
  autodetectAddress,
  DEFAULT_INTERFACE_EXCLUDES,
  isGlobalUnicast,
  parseAutodetectMethod,
  selectAddress,
  type DetectResult,
  type Iface,
} from '../../../src/node/startup/index.js';
import { parseIP } from '../../../src/net/index.js';

/** An interface as `ip -j addr show` prints it: addresses as `ip/prefix`. */
function iface(ifindex: number, ifname: string, ...addrs: string[]): Iface {
  return {
    ifindex,
    ifname,
    flags: ['UP'],
    addr_info: addrs.map((a) => {
      const [local, len] = a.split('/');
      return {
        family: local.includes(':') ? 'inet6' : 'inet',
        local,
        prefixlen: Number(len),
        scope: 'global',
      };
    }),
  };
}

function detect(ifaces: Iface[], method: string, family: IPFamily = 4, source?: string): DetectResult {
  const m = parseAutodetectMethod(
    family === 4 ? 'IP_AUTODETECTION_METHOD' : 'IP6_AUTODETECTION_METHOD',
    method,
    family,
  );
  return selectAddress(
    ifaces,
    m,
    family,
    m.kind === 'can-reach' ? { destination: m.destination, source } : undefined,
  );
}

function ok(r: DetectResult): Extract<DetectResult, { ok: true }> {
  assert.ok(r.ok, `expected a detected address, got: ${r.reason}`);
  return r;
}

const host: Iface[] = [
  iface(1, 'lo', '127.0.0.1/8', '::1/128'),
  iface(2, 'eth0', '10.0.0.5/24', '10.0.0.6/24', 'fe80::1/64', '2001:db8::5/64'),
  iface(3, 'eth1', '192.0.2.7/26', 'fd00::7/64'),
  iface(4, 'docker0', '172.17.0.1/16'),
  iface(5, 'cali1234abcd', '169.254.1.1/32'),
];

describe('autodetection: first-found', () => {
  it('scans from the highest ifindex, skipping default excludes: eth1 beats eth0', () => {
    const r = ok(detect(host, ''));
    assert.deepEqual(
      [r.cidr, r.iface, r.address, r.prefix, r.method],
      ['192.0.2.7/26', 'eth1', '192.0.2.7', 26, 'first-found'],
    );
    assert.match(r.reason, /first global unicast IPv4 address on eth1/);
    assert.match(r.reason, /highest ifindex/);
    assert.match(r.reason, /default exclude list/);
  });
  it('the order comes from ifindex, not from the order of the list', () => {
    const r = ok(detect([...host].reverse(), 'first-found'));
    assert.equal(r.iface, 'eth1');
  });
  it('the first global unicast address of an interface wins (kernel order)', () => {
    const r = ok(detect([iface(2, 'eth0', '10.0.0.5/24', '10.0.0.6/24')], 'first-found'));
    assert.equal(r.cidr, '10.0.0.5/24');
  });
  it('skips loopback, link-local, multicast addresses on otherwise eligible interfaces', () => {
    const r = ok(
      detect(
        [iface(9, 'eth9', '169.254.3.3/16', '127.0.0.2/8', '224.0.0.5/4'), iface(2, 'eth0', '10.0.0.5/24')],
        'first-found',
      ),
    );
    assert.equal(r.iface, 'eth0');
    const v6 = ok(
      detect(
        [iface(9, 'eth9', 'fe80::9/64', 'ff02::1/16'), iface(2, 'eth0', '2001:db8::5/64')],
        'first-found',
        6,
      ),
    );
    assert.equal(v6.cidr, '2001:db8::5/64');
  });
  it('every default exclude pattern skips its interfaces', () => {
    const names = [
      'docker0',
      'cbr0',
      'dummy0',
      'podman1',
      'virbr0',
      'lxcbr0',
      'veth12ab',
      'lo',
      'br-1234',
      'cali12345',
      'tunl0',
      'flannel.1',
      'kube-ipvs0',
      'cni0',
      'vxlan.calico',
      'vxlan-v6.calico',
      'wireguard.cali',
      'wg-v6.cali',
      'nodelocaldns',
    ];
    assert.equal(names.length, DEFAULT_INTERFACE_EXCLUDES.length);
    const ifaces = names.map((n, i) => iface(100 + i, n, `10.9.${i}.1/24`));
    const none = detect(ifaces, 'first-found');
    assert.equal(none.ok, false);
    assert.match(
      none.reason,
      /no global unicast IPv4 address on any interface outside the default exclude list/,
    );
    assert.match(none.reason, /interfaces considered: none/);
    const r = ok(detect([...ifaces, iface(1, 'ens3', '10.8.0.1/24')], 'first-found'));
    assert.equal(r.iface, 'ens3');
  });
  it('default excludes are anchored only at the start: ^lo also skips loopback-like names, but "myveth" is fine', () => {
    assert.equal(detect([iface(7, 'local-br', '10.1.0.1/24')], 'first-found').ok, false);
    assert.equal(ok(detect([iface(7, 'myveth', '10.1.0.1/24')], 'first-found')).iface, 'myveth');
  });
  it('nothing found: lists the interfaces it considered', () => {
    const r = detect([iface(2, 'eth0', 'fe80::1/64')], 'first-found');
    assert.equal(r.ok, false);
    assert.match(r.reason, /interfaces considered: eth0/);
  });
  it('IPv6 first-found', () => {
    const r = ok(detect(host, 'first-found', 6));
    assert.deepEqual([r.cidr, r.iface], ['fd00::7/64', 'eth1']);
    assert.match(r.reason, /IPv6/);
  });
});

describe('autodetection: interface=', () => {
  it('only matching interfaces, unanchored, highest ifindex first', () => {
    const r = ok(detect(host, 'interface=eth'));
    assert.equal(r.iface, 'eth1');
    assert.match(r.reason, /first interface matching eth that has one/);
    assert.equal(ok(detect(host, 'interface=th0')).iface, 'eth0');
  });
  it('a comma list with spaces; any regex may match', () => {
    assert.equal(ok(detect(host, 'interface=nomatch, eth0')).cidr, '10.0.0.5/24');
  });
  it('applies no default excludes (docker0 may be chosen)', () => {
    const r = ok(detect(host, 'interface=docker.*'));
    assert.equal(r.cidr, '172.17.0.1/16');
  });
  it('matching interface without a usable address: reason says so', () => {
    const r = detect(host, 'interface=cali.*');
    assert.equal(r.ok, false);
    assert.match(
      r.reason,
      /no interface matching cali\.\* has a global unicast IPv4 address \(matching interfaces: cali1234abcd\)/,
    );
  });
});

describe('autodetection: skip-interface=', () => {
  it('default excludes plus the given regexes', () => {
    const r = ok(detect(host, 'skip-interface=eth1'));
    assert.equal(r.iface, 'eth0');
    assert.match(r.reason, /skipping the default exclude list and eth1/);
  });
  it('unanchored: "1" skips eth1 and everything else with a 1', () => {
    assert.equal(ok(detect(host, 'skip-interface=1')).iface, 'eth0');
  });
  it('everything skipped: not found', () => {
    const r = detect(host, 'skip-interface=eth.*');
    assert.equal(r.ok, false);
    assert.match(r.reason, /outside the default exclude list and eth\.\*/);
  });
});

describe('autodetection: cidr=', () => {
  it('first address inside any CIDR, on any interface, no default excludes', () => {
    const r = ok(detect(host, 'cidr=10.0.0.0/8'));
    assert.deepEqual([r.cidr, r.iface], ['10.0.0.5/24', 'eth0']);
    assert.match(
      r.reason,
      /10\.0\.0\.5 on eth0 is the first global unicast IPv4 address inside 10\.0\.0\.0\/8/,
    );
    assert.equal(ok(detect(host, 'cidr=172.16.0.0/12')).iface, 'docker0');
  });
  it('several CIDRs: interface order decides, not CIDR order', () => {
    assert.equal(ok(detect(host, 'cidr=10.0.0.0/8,192.0.2.0/24')).iface, 'eth1');
  });
  it("picks the matching address, not the interface's first", () => {
    assert.equal(ok(detect(host, 'cidr=10.0.0.6/32')).cidr, '10.0.0.6/24');
  });
  it('link-local inside the CIDR does not count', () => {
    assert.equal(detect(host, 'cidr=169.254.0.0/16').ok, false);
  });
  it('IPv6', () => {
    assert.equal(ok(detect(host, 'cidr=2001:db8::/32', 6)).cidr, '2001:db8::5/64');
  });
});

describe('autodetection: can-reach=', () => {
  it('takes the interface address the kernel would use as source', () => {
    const r = ok(detect(host, 'can-reach=198.51.100.1', 4, '10.0.0.6'));
    assert.deepEqual([r.cidr, r.iface], ['10.0.0.6/24', 'eth0']);
    assert.match(r.reason, /the kernel routes to 198\.51\.100\.1 from 10\.0\.0\.6, which eth0 carries/);
  });
  it('no route, or a source no interface carries: not found with the reason', () => {
    const none = detect(host, 'can-reach=198.51.100.1', 4, undefined);
    assert.equal(none.ok, false);
    assert.match(none.reason, /no route to 198\.51\.100\.1/);
    const stray = detect(host, 'can-reach=198.51.100.1', 4, '10.99.0.1');
    assert.equal(stray.ok, false);
    assert.match(stray.reason, /no interface carries it/);
  });
  it('autodetectAddress asks the route lookup with the destination and family', async () => {
    const asked: [string, IPFamily][] = [];
    const r = await autodetectAddress(
      parseAutodetectMethod('IP6_AUTODETECTION_METHOD', 'can-reach=fd00::99', 6),
      6,
      {
        interfaces: async () => host,
        routeGet: async (dst, fam) => {
          asked.push([dst, fam]);
          return 'fd00::7';
        },
      },
    );
    assert.deepEqual(asked, [['fd00::99', 6]]);
    assert.equal(ok(r).cidr, 'fd00::7/64');
  });
  it('autodetectAddress does no route lookup for other methods', async () => {
    const r = await autodetectAddress({ kind: 'first-found' }, 4, {
      interfaces: async () => host,
      routeGet: async () => assert.fail('routeGet called'),
    });
    assert.equal(ok(r).iface, 'eth1');
  });
});

describe('global unicast', () => {
  it('matches Go semantics on the edges', () => {
    for (const [ip, want] of [
      ['10.0.0.1', true],
      ['192.168.1.1', true],
      ['0.0.0.0', false],
      ['127.0.0.1', false],
      ['169.254.1.1', false],
      ['224.0.0.1', false],
      ['255.255.255.255', false],
      ['240.0.0.1', true],
      ['fd00::1', true],
      ['::', false],
      ['::1', false],
      ['fe80::1', false],
      ['ff02::1', false],
    ] as const) {
      assert.equal(isGlobalUnicast(parseIP(ip)), want, ip);
    }
  });
});
