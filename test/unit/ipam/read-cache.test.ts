import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '../../../src/client/index.js';
import { MemoryBackend } from '../../../src/datastore/index.js';
import { isCalicoError } from '../../../src/errors/index.js';
import { IPAMClient } from '../../../src/ipam/index.js';
import { node, pool } from './helpers.js';

/** A long-lived client (cacheTtlMs) over a backend that counts reads. */
async function cached(ttl: number) {
  const backend = new MemoryBackend();
  const client = new Client(backend, { poolDeleteDelayMs: 0 });
  await client.create(pool('p', '10.0.0.0/24'));
  await client.create(node('a'));
  const reads = { n: 0 };
  const get = backend.get.bind(backend);
  const list = backend.list.bind(backend);
  backend.get = (...a: Parameters<typeof get>) => (reads.n++, get(...a));
  backend.list = (...a: Parameters<typeof list>) => (reads.n++, list(...a));
  const ipam = new IPAMClient(backend, client, { cacheTtlMs: ttl });
  client.ipamHooks = ipam.clientHooks();
  const assign = (h: string) =>
    ipam.autoAssign({ num4: 1, num6: 0, handleId: h, hostname: 'a', intendedUse: 'Workload' });
  return { backend, client, ipam, reads, assign };
}

describe('IPAMClient input cache (cacheTtlMs)', () => {
  it('reuses config, pools, reservations and node labels between allocations', async () => {
    const c = await cached(60_000);
    await c.assign('h0');
    await c.assign('h1');
    c.reads.n = 0;
    await c.assign('h2');
    // Not even the hinted block: this client's own last write of it serves (the commit is a CAS).
    assert.equal(c.reads.n, 0);
    const u = await cached(0);
    await u.assign('h0');
    await u.assign('h1');
    u.reads.n = 0;
    await u.assign('h2');
    assert.equal(u.reads.n, 5);
  });

  it('a stale copy of the hinted block costs a retry, never a wrong allocation', async () => {
    const c = await cached(60_000);
    const other = new IPAMClient(c.backend, c.client);
    const first = await c.assign('h0');
    // Another client takes the next free address of the same block behind our back.
    const theirs = await other.autoAssign({
      num4: 1,
      num6: 0,
      handleId: 'o',
      hostname: 'a',
      intendedUse: 'Workload',
    });
    const mine = await c.assign('h1');
    assert.equal(mine.ipv4.ips.length, 1);
    assert.notEqual(mine.ipv4.ips[0], theirs.ipv4.ips[0]);
    assert.notEqual(mine.ipv4.ips[0], first.ipv4.ips[0]);
    assert.deepEqual((await c.ipam.ipsByHandle('h1')).length, 1);
  });

  it('a release through a stale copy of the block releases everything the handle holds', async () => {
    const c = await cached(60_000);
    const other = new IPAMClient(c.backend, c.client);
    await c.assign('h0');
    // The same handle gets a second address through another client: our copy misses it.
    await other.autoAssign({ num4: 1, num6: 0, handleId: 'h0', hostname: 'a', intendedUse: 'Workload' });
    assert.equal((await other.ipsByHandle('h0')).length, 2);
    await c.ipam.releaseByHandle('h0');
    await assert.rejects(other.ipsByHandle('h0'), (e: unknown) => isCalicoError(e, 'NOT_FOUND'));
    const [b] = await other.listBlocks();
    assert.equal(b.block.allocations.filter((x) => x !== null).length, 0);
  });

  it('re-reads everything after a failed request', async () => {
    const c = await cached(60_000);
    await c.assign('h0');
    // A disabled pool is still cached: the block CAS keeps the allocation correct either way.
    await c.client.update({
      ...(await c.client.get('IPPool', 'p')),
      spec: { cidr: '10.0.0.0/24', disabled: true },
    });
    await c.ipam.releaseByHandle('h0');
    c.ipam.invalidateCaches();
    await assert.rejects(c.assign('h1'), /qualified ippool/);
    await c.client.update({
      ...(await c.client.get('IPPool', 'p')),
      spec: { cidr: '10.0.0.0/24', disabled: false },
    });
    // The failure dropped the cached (disabled) pool list.
    assert.equal((await c.assign('h2')).ipv4.ips.length, 1);
  });
});
