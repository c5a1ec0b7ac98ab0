/** NAT outgoing in nftables (render, parse, plan, driver), sysctls, and the driver composite. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  resolveRoutingConfig,
  type DesiredDataplane,
  type NatOutgoing,
} from '../../../src/felix/calc/routing/index.js';
import { NatDriver, RoutingDataplane, SysctlDriver } from '../../../src/felix/dataplane/index.js';
import {
  natRuleBodies,
  natStructureProblem,
  parseNatTable,
  planNat,
  renderNatTable,
  ruleComment,
} from '../../../src/felix/dataplane/nat-plan.js';
import { diffSysctls, parseSysctlValues } from '../../../src/felix/dataplane/sysctl-driver.js';
import { FakeRunner } from './fixtures.js';

const NAT: NatOutgoing = {
  allPools: ['10.100.0.0/16', '10.244.0.0/16'],
  masqPools: ['10.244.0.0/16'],
  tunnelDevices: ['vxlan.calico'],
};

/** `nft -j list table ip calico-nat` as nft 1.0.6 prints the table renderNatTable(NAT) makes. */
function kernelJSON(nat: NatOutgoing, elems?: Record<string, unknown[]>) {
  const prefix = (c: string) => {
    const [addr, len] = c.split('/');
    return len === '32' ? addr : { prefix: { addr, len: Number(len) } };
  };
  const set = (name: string, members: string[]) => ({
    set: {
      family: 'ip',
      name,
      table: 'calico-nat',
      type: 'ipv4_addr',
      handle: 2,
      flags: ['interval'],
      ...(members.length ? { elem: elems?.[name] ?? members.map(prefix) } : {}),
    },
  });
  return {
    nftables: [
      { metainfo: { version: '1.0.6', json_schema_version: 1 } },
      { table: { family: 'ip', name: 'calico-nat', handle: 1 } },
      set('all-pools', nat.allPools),
      set('masq-pools', nat.masqPools),
      set('all-hosts', nat.hostIPs ?? []),
      {
        chain: {
          family: 'ip',
          table: 'calico-nat',
          name: 'postrouting',
          handle: 1,
          type: 'nat',
          hook: 'postrouting',
          prio: 100,
          policy: 'accept',
        },
      },
      ...natRuleBodies(nat).map((b, i) => ({
        rule: {
          family: 'ip',
          table: 'calico-nat',
          chain: 'postrouting',
          handle: 4 + i,
          comment: ruleComment(b),
          expr: [],
        },
      })),
    ],
  };
}

describe('felix dataplane: NAT outgoing (nftables)', () => {
  it('renders the table: three interval sets and a srcnat chain with hashed comments', () => {
    const text = renderNatTable(NAT);
    assert.match(text, /^table ip calico-nat \{/);
    assert.match(
      text,
      /set all-pools \{ type ipv4_addr; flags interval; elements = \{ 10\.100\.0\.0\/16, 10\.244\.0\.0\/16 \}; \}/,
    );
    assert.match(text, /set all-hosts \{ type ipv4_addr; flags interval; \}/);
    assert.match(text, /type nat hook postrouting priority srcnat; policy accept;/);
    assert.match(
      text,
      /ip saddr @masq-pools ip daddr != @all-pools masquerade fully-random comment "cali:[A-Za-z0-9_-]{16}"/,
    );
    assert.match(
      text,
      /oifname "vxlan\.calico" fib saddr \. oif type != local fib saddr type local masquerade/,
    );
  });

  it('rule variants: host exclusions, SNAT address, port ranges', () => {
    assert.deepEqual(
      natRuleBodies({
        ...NAT,
        tunnelDevices: [],
        hostIPs: ['198.51.100.11/32'],
        snatAddress: '198.51.100.100',
        portRange: [1024, 2047],
      }),
      [
        'ip saddr @masq-pools ip daddr != @all-pools ip daddr != @all-hosts meta l4proto tcp snat to 198.51.100.100:1024-2047',
        'ip saddr @masq-pools ip daddr != @all-pools ip daddr != @all-hosts meta l4proto udp snat to 198.51.100.100:1024-2047',
        'ip saddr @masq-pools ip daddr != @all-pools ip daddr != @all-hosts snat to 198.51.100.100',
      ],
    );
    assert.deepEqual(natRuleBodies({ ...NAT, masqPools: [], tunnelDevices: [] }), []);
  });

  it('parses the kernel table; in sync means no script', () => {
    const k = parseNatTable(kernelJSON(NAT));
    assert.deepEqual(k.sets.get('all-pools')?.elements, ['10.100.0.0/16', '10.244.0.0/16']);
    assert.equal(natStructureProblem(NAT, k), undefined);
    assert.equal(planNat(NAT, k), undefined);
  });

  it('member changes are element deltas; /32 members print bare', () => {
    const want: NatOutgoing = {
      ...NAT,
      allPools: ['10.244.0.0/16', '10.250.0.0/16'],
      hostIPs: ['198.51.100.11/32'],
    };
    const k = parseNatTable(kernelJSON({ ...NAT, hostIPs: ['198.51.100.12/32'] }));
    assert.deepEqual(k.sets.get('all-hosts')?.elements, ['198.51.100.12/32']);
    assert.equal(
      planNat(want, k),
      [
        'delete element ip calico-nat all-pools { 10.100.0.0/16 }',
        'add element ip calico-nat all-pools { 10.250.0.0/16 }',
        'delete element ip calico-nat all-hosts { 198.51.100.12/32 }',
        'add element ip calico-nat all-hosts { 198.51.100.11/32 }',
      ].join('\n') + '\n',
    );
  });

  it('a changed rule list, a foreign chain or a missing table rebuild the table in one transaction', () => {
    const k = parseNatTable(kernelJSON({ ...NAT, tunnelDevices: [] }));
    assert.match(natStructureProblem(NAT, k) ?? '', /other rules/);
    const script = planNat(NAT, k) ?? '';
    assert.ok(
      script.startsWith('add table ip calico-nat\ndelete table ip calico-nat\ntable ip calico-nat {'),
    );
    assert.ok(planNat(NAT, undefined)?.includes('table ip calico-nat {'));
    const extra = kernelJSON(NAT);
    extra.nftables.push({
      chain: {
        family: 'ip',
        table: 'calico-nat',
        name: 'mine',
        handle: 9,
        type: 'filter',
        hook: 'input',
        prio: 0,
        policy: 'accept',
      },
    });
    assert.match(natStructureProblem(NAT, parseNatTable(extra)) ?? '', /chains/);
  });

  it('no NAT wanted: the table is deleted if present', () => {
    assert.equal(planNat(undefined, parseNatTable(kernelJSON(NAT))), 'delete table ip calico-nat\n');
    assert.equal(planNat(undefined, undefined), undefined);
  });

  it('driver: a missing table is created with one nft -f -', async () => {
    const runner = new FakeRunner([
      [
        'nft -j list table ip calico-nat',
        { code: 1, stderr: 'Error: No such file or directory\nlist table ip calico-nat\n' },
      ],
    ]);
    const d = new NatDriver(runner);
    d.setDesired(NAT);
    await d.reconcile();
    const apply = runner.calls.filter((c) => c.tool === 'nft' && c.args[0] === '-f');
    assert.equal(apply.length, 1);
    assert.deepEqual(apply[0].args, ['-f', '-']);
    assert.match(apply[0].stdin ?? '', /table ip calico-nat \{/);
  });
});

describe('felix dataplane: sysctls', () => {
  it('parses values and writes only differences', async () => {
    const m = parseSysctlValues('net/ipv4/ip_forward=0\nnet/netfilter/nf_conntrack_acct=?\n');
    assert.equal(m.get('net/ipv4/ip_forward'), '0');
    assert.deepEqual(diffSysctls([{ key: 'net/ipv4/ip_forward', value: '1' }], m), [
      { key: 'net/ipv4/ip_forward', value: '1' },
    ]);
    const runner = new FakeRunner([['sh -c for k', { stdout: 'net/ipv4/ip_forward=0\n' }]]);
    const d = new SysctlDriver(runner);
    d.setDesired([{ key: 'net/ipv4/ip_forward', value: '1' }]);
    assert.equal((await d.reconcile()).changes, 1);
    const write = runner.calls[1];
    assert.deepEqual(write.args.slice(2), ['sh', 'net/ipv4/ip_forward', '1']);
  });

  it('rejects keys that are not sysctl paths', () => {
    assert.throws(() =>
      new SysctlDriver(new FakeRunner()).setDesired([{ key: '../../etc/passwd', value: 'x' }]),
    );
  });
});

describe('felix dataplane: composite', () => {
  it('a failing driver is reported and does not stop the others', async () => {
    const runner = new FakeRunner([
      ['ip -j -d addr show', { stdout: '[]' }],
      ['ip -4 -N -j route show table main', { code: 1, stderr: 'boom' }],
    ]);
    const cfg = resolveRoutingConfig('h1', []);
    const dp = new RoutingDataplane({ runner, config: cfg });
    const desired: DesiredDataplane = {
      routes: [
        {
          dst: '10.244.1.0/26',
          type: 'blackhole',
          scope: 'universe',
          protocol: 80,
          class: 'blackhole-vxlan',
        },
      ],
      neighbours: [],
      fdb: [],
      sysctls: [],
      nat: NAT,
      mtu: { host: 1500, vxlan: 1450, ipip: 1480, pod: 1450 },
      notes: [],
    };
    dp.setDesired(desired, cfg);
    const r = await dp.reconcile();
    assert.deepEqual(
      r.failures.map((f) => f.driver),
      ['routes'],
    );
    assert.match(r.failures[0].error.message, /boom/);
    assert.ok(
      runner.calls.some((c) => c.tool === 'nft' && c.args[0] === '-f'),
      'NAT still applied',
    );
  });
});
