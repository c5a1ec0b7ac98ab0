/** The datastore mirror: complete after the first lists, follows changes, re-lists after a failed watch. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Client } from '../../../src/client/index.js';
import { MemoryBackend, type Watch, type WatchEvent } from '../../../src/datastore/index.js';
import { startSyncer } from '../../../src/felix/syncer.js';
import { blockKey, encodeBlock } from '../../../src/ipam/index.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { block, felixConfig, H1, podEndpoint, pool, res } from './fixtures.js';

async function until(what: string, f: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A watch that reports a compaction error as its first event. */
function failingWatch(): Watch {
  let done = false;
  return {
    close: async () => {
      done = true;
    },
    [Symbol.asyncIterator]: () => ({
      next: async (): Promise<IteratorResult<WatchEvent>> => {
        if (done) return { done: true, value: undefined };
        done = true;
        return {
          done: false,
          value: { type: 'ERROR', error: new Error('required revision has been compacted') },
        };
      },
      return: async () => ({ done: true, value: undefined }),
    }),
  };
}

describe('felix syncer', () => {
  after(() => assertNoLeaks());

  it('mirrors nodes, pools, every endpoint (local ones apart), blocks and FelixConfigurations', async () => {
    const backend = new MemoryBackend();
    const client = new Client(backend);
    await client.create(res(H1));
    await client.create(res(pool('p', '10.244.0.0/16')));
    await client.create(podEndpoint('h1', 'a', 'calia', ['10.244.1.1/32']));
    await client.create(podEndpoint('h2', 'b', 'calib', ['10.244.2.1/32']));
    await client.create(felixConfig('default', { vxlanVNI: 7 }));
    await backend.create(blockKey('10.244.1.0/26', 4), encodeBlock(block('10.244.1.0/26', 'h1')));
    let changes = 0;
    const s = startSyncer(backend, { nodeName: 'h1', onChange: () => changes++ });
    await s.synced;
    assert.deepEqual(s.counts(), {
      Node: 1,
      IPPool: 1,
      WorkloadEndpoint: 2,
      FelixConfiguration: 1,
      Tier: 3, // the client creates default, kube-admin and kube-baseline
      NetworkPolicy: 0,
      GlobalNetworkPolicy: 0,
      Profile: 0,
      HostEndpoint: 0,
      NetworkSet: 0,
      GlobalNetworkSet: 0,
      IPAMBlock: 1,
    });
    assert.equal(s.snapshot().endpoints.length, 1);
    assert.equal(s.snapshot().endpoints[0].spec?.interfaceName, 'calia');
    assert.equal(s.snapshot().allEndpoints.length, 2);
    assert.equal(s.snapshot().blocks[0].affinity, 'host:h1');

    await client.delete('IPPool', 'p');
    await backend.create(blockKey('10.244.1.64/26', 4), encodeBlock(block('10.244.1.64/26', 'h1')));
    await until('delete and add seen', () => s.counts().IPPool === 0 && s.counts().IPAMBlock === 2);
    assert.ok(changes >= 7);
    await s.close();
    await client.close();
  });

  it('lists a prefix again when its watch fails, so nothing missed stays missing', async () => {
    const backend = new MemoryBackend();
    const client = new Client(backend);
    const flaky = Object.create(backend) as MemoryBackend;
    let failed = false;
    flaky.watch = (prefix, opts) => {
      if (!failed && prefix.includes('workloadendpoints')) {
        failed = true;
        return failingWatch();
      }
      return backend.watch(prefix, opts);
    };
    await client.create(podEndpoint('h1', 'a', 'calia', ['10.244.1.1/32']));
    const errors: unknown[] = [];
    const s = startSyncer(flaky, {
      nodeName: 'h1',
      onChange: () => undefined,
      onError: (e) => errors.push(e),
      retryMs: 50,
    });
    await s.synced;
    await client.create(podEndpoint('h1', 'b', 'calib', ['10.244.1.2/32']));
    await until('re-listed', () => s.counts().WorkloadEndpoint === 2);
    assert.match(String(errors[0]), /compacted/);
    await s.close();
    await client.close();
  });

  it('skips values it cannot decode and reports them', async () => {
    const backend = new MemoryBackend();
    await backend.create(blockKey('10.244.1.0/26', 4), '{not json');
    const errors: unknown[] = [];
    const s = startSyncer(backend, {
      nodeName: 'h1',
      onChange: () => undefined,
      onError: (e) => errors.push(e),
    });
    await s.synced;
    assert.equal(s.counts().IPAMBlock, 0);
    assert.equal(errors.length, 1);
    await s.close();
    await backend.close();
  });
});
