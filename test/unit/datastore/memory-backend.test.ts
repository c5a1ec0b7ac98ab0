import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryBackend } from '../../../src/datastore/memory/memory-backend.js';
import { backendConformance, describeEvent, WatchReader } from '../../helpers/backend-conformance.js';

backendConformance('memory', async () => ({ backend: new MemoryBackend(), cleanup: async () => {} }));

describe('MemoryBackend specifics', () => {
  it('starts at revision 1 and bumps it once per write, not on failed or empty operations', async () => {
    const b = new MemoryBackend();
    assert.equal((await b.list('/')).revision, 1n);
    const a = await b.create('/a', '1');
    assert.equal(a.modRevision, 2n);
    await assert.rejects(b.create('/a', '2'));
    assert.equal(await b.deletePrefix('/nothing/'), 0);
    assert.equal(b.revision, 2n);
    await b.put('/b', '1');
    await b.put('/c', '1');
    assert.equal(await b.deletePrefix('/'), 3);
    assert.equal(b.revision, 5n);
    await b.close();
  });

  it('a watch from a compacted revision yields one ERROR event and ends', async () => {
    const b = new MemoryBackend();
    const a = await b.create('/a', '1');
    await b.put('/a', '2');
    const c = await b.put('/a', '3');
    b.compact(c.modRevision);
    const r = new WatchReader(b.watch('/', { fromRevision: a.modRevision }));
    const ev = await r.event();
    assert.equal(ev.type, 'ERROR');
    assert.match(describeEvent(ev), /compacted/);
    assert.equal((await r.next()).done, true);
    // From the compaction point itself, history is still there.
    const ok = new WatchReader(b.watch('/', { fromRevision: c.modRevision - 1n }));
    assert.equal(describeEvent(await ok.event()), 'MODIFIED /a=3 (prev 2)');
    await b.close();
    assert.equal((await ok.next()).done, true);
  });

  it('operations after close fail with a DATASTORE error', async () => {
    const b = new MemoryBackend();
    await b.close();
    await assert.rejects(b.get('/a'), (e: unknown) => (e as { code?: string }).code === 'DATASTORE');
  });
});
