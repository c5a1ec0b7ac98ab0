import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { ctl } from '../../helpers/ctl.js';

/** The seed resources named by the foundation issue. */
/** The seed resources named by the foundation issue (also used by the demo). */
const SEEDS = readFileSync(new URL('../../../../examples/seeds.yaml', import.meta.url), 'utf8');

/** A tabwriter row with the widths written out by hand (text + 3 spaces, at least 5). */
function row(cells: [string, number][]): string {
  return cells.map(([t, w]) => t.padEnd(w)).join('') + '\n';
}

describe('calicoctl with the seed resources on a real etcd', () => {
  let etcd: EtcdHandle;
  let env: Record<string, string>;

  before(async () => {
    etcd = await startEtcd();
    env = etcd.env();
    const r = await ctl(env, ['apply', '-f', '-'], SEEDS);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'Successfully applied 5 resource(s)\n');
  });
  after(async () => {
    await etcd?.stop();
    await assertNoLeaks();
  });

  it('get ippool -o wide prints Calico columns and row', async () => {
    const r = await ctl(env, ['get', 'ippool', '-o', 'wide']);
    assert.equal(r.code, 0, r.stderr);
    const w = [22, 16, 7, 14, 12, 11, 19, 11] as const;
    const heads = [
      'NAME',
      'CIDR',
      'NAT',
      'IPIPMODE',
      'VXLANMODE',
      'DISABLED',
      'DISABLEBGPEXPORT',
      'SELECTOR',
    ];
    const vals = [
      'default-ipv4-ippool',
      '10.244.0.0/16',
      'true',
      'CrossSubnet',
      'Never',
      'false',
      'false',
      'all()',
    ];
    assert.equal(r.stdout, row(heads.map((h, i) => [h, w[i]])) + row(vals.map((v, i) => [v, w[i]])) + '\n');
  });

  it('get ippool (ps) prints NAME CIDR SELECTOR', async () => {
    const r = await ctl(env, ['get', 'ippools']);
    assert.equal(
      r.stdout,
      row([
        ['NAME', 22],
        ['CIDR', 16],
        ['SELECTOR', 11],
      ]) +
        row([
          ['default-ipv4-ippool', 22],
          ['10.244.0.0/16', 16],
          ['all()', 11],
        ]) +
        '\n',
    );
  });

  it('get bgppeer prints NAME PEERIP NODE ASN with selectors in NODE', async () => {
    const r = await ctl(env, ['get', 'bgppeer']);
    assert.equal(r.code, 0, r.stderr);
    const w = [14, 9, 31, 6];
    assert.equal(
      r.stdout,
      row([
        ['NAME', w[0]],
        ['PEERIP', w[1]],
        ['NODE', w[2]],
        ['ASN', w[3]],
      ]) +
        row([
          ['peer-to-rrs', w[0]],
          ['', w[1]],
          ['!has(calico-route-reflector)', w[2]],
          ['0', w[3]],
        ]) +
        row([
          ['rrs-to-rrs', w[0]],
          ['', w[1]],
          ['has(calico-route-reflector)', w[2]],
          ['0', w[3]],
        ]) +
        '\n',
    );
  });

  it('get bgpconfig -o wide prints mesh and AS', async () => {
    const r = await ctl(env, ['get', 'bgpconfig', '-o', 'wide']);
    assert.equal(r.code, 0, r.stderr);
    const w = [10, 14, 14, 11];
    assert.equal(
      r.stdout,
      row([
        ['NAME', w[0]],
        ['LOGSEVERITY', w[1]],
        ['MESHENABLED', w[2]],
        ['ASNUMBER', w[3]],
      ]) +
        row([
          ['default', w[0]],
          ['Info', w[1]],
          ['false', w[2]],
          ['64512', w[3]],
        ]) +
        '\n',
    );
  });

  it('get node -o wide shows the global AS in parentheses', async () => {
    const r = await ctl(env, ['get', 'nodes', '-o', 'wide']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0], /^NAME\s+ASN\s+IPV4\s+IPV6\s+$/);
    assert.match(lines[1], /^node1\s+\(64512\)\s+198\.51\.100\.11\/24\s+$/);
  });

  it('etcd holds Calico keys with JSON values', async () => {
    const r = await etcd.etcdctl([
      'get',
      '--prefix',
      '--keys-only',
      '/calico/resources/v3/projectcalico.org/',
    ]);
    const keys = r.stdout.split('\n').filter(Boolean).sort();
    for (const k of [
      '/calico/resources/v3/projectcalico.org/bgpconfigurations/default',
      '/calico/resources/v3/projectcalico.org/bgppeers/peer-to-rrs',
      '/calico/resources/v3/projectcalico.org/bgppeers/rrs-to-rrs',
      '/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool',
      '/calico/resources/v3/projectcalico.org/nodes/node1',
      '/calico/resources/v3/projectcalico.org/clusterinformations/default',
      '/calico/resources/v3/projectcalico.org/tiers/default',
      '/calico/resources/v3/projectcalico.org/tiers/kube-admin',
      '/calico/resources/v3/projectcalico.org/tiers/kube-baseline',
    ]) {
      assert.ok(keys.includes(k), `missing ${k} in ${keys.join(', ')}`);
    }
    const v = await etcd.etcdctl([
      'get',
      '--print-value-only',
      '/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool',
    ]);
    const pool = JSON.parse(v.stdout);
    assert.equal(pool.kind, 'IPPool');
    assert.equal(pool.apiVersion, 'projectcalico.org/v3');
    assert.equal(pool.metadata.resourceVersion, undefined, 'resourceVersion is never stored');
    assert.ok(pool.metadata.uid);
    assert.ok(pool.metadata.creationTimestamp);
    assert.deepEqual(
      {
        cidr: pool.spec.cidr,
        ipipMode: pool.spec.ipipMode,
        vxlanMode: pool.spec.vxlanMode,
        natOutgoing: pool.spec.natOutgoing,
        blockSize: pool.spec.blockSize,
        nodeSelector: pool.spec.nodeSelector,
      },
      {
        cidr: '10.244.0.0/16',
        ipipMode: 'CrossSubnet',
        vxlanMode: 'Never',
        natOutgoing: true,
        blockSize: 26,
        nodeSelector: 'all()',
      },
    );
  });

  it('get -o yaml of every seed re-applies unchanged', async () => {
    for (const [kind, name] of [
      ['ippool', 'default-ipv4-ippool'],
      ['bgpconfig', 'default'],
      ['bgppeer', 'peer-to-rrs'],
      ['bgppeer', 'rrs-to-rrs'],
      ['node', 'node1'],
      ['tier', 'default'],
    ]) {
      const before = await ctl(env, ['get', kind, name, '-o', 'yaml']);
      assert.equal(before.code, 0, before.stderr);
      const applied = await ctl(env, ['apply', '-f', '-'], before.stdout);
      assert.equal(applied.code, 0, applied.stderr);
      const afterApply = await ctl(env, ['get', kind, name, '-o', 'yaml']);
      const strip = (s: string) => s.replace(/resourceVersion: .*\n/, '');
      assert.equal(strip(afterApply.stdout), strip(before.stdout), `${kind}/${name} changed on re-apply`);
    }
  });

  it('get <kind> -o json prints a <Kind>List with the list revision', async () => {
    const r = await ctl(env, ['get', 'bgppeers', '-o', 'json']);
    const list = JSON.parse(r.stdout);
    assert.equal(list.kind, 'BGPPeerList');
    assert.equal(list.apiVersion, 'projectcalico.org/v3');
    assert.match(list.metadata.resourceVersion, /^[0-9]+$/);
    assert.deepEqual(
      list.items.map((i: { metadata: { name: string } }) => i.metadata.name),
      ['peer-to-rrs', 'rrs-to-rrs'],
    );
  });
});
