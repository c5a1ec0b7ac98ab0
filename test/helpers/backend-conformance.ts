/**
 * The behaviour every datastore Backend must share (etcd semantics): run it against each
 * implementation. Each test works under its own key prefix, so make() may hand out backends over one
 * shared store.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Backend, KV, Watch, WatchEvent } from '../../src/datastore/backend.js';
import {
  KeyConflictError,
  KeyExistsError,
  KeyNotFoundError,
  TxnConflictError,
} from '../../src/datastore/errors.js';
import { MAX_TXN_OPS } from '../../src/datastore/backend.js';

export interface BackendFixture {
  backend: Backend;
  cleanup(): Promise<void>;
}

/** Reads watch events one at a time, failing (instead of hanging) when one does not arrive. */
export class WatchReader {
  private readonly it: AsyncIterator<WatchEvent>;
  constructor(readonly watch: Watch) {
    this.it = watch[Symbol.asyncIterator]();
  }

  async next(timeoutMs = 5000): Promise<IteratorResult<WatchEvent>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no watch event within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.it.next(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async event(timeoutMs?: number): Promise<WatchEvent> {
    const r = await this.next(timeoutMs);
    assert.equal(r.done, false, 'watch ended unexpectedly');
    return r.value;
  }

  async events(n: number, timeoutMs?: number): Promise<WatchEvent[]> {
    const out: WatchEvent[] = [];
    for (let i = 0; i < n; i++) out.push(await this.event(timeoutMs));
    return out;
  }
}

/** A compact, comparable description of an event: `ADDED k=v@rev`, `DELETED k (prev v)`. */
export function describeEvent(e: WatchEvent): string {
  switch (e.type) {
    case 'ADDED':
      return `ADDED ${e.kv.key}=${e.kv.value}`;
    case 'MODIFIED':
      return `MODIFIED ${e.kv.key}=${e.kv.value} (prev ${e.prev?.value ?? '?'})`;
    case 'DELETED':
      return `DELETED ${e.key} (prev ${e.prev?.value ?? '?'})`;
    case 'ERROR':
      return `ERROR ${e.error.message}`;
  }
}

let counter = 0;

export function backendConformance(name: string, make: () => Promise<BackendFixture>): void {
  describe(`Backend conformance: ${name}`, () => {
    let fx: BackendFixture;
    let b: Backend;
    let p: string; // this test's key prefix
    const watches: Watch[] = [];

    const watch = (prefix: string, fromRevision?: bigint): WatchReader => {
      const w = b.watch(prefix, fromRevision === undefined ? {} : { fromRevision });
      watches.push(w);
      return new WatchReader(w);
    };

    beforeEach(async () => {
      fx = await make();
      b = fx.backend;
      p = `/calico-ts-conformance/${process.pid}-${++counter}/`;
    });

    afterEach(async () => {
      await Promise.all(watches.splice(0).map((w) => w.close()));
      await b.close();
      await fx.cleanup();
    });

    it('create then get returns the stored KV with matching revisions', async () => {
      const kv = await b.create(`${p}a`, 'v1');
      assert.equal(kv.key, `${p}a`);
      assert.equal(kv.value, 'v1');
      assert.equal(typeof kv.modRevision, 'bigint');
      assert.equal(kv.createRevision, kv.modRevision);
      assert.deepEqual(await b.get(`${p}a`), kv);
      assert.equal(await b.get(`${p}missing`), undefined);
    });

    it('create on an existing key throws KeyExistsError carrying the existing KV', async () => {
      const first = await b.create(`${p}a`, 'first');
      await assert.rejects(b.create(`${p}a`, 'second'), (e: unknown) => {
        assert.ok(e instanceof KeyExistsError);
        assert.equal(e.code, 'ALREADY_EXISTS');
        assert.equal(e.key, `${p}a`);
        assert.deepEqual(e.existing, first);
        return true;
      });
      assert.equal((await b.get(`${p}a`))?.value, 'first');
    });

    it('values round-trip byte for byte (empty, unicode, JSON)', async () => {
      const values = ['', 'snow ☃ / 雪 / 🐱', '{"kind":"IPPool","spec":{"cidr":"10.0.0.0/16"}}', 'a\nb\tc'];
      for (const [i, v] of values.entries()) await b.create(`${p}${i}`, v);
      for (const [i, v] of values.entries()) assert.equal((await b.get(`${p}${i}`))?.value, v);
    });

    it('list returns the prefix in key byte order with the store revision', async () => {
      for (const k of ['b', 'a/x', 'a', 'c', 'B', 'é', 'z']) await b.create(`${p}${k}`, k);
      await b.create(`${p.slice(0, -1)}-sibling`, 'outside'); // shares the prefix minus its slash
      const last = await b.put(`${p}zz`, 'zz');
      const res = await b.list(p);
      assert.deepEqual(
        res.items.map((kv) => kv.key.slice(p.length)),
        ['B', 'a', 'a/x', 'b', 'c', 'z', 'zz', 'é'],
      );
      assert.ok(res.revision >= last.modRevision, 'list revision is at least the last write');
      for (const kv of res.items) assert.ok(kv.modRevision <= res.revision);
      const next = await b.put(`${p}later`, '1');
      assert.ok(next.modRevision > res.revision, 'a later write has a higher revision');
      assert.deepEqual((await b.list(`${p}nothing/`)).items, []);
    });

    it('update is a compare-and-swap on the mod revision', async () => {
      const v1 = await b.create(`${p}a`, 'v1');
      const v2 = await b.update(`${p}a`, 'v2', v1.modRevision);
      assert.equal(v2.value, 'v2');
      assert.ok(v2.modRevision > v1.modRevision);
      assert.equal(v2.createRevision, v1.createRevision);
      assert.deepEqual(await b.get(`${p}a`), v2);

      await assert.rejects(b.update(`${p}a`, 'stale', v1.modRevision), (e: unknown) => {
        assert.ok(e instanceof KeyConflictError);
        assert.equal(e.code, 'UPDATE_CONFLICT');
        assert.deepEqual(e.current, v2);
        return true;
      });
      await assert.rejects(b.update(`${p}missing`, 'x', v1.modRevision), (e: unknown) => {
        assert.ok(e instanceof KeyNotFoundError);
        assert.equal(e.code, 'NOT_FOUND');
        return true;
      });
      assert.equal((await b.get(`${p}a`))?.value, 'v2');
    });

    it('update with revision 0 never creates a key', async () => {
      await assert.rejects(b.update(`${p}a`, 'x', 0n), KeyNotFoundError);
      assert.equal(await b.get(`${p}a`), undefined);
      await b.create(`${p}a`, 'v');
      await assert.rejects(b.update(`${p}a`, 'x', 0n), KeyConflictError);
      await assert.rejects(b.delete(`${p}missing`, 0n), KeyNotFoundError);
    });

    it('put writes unconditionally', async () => {
      const a = await b.put(`${p}a`, 'one');
      assert.equal(a.createRevision, a.modRevision);
      const a2 = await b.put(`${p}a`, 'two');
      assert.ok(a2.modRevision > a.modRevision);
      assert.equal(a2.createRevision, a.createRevision);
      assert.equal((await b.get(`${p}a`))?.value, 'two');
    });

    it('delete without a revision removes the key and returns the previous KV', async () => {
      const kv = await b.create(`${p}a`, 'v');
      assert.deepEqual(await b.delete(`${p}a`), kv);
      assert.equal(await b.get(`${p}a`), undefined);
      await assert.rejects(b.delete(`${p}a`), KeyNotFoundError);
      // A re-created key starts a new life: create revision moves on.
      const again = await b.create(`${p}a`, 'v');
      assert.ok(again.createRevision > kv.createRevision);
    });

    it('delete with a revision is conditional', async () => {
      const v1 = await b.create(`${p}a`, 'v1');
      const v2 = await b.update(`${p}a`, 'v2', v1.modRevision);
      await assert.rejects(b.delete(`${p}a`, v1.modRevision), (e: unknown) => {
        assert.ok(e instanceof KeyConflictError);
        assert.deepEqual(e.current, v2);
        return true;
      });
      assert.equal((await b.get(`${p}a`))?.value, 'v2');
      assert.deepEqual(await b.delete(`${p}a`, v2.modRevision), v2);
      await assert.rejects(b.delete(`${p}a`, v2.modRevision), KeyNotFoundError);
    });

    it('deletePrefix removes only keys under the prefix and counts them', async () => {
      for (const k of ['x/1', 'x/2', 'x/3', 'y/1']) await b.create(`${p}${k}`, k);
      await b.create(`${p}x`, 'not under x/');
      assert.equal(await b.deletePrefix(`${p}x/`), 3);
      assert.deepEqual(
        (await b.list(p)).items.map((kv) => kv.key.slice(p.length)),
        ['x', 'y/1'],
      );
      assert.equal(await b.deletePrefix(`${p}x/`), 0);
    });

    it('concurrent updates from the same revision: exactly one wins', async () => {
      const base = await b.create(`${p}a`, '0');
      const results = await Promise.allSettled(
        [1, 2, 3, 4, 5].map((i) => b.update(`${p}a`, String(i), base.modRevision)),
      );
      const won = results.filter((r): r is PromiseFulfilledResult<KV> => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 4);
      for (const r of lost) assert.ok(r.reason instanceof KeyConflictError, String(r.reason));
      assert.equal((await b.get(`${p}a`))?.value, won[0].value.value);
    });

    it('concurrent creates of one key: exactly one wins', async () => {
      const results = await Promise.allSettled([1, 2, 3].map((i) => b.create(`${p}a`, String(i))));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof KeyExistsError);
    });

    it('transact applies creates, updates and deletes at one revision', async () => {
      const u = await b.create(`${p}u`, 'u1');
      const d = await b.create(`${p}d`, 'd1');
      await b.create(`${p}e`, 'e1');
      const w = watch(p, u.modRevision + 2n);
      const rev = await b.transact([
        { op: 'create', key: `${p}c`, value: 'c1' },
        { op: 'update', key: `${p}u`, value: 'u2', revision: u.modRevision },
        { op: 'delete', key: `${p}d`, revision: d.modRevision },
        { op: 'delete', key: `${p}e` },
      ]);
      assert.equal((await b.get(`${p}c`))?.modRevision, rev);
      assert.equal((await b.get(`${p}u`))?.value, 'u2');
      assert.equal((await b.get(`${p}u`))?.modRevision, rev);
      assert.equal(await b.get(`${p}d`), undefined);
      assert.equal(await b.get(`${p}e`), undefined);
      const evs = await w.events(4);
      assert.deepEqual(
        evs.map(describeEvent).sort(),
        [
          `ADDED ${p}c=c1`,
          `DELETED ${p}d (prev d1)`,
          `DELETED ${p}e (prev e1)`,
          `MODIFIED ${p}u=u2 (prev u1)`,
        ].sort(),
      );
    });

    it('transact writes nothing when any condition fails, and names each failure', async () => {
      const u = await b.create(`${p}u`, 'u1');
      await b.create(`${p}x`, 'x1');
      const before = (await b.list(p)).revision;
      await assert.rejects(
        b.transact([
          { op: 'create', key: `${p}new`, value: 'n' },
          { op: 'create', key: `${p}x`, value: 'again' },
          { op: 'update', key: `${p}u`, value: 'u2', revision: u.modRevision + 100n },
          { op: 'delete', key: `${p}gone` },
        ]),
        (e: unknown) => {
          assert.ok(e instanceof TxnConflictError);
          assert.equal(e.code, 'UPDATE_CONFLICT');
          assert.deepEqual(
            e.failures.map((f) => [f.index, f.reason]),
            [
              [1, 'exists'],
              [2, 'revision'],
              [3, 'missing'],
            ],
          );
          return true;
        },
      );
      assert.equal(await b.get(`${p}new`), undefined);
      assert.equal((await b.get(`${p}u`))?.value, 'u1');
      assert.equal((await b.list(p)).revision, before);
    });

    it(`transact takes up to ${MAX_TXN_OPS} ops`, async () => {
      const ops = Array.from({ length: MAX_TXN_OPS }, (_, i) => ({
        op: 'create' as const,
        key: `${p}k${i}`,
        value: String(i),
      }));
      await b.transact(ops);
      assert.equal((await b.list(p)).items.length, MAX_TXN_OPS);
      await assert.rejects(b.transact([...ops, { op: 'create', key: `${p}more`, value: '' }]), RangeError);
    });

    it('watch without a revision: snapshot as ADDED, then live events', async () => {
      const a = await b.create(`${p}w/a`, 'a1');
      await b.create(`${p}w/b`, 'b1');
      await b.create(`${p}other`, 'outside the watched prefix');
      const r = watch(`${p}w/`);
      assert.deepEqual((await r.events(2)).map(describeEvent), [`ADDED ${p}w/a=a1`, `ADDED ${p}w/b=b1`]);

      const c = await b.create(`${p}w/c`, 'c1');
      const a2 = await b.update(`${p}w/a`, 'a2', a.modRevision);
      await b.put(`${p}other`, 'still outside');
      const del = await b.delete(`${p}w/b`);
      const evs = await r.events(3);
      assert.deepEqual(evs.map(describeEvent), [
        `ADDED ${p}w/c=c1`,
        `MODIFIED ${p}w/a=a2 (prev a1)`,
        `DELETED ${p}w/b (prev b1)`,
      ]);
      assert.deepEqual(evs[0].type === 'ADDED' && evs[0].kv, c);
      assert.deepEqual(evs[1].type === 'MODIFIED' && evs[1].kv, a2);
      const d = evs[2];
      assert.ok(d.type === 'DELETED');
      assert.deepEqual(d.prev, del);
      assert.ok(d.revision > a2.modRevision);
    });

    it('watch from revision R: exactly the later events, in order, without a snapshot', async () => {
      const r0 = await b.create(`${p}k1`, 'v1');
      const k2 = await b.create(`${p}k2`, 'v1');
      await b.update(`${p}k1`, 'v2', r0.modRevision);
      await b.delete(`${p}k2`, k2.modRevision);
      await b.create(`${p}k3`, 'v1');
      const r = watch(p, r0.modRevision);
      assert.deepEqual((await r.events(4)).map(describeEvent), [
        `ADDED ${p}k2=v1`,
        `MODIFIED ${p}k1=v2 (prev v1)`,
        `DELETED ${p}k2 (prev v1)`,
        `ADDED ${p}k3=v1`,
      ]);
      // Nothing else is pending: the next event is the next write.
      await b.put(`${p}k4`, 'sentinel');
      assert.equal(describeEvent(await r.event()), `ADDED ${p}k4=sentinel`);
    });

    it('watch from the current list revision sees only new writes', async () => {
      await b.create(`${p}a`, '1');
      const listed = await b.list(p);
      const r = watch(p, listed.revision);
      await b.put(`${p}b`, '2');
      assert.equal(describeEvent(await r.event()), `ADDED ${p}b=2`);
    });

    it('deletePrefix emits one DELETED per key, sharing one revision', async () => {
      for (const k of ['1', '2', '3']) await b.create(`${p}d/${k}`, k);
      const r = watch(`${p}d/`);
      await r.events(3);
      assert.equal(await b.deletePrefix(`${p}d/`), 3);
      const evs = await r.events(3);
      assert.deepEqual(evs.map(describeEvent), [
        `DELETED ${p}d/1 (prev 1)`,
        `DELETED ${p}d/2 (prev 2)`,
        `DELETED ${p}d/3 (prev 3)`,
      ]);
      const revs = new Set(evs.map((e) => (e.type === 'DELETED' ? e.revision : -1n)));
      assert.equal(revs.size, 1);
    });

    it('a slow consumer loses nothing: events are buffered in order', async () => {
      const r = watch(`${p}s/`);
      const n = 200;
      for (let i = 0; i < n; i++) await b.put(`${p}s/k`, String(i));
      const evs = await r.events(n);
      assert.deepEqual(
        evs.map((e) => (e.type === 'ADDED' || e.type === 'MODIFIED' ? e.kv.value : e.type)),
        Array.from({ length: n }, (_, i) => String(i)),
      );
      for (let i = 1; i < n; i++) {
        const [x, y] = [evs[i - 1], evs[i]];
        assert.ok(x.type === 'ADDED' || x.type === 'MODIFIED');
        assert.ok(y.type === 'MODIFIED');
        assert.ok(y.kv.modRevision > x.kv.modRevision);
      }
    });

    it('close() ends the iterator, including a pending next()', async () => {
      const w = b.watch(`${p}c/`);
      watches.push(w);
      const r = new WatchReader(w);
      await b.create(`${p}c/a`, '1');
      assert.equal((await r.event()).type, 'ADDED');
      const pending = r.next();
      await w.close();
      assert.equal((await pending).done, true);
      await w.close(); // idempotent
      await b.create(`${p}c/b`, '2');
      assert.equal((await r.next()).done, true);
    });

    it('breaking out of for-await closes the watch', async () => {
      await b.create(`${p}f/a`, '1');
      const w = b.watch(`${p}f/`);
      watches.push(w);
      for await (const ev of w) {
        assert.equal(ev.type, 'ADDED');
        break;
      }
      await b.create(`${p}f/b`, '2');
      assert.equal((await new WatchReader(w).next()).done, true);
    });

    it('closing the backend ends its open watches', async () => {
      const r = watch(`${p}z/`);
      const pending = r.next();
      await b.close();
      assert.equal((await pending).done, true);
    });

    it('after close(), calls fail with a DATASTORE error and a new watch reports ERROR then ends', async () => {
      await b.close();
      await b.close(); // idempotent
      await assert.rejects(b.get(`${p}a`), (e: unknown) => (e as { code?: string }).code === 'DATASTORE');
      await assert.rejects(
        b.put(`${p}a`, 'v'),
        (e: unknown) => (e as { code?: string }).code === 'DATASTORE',
      );
      const r = watch(p);
      const ev = await r.event();
      assert.equal(ev.type, 'ERROR');
      assert.equal((await r.next()).done, true);
    });
  });
}
