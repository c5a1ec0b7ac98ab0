/**
 * The confd watcher on a real etcd: resources written through the client and IPAM affinity keys
 * written as IPAM writes them drive re-renders; an etcd restart does not stop it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Resource } from '../../../src/api/index.js';
import { Client } from '../../../src/client/index.js';
import { watchBirdConfig, type ConfdWatcher } from '../../../src/confd/index.js';
import { EtcdBackend } from '../../../src/datastore/index.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { assertNoLeaks } from '../../helpers/leaks.js';

const V = 'projectcalico.org/v3';
const RR = 'calico-route-reflector';

function nodeRes(
  i: number,
  extra: Record<string, unknown> = {},
  labels: Record<string, string> = {},
): Resource {
  return {
    apiVersion: V,
    kind: 'Node',
    metadata: { name: `h${i}`, labels },
    spec: { bgp: { ipv4Address: `198.51.100.${10 + i}/24`, ...extra } },
  };
}

describe('confd watcher on etcd', () => {
  let etcd: EtcdHandle;
  let client: Client;
  let watcher: ConfdWatcher;
  const texts: string[] = [];
  const errors: unknown[] = [];

  const latest = () => texts[texts.length - 1] ?? '';
  const until = async (what: string, cond: (t: string) => boolean, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!cond(latest())) {
      if (Date.now() > deadline) assert.fail(`${what}: not rendered in ${ms} ms; last:\n${latest()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const protocols = (t: string) => [...t.matchAll(/^protocol bgp (\S+) /gm)].map((m) => m[1]);

  before(async () => {
    etcd = await startEtcd();
    client = new Client(new EtcdBackend({ endpoints: etcd.endpoints }));
    watcher = watchBirdConfig(client, {
      nodeName: 'h2',
      debounceMs: 30,
      retryMs: 200,
      onConfig: (t) => void texts.push(t),
      onError: (e) => errors.push(e),
    });
    await watcher.ready;
  });

  after(async () => {
    await watcher?.close();
    await client?.close();
    await etcd?.stop();
    await assertNoLeaks();
  });

  it('renders the mesh as nodes appear', async () => {
    assert.match(latest(), /has no Node resource yet/);
    for (const i of [1, 2, 3]) await client.create(nodeRes(i));
    await until('mesh', (t) => protocols(t).join() === 'Mesh_198_51_100_11,Mesh_198_51_100_13');
  });

  it('advertises a block once its affinity is confirmed (pending does not count)', async () => {
    await client.create({
      apiVersion: V,
      kind: 'IPPool',
      metadata: { name: 'default-ipv4-ippool' },
      spec: { cidr: '10.244.0.0/16' },
    });
    const key = '/calico/ipam/v2/host/h2/ipv4/block/10.244.2.0-26';
    await client.backend.put(key, '{"state":"pending","deleted":false}');
    await until('pool', (t) => t.includes('if ( net ~ 10.244.0.0/16 ) then { accept; }'));
    assert.doesNotMatch(latest(), /10\.244\.2\.0\/26/);
    await client.backend.put(key, '{"state":"confirmed","deleted":false}');
    await until('block', (t) => t.includes('route 10.244.2.0/26 blackhole;'));
  });

  it('switches to the route-reflector recipe as it is applied', async () => {
    await client.create({
      apiVersion: V,
      kind: 'BGPConfiguration',
      metadata: { name: 'default' },
      spec: { nodeToNodeMeshEnabled: false },
    });
    const h1 = await client.get('Node', 'h1');
    await client.update({
      ...h1,
      metadata: { ...h1.metadata, labels: { [RR]: '' } },
      spec: { bgp: { ipv4Address: '198.51.100.11/24', routeReflectorClusterID: '224.0.0.1' } },
    });
    for (const [name, nodeSelector] of [
      ['peer-to-rrs', `!has(${RR})`],
      ['rrs-to-rrs', `has(${RR})`],
    ]) {
      await client.create({
        apiVersion: V,
        kind: 'BGPPeer',
        metadata: { name },
        spec: { nodeSelector, peerSelector: `has(${RR})` },
      });
    }
    await until('RR client', (t) => protocols(t).join() === 'Node_198_51_100_11');
  });

  it('keeps rendering after etcd restarts', async () => {
    await etcd.kill();
    await etcd.restart();
    await client.create(nodeRes(4));
    // h4 is not selected by anything h2 peers with: the text is the same, so check via a label change.
    const h2 = await client.get('Node', 'h2');
    await client.update({ ...h2, metadata: { ...h2.metadata, labels: { [RR]: '' } } });
    // h2 now matches has(calico-route-reflector) but has no cluster id: it peers with h1 and, in
    // reverse, with every non-RR node (h3, h4).
    await until('after restart', (t) => protocols(t).includes('Node_198_51_100_14'), 20_000);
  });
});
