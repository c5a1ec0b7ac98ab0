import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '../../../src/client/index.js';
import { affineBlocks, affinityCounts, buildBirdInput, watchBirdConfig } from '../../../src/confd/index.js';
import { MemoryBackend } from '../../../src/datastore/index.js';
import { bgpConfig, H1, H2, pool, res } from './fixtures.js';
import { assertNoLeaks } from '../../helpers/leaks.js';

const AFF = '/calico/ipam/v2/host/h1';

describe('buildBirdInput', () => {
  it('affinity states: confirmed, empty and state-less count; pending, pendingDeletion, deleted do not', () => {
    assert.equal(affinityCounts('{"state":"confirmed","deleted":false}'), true);
    assert.equal(affinityCounts('{"state":""}'), true);
    assert.equal(affinityCounts('{}'), true);
    assert.equal(affinityCounts(''), true);
    assert.equal(affinityCounts('{"state":"pending"}'), false);
    assert.equal(affinityCounts('{"state":"pendingDeletion"}'), false);
    assert.equal(affinityCounts('{"state":"confirmed","deleted":true}'), false);
    assert.equal(affinityCounts('not json'), false);
  });

  it("reads this host's blocks of both families from the IPAM affinity keys, and every resource", async () => {
    const backend = new MemoryBackend();
    const client = new Client(backend);
    await backend.put(`${AFF}/ipv4/block/10.244.1.64-26`, '{"state":"confirmed","deleted":false}');
    await backend.put(`${AFF}/ipv4/block/10.244.1.0-26`, '{"state":""}');
    await backend.put(`${AFF}/ipv4/block/10.244.1.128-26`, '{"state":"pending"}');
    await backend.put(`${AFF}/ipv6/block/fd00:244::-122`, '{"state":"confirmed"}');
    await backend.put('/calico/ipam/v2/host/h10/ipv4/block/10.244.10.0-26', '{"state":"confirmed"}');
    assert.deepEqual(await affineBlocks(backend, 'h1'), [
      '10.244.1.0/26',
      '10.244.1.64/26',
      'fd00:244::/122',
    ]);

    await client.create(res(H1));
    await client.create(res(H2));
    await client.create(res(bgpConfig('default', { asNumber: 64600 })));
    await client.create(res(pool('p', '10.244.0.0/16')));
    const input = await buildBirdInput(client, 'h1', { secrets: { s: { k: 'v' } } });
    assert.equal(input.nodeName, 'h1');
    assert.deepEqual(input.nodes.map((n) => n.metadata.name).sort(), ['h1', 'h2']);
    assert.equal(input.bgpConfigurations.length, 1);
    assert.equal(input.ipPools[0].spec?.cidr, '10.244.0.0/16');
    assert.deepEqual(input.blocks, ['10.244.1.0/26', '10.244.1.64/26', 'fd00:244::/122']);
    assert.deepEqual(input.secrets, { s: { k: 'v' } });
    await client.close();
  });
});

describe('watchBirdConfig', () => {
  it('renders once at start, again after a change (debounced), and not for changes that render the same', async () => {
    const backend = new MemoryBackend();
    const client = new Client(backend);
    await client.create(res(H1));
    const configs: string[] = [];
    const w = watchBirdConfig(client, {
      nodeName: 'h1',
      debounceMs: 20,
      onConfig: (t) => void configs.push(t),
    });
    await w.ready;
    assert.equal(configs.length, 1);
    assert.doesNotMatch(configs[0], /Mesh_/);

    // A burst of writes: one render.
    await client.create(res(H2));
    await client.create(res(pool('p', '10.244.0.0/16')));
    await backend.put(`${AFF}/ipv4/block/10.244.1.0-26`, '{"state":"confirmed"}');
    await waitFor(() => configs.length === 2);
    assert.match(configs[1], /protocol bgp Mesh_198_51_100_12/);
    assert.match(configs[1], /net = 10\.244\.1\.0\/26/);

    // Another host's affinity is outside the watched prefix and would render the same anyway.
    await backend.put('/calico/ipam/v2/host/h2/ipv4/block/10.244.2.0-26', '{"state":"confirmed"}');
    // A pending claim of ours renders the same text: not handed over again.
    await backend.put(`${AFF}/ipv4/block/10.244.1.64-26`, '{"state":"pending"}');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(configs.length, 2);

    await backend.put(`${AFF}/ipv4/block/10.244.1.64-26`, '{"state":"confirmed"}');
    await waitFor(() => configs.length === 3);
    assert.match(configs[2], /net = 10\.244\.1\.64\/26/);
    assert.equal(w.current(), configs[2]);

    await w.close();
    await client.close();
    await assertNoLeaks();
  });

  it('reports render errors and keeps going', async () => {
    const backend = new MemoryBackend();
    const client = new Client(backend);
    await client.create(res(H1));
    const errors: unknown[] = [];
    const configs: string[] = [];
    const w = watchBirdConfig(client, {
      nodeName: 'h1',
      debounceMs: 10,
      retryMs: 20,
      render: { routerId: 'not-an-ip' },
      onError: (e) => errors.push(e),
      onConfig: (t) => void configs.push(t),
    });
    await waitFor(() => errors.length >= 2);
    assert.equal(configs.length, 0);
    await w.close();
    await w.ready; // resolves on close
    await client.close();
    await assertNoLeaks();
  });
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
