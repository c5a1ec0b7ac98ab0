/**
 * runCni in-process against a real etcd with the production deps (createCniDeps): what a
 * long-running agent does. Connections are made once per datastore configuration and reused; a
 * failed connection is not cached; close() leaves nothing running.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, ensureInitialized } from '../../../src/client/index.js';
import { EtcdBackend } from '../../../src/datastore/index.js';
import { createCniDeps, runCni, type ClosableCniDeps } from '../../../src/cni/index.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { FakeDataplane, netconf, pool, request } from '../../unit/cni/fakes.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('runCni in-process with createCniDeps on a real etcd', { timeout: 120_000 }, () => {
  let etcd: EtcdHandle;
  let client: Client;
  let deps: ClosableCniDeps;
  let dataplane: FakeDataplane;

  before(async () => {
    etcd = await startEtcd();
    client = new Client(new EtcdBackend({ endpoints: etcd.endpoints }));
    await ensureInitialized(client, 'v0.1.0', 'cni');
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'Node',
      metadata: { name: 'node1' },
      spec: {},
    });
    await client.create(pool('p4', '10.244.0.0/16'));
    await client.create(pool('p6', 'fd00:10:244::/48'));
    dataplane = new FakeDataplane();
    deps = createCniDeps({ dataplane, requestTimeoutMs: 1500, dialTimeoutMs: 1500 });
  });
  after(async () => {
    await deps?.close();
    await client?.close();
    await etcd?.stop();
    await assertNoLeaks();
  });

  it('reuses one connection per datastore configuration', async () => {
    const conf = netconf({ etcd_endpoints: etcd.clientUrl });
    const a = await deps.datastore({ datastoreType: 'etcdv3', etcdEndpoints: etcd.clientUrl });
    const b = await deps.datastore({ datastoreType: 'etcdv3', etcdEndpoints: etcd.clientUrl });
    assert.equal(a, b);
    const res = await runCni(request('ADD', conf, { CNI_CONTAINERID: 'reuse' }, 'calico-ipam'), deps);
    assert.equal(res.exitCode, 0, res.stdout);
    assert.equal(await deps.datastore({ datastoreType: 'etcdv3', etcdEndpoints: etcd.clientUrl }), a);
    const other = await deps.datastore({ datastoreType: 'etcdv3', etcdEndpoints: `${etcd.clientUrl}/` });
    assert.notEqual(other, a);
  });

  it('ADD, CHECK and DEL many pods on warm connections (dual-stack), all released', async (t) => {
    const conf = netconf({ etcd_endpoints: etcd.clientUrl }, { assign_ipv6: 'true' });
    const adds: number[] = [];
    const dels: number[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const env = { CNI_CONTAINERID: `warm${i}`, CNI_NETNS: `/run/netns/warm${i}` };
      let t0 = performance.now();
      const add = await runCni(request('ADD', conf, env), deps);
      adds.push(performance.now() - t0);
      assert.equal(add.exitCode, 0, add.stdout);
      const out = JSON.parse(add.stdout) as { ips: { address: string }[] };
      for (const ip of out.ips) {
        assert.ok(!seen.has(ip.address), `duplicate ${ip.address}`);
        seen.add(ip.address);
      }
      const check = await runCni(request('CHECK', { ...conf, prevResult: out }, env), deps);
      assert.equal(check.exitCode, 0, check.stdout);
      t0 = performance.now();
      const del = await runCni(request('DEL', conf, env), deps);
      dels.push(performance.now() - t0);
      assert.equal(del.exitCode, 0, del.stdout);
    }
    t.diagnostic(
      `in-process warm ADD median ${median(adds).toFixed(1)} ms, DEL median ${median(dels).toFixed(1)} ms (fake dataplane)`,
    );
    const { items } = await client.backend.list('/calico/ipam/v2/handle/net1.warm');
    assert.deepEqual(items, []);
    assert.deepEqual((await client.list('WorkloadEndpoint')).items, []);
  });

  it('an unreachable datastore is error 11 and is not cached: the next request connects afresh', async () => {
    const conf = netconf({ etcd_endpoints: 'http://127.0.0.1:1' });
    const res = await runCni(request('ADD', conf, { CNI_CONTAINERID: 'down' }), deps);
    assert.equal(res.exitCode, 1);
    const e = JSON.parse(res.stdout) as { code: number; msg: string };
    assert.equal(e.code, 11, e.msg);
    assert.match(e.msg, /error getting ClusterInformation/);
    assert.equal(dataplane.veths.size, 0);
  });

  it('a TLS file that cannot be read is a configuration error (7), before any connection', async () => {
    const conf = netconf({ etcd_endpoints: etcd.clientUrl, etcd_ca_cert_file: '/nonexistent/ca.pem' });
    const res = await runCni(request('ADD', conf, { CNI_CONTAINERID: 'tls' }), deps);
    const e = JSON.parse(res.stdout) as { code: number; msg: string };
    assert.equal(e.code, 7);
    assert.match(e.msg, /could not read the etcd CA certificate file \/nonexistent\/ca\.pem/);
  });
});
