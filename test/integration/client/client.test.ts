import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Resource } from '../../../src/api/index.js';
import { Client, ensureInitialized, type ResourceEvent } from '../../../src/client/index.js';
import { EtcdBackend } from '../../../src/datastore/index.js';
import { isCalicoError } from '../../../src/errors/index.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { assertNoLeaks } from '../../helpers/leaks.js';

const profile = (name: string, labels: Record<string, string> = {}): Resource => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'Profile',
  metadata: { name },
  spec: { labelsToApply: labels },
});

describe('resource client on a real etcd', () => {
  let etcd: EtcdHandle;
  let client: Client;

  before(async () => {
    etcd = await startEtcd();
    client = new Client(new EtcdBackend({ endpoints: etcd.endpoints }), { poolDeleteDelayMs: 50 });
    await ensureInitialized(client, 'v0.1.0', 'k8s,bgp');
  });
  after(async () => {
    await client?.close();
    await etcd?.stop();
    await assertNoLeaks();
  });

  it('two concurrent updates with the same resourceVersion: exactly one wins', async () => {
    const created = await client.create(profile('race'));
    const a = structuredClone(created);
    const b = structuredClone(created);
    (a.spec as { labelsToApply: Record<string, string> }).labelsToApply = { who: 'a' };
    (b.spec as { labelsToApply: Record<string, string> }).labelsToApply = { who: 'b' };
    const results = await Promise.allSettled([client.update(a), client.update(b)]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(ok.length, 1);
    assert.equal(failed.length, 1);
    assert.ok(isCalicoError(failed[0].reason, 'UPDATE_CONFLICT'));
    assert.equal((failed[0].reason as Error).message, 'update conflict: Profile(race)');
    const winner = (ok[0] as PromiseFulfilledResult<Resource>).value;
    const stored = await client.get('Profile', 'race');
    assert.deepEqual(stored.spec, winner.spec);
    assert.equal(stored.metadata.resourceVersion, winner.metadata.resourceVersion);
  });

  it('a watch from revision R sees exactly the later events, in order', async () => {
    const start = await client.create(profile('w0'));
    const R = start.metadata.resourceVersion!;
    const p1 = await client.create(profile('w1', { v: '1' }));
    const p1b = await client.update({ ...p1, spec: { labelsToApply: { v: '2' } } });
    await client.delete('Profile', 'w0');
    const w = client.watch('Profile', { resourceVersion: R });
    const seen: ResourceEvent[] = [];
    for await (const ev of w) {
      seen.push(ev);
      if (seen.length === 3) break;
    }
    await w.close();
    assert.deepEqual(
      seen.map((e) => [
        e.type,
        e.type === 'DELETED' ? e.previous.metadata.name : e.type === 'ERROR' ? '' : e.object.metadata.name,
      ]),
      [
        ['ADDED', 'w1'],
        ['MODIFIED', 'w1'],
        ['DELETED', 'w0'],
      ],
    );
    assert.equal(
      seen[1].type === 'MODIFIED' && seen[1].object.metadata.resourceVersion,
      p1b.metadata.resourceVersion,
    );
  });

  it('ensureInitialized is idempotent and unions cluster types', async () => {
    await ensureInitialized(client, 'v0.1.0', 'bgp,kubeadm');
    const ci = await client.get('ClusterInformation', 'default');
    const spec = ci.spec as {
      clusterType: string;
      clusterGUID: string;
      datastoreReady: boolean;
      calicoVersion: string;
    };
    assert.equal(spec.clusterType, 'k8s,bgp,kubeadm');
    assert.match(spec.clusterGUID, /^[0-9a-f]{32}$/);
    assert.equal(spec.datastoreReady, true);
    const tiers = (await client.list('Tier')).items.map((t) => [
      t.metadata.name,
      (t.spec as { order: number }).order,
    ]);
    assert.deepEqual(tiers, [
      ['default', 1000000],
      ['kube-admin', 1000],
      ['kube-baseline', 10000000],
    ]);
  });

  it('policies: tier must exist, name kept in the metadata annotation, non-empty tier not deletable', async () => {
    const gnp: Resource = {
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: 'security.block' },
      spec: { tier: 'security', selector: 'all()', ingress: [{ action: 'Deny' }] },
    };
    await assert.rejects(client.create(gnp), /resource does not exist: Tier\(security\)/);
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'Tier',
      metadata: { name: 'security' },
      spec: { order: 100 },
    });
    const created = await client.create(gnp);
    assert.equal(created.metadata.name, 'security.block');
    assert.equal(created.metadata.annotations, undefined);
    const raw = JSON.parse(
      (
        await etcd.etcdctl([
          'get',
          '--print-value-only',
          '/calico/resources/v3/projectcalico.org/globalnetworkpolicies/security.block',
        ])
      ).stdout,
    );
    assert.equal(raw.metadata.annotations['projectcalico.org/metadata'], '{"name":"security.block"}');
    assert.equal(raw.metadata.labels['projectcalico.org/tier'], 'security');
    await assert.rejects(client.delete('Tier', 'security'), /Cannot delete a non-empty tier/);
    await client.delete('GlobalNetworkPolicy', 'security.block');
    await client.delete('Tier', 'security');
  });

  it('the default-allow profile is synthetic', async () => {
    const p = await client.get('Profile', 'projectcalico-default-allow');
    assert.equal(p.metadata.resourceVersion, '1');
    const names = (await client.list('Profile')).items.map((i) => i.metadata.name);
    assert.ok(names.includes('projectcalico-default-allow'));
    await assert.rejects(client.delete('Profile', 'projectcalico-default-allow'), /not supported/);
    await assert.rejects(client.create(profile('projectcalico-default-allow')), /already exists/);
  });

  it('deleting a pool disables it first', async () => {
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'IPPool',
      metadata: { name: 'gone' },
      spec: { cidr: '10.9.0.0/16' },
    });
    const w = client.watch('IPPool');
    const it = w[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.value?.type, 'ADDED');
    const del = client.delete('IPPool', 'gone');
    const types: string[] = ['ADDED'];
    for (;;) {
      const { value: ev, done } = await it.next();
      if (done) break;
      types.push(
        ev.type === 'MODIFIED'
          ? `MODIFIED disabled=${(ev.object.spec as { disabled?: boolean }).disabled}`
          : ev.type,
      );
      if (ev.type === 'DELETED') break;
    }
    await w.close();
    await del;
    assert.deepEqual(types, ['ADDED', 'MODIFIED disabled=true', 'DELETED']);
  });
});
