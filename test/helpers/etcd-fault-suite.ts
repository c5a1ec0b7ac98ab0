/**
 * The fault behaviour every etcd backend must share, run against a real etcd: TLS failures, a closed
 * port, a hung or restarted etcd, watches whose connection drops (also while catching up), a watch
 * from a compacted revision, auth, and interoperability with etcdctl. Backend-specific faults stay
 * in each backend's own test file.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend } from '../../src/datastore/backend.js';
import type { EtcdBackendOptions } from '../../src/datastore/etcd/etcd-backend.js';
import { CalicoError } from '../../src/errors/index.js';
import { describeEvent, WatchReader } from './backend-conformance.js';
import {
  datastoreError,
  liveWatch,
  sleep,
  timed,
  track,
  useEtcd,
  withAuthEtcd,
  withFaultProxy,
} from './etcd-fault-helpers.js';
import { freePort, type EtcdHandle } from './etcd.js';

export interface EtcdFaultTarget {
  /** Prefixes the describe blocks. */
  name: string;
  /** A new backend with these options (the tests track and close it). */
  make(opts: EtcdBackendOptions): Backend;
  /** Makes a TLS etcd usable by this backend with client certificates, before the first such call. */
  prepareClientCerts?(etcd: EtcdHandle): Promise<void>;
}

export function etcdFaultSuite(t: EtcdFaultTarget): void {
  const make = (opts: EtcdBackendOptions) => track(t.make(opts));

  describe(`${t.name} over TLS with client certificates`, () => {
    const etcd = useEtcd({ tls: true });

    it('works with the CA and a client certificate', async () => {
      await t.prepareClientCerts?.(etcd());
      const tls = etcd().tls!;
      const b = make({ endpoints: etcd().endpoints, tls: { ca: tls.ca, cert: tls.cert, key: tls.key } });
      const kv = await b.create('/tls/a', 'secure');
      assert.equal((await b.get('/tls/a'))?.modRevision, kv.modRevision);
      const r = new WatchReader(b.watch('/tls/'));
      assert.equal(describeEvent(await r.event()), 'ADDED /tls/a=secure');
      await b.put('/tls/b', 'live');
      assert.equal(describeEvent(await r.event()), 'ADDED /tls/b=live');
    });

    it('fails fast with a TLS error without a client certificate', async () => {
      const b = make({ endpoints: etcd().endpoints, tls: { ca: etcd().tls!.ca }, requestTimeoutMs: 5000 });
      const [err, ms] = await timed(() =>
        datastoreError(
          b.get('/tls/a'),
          'DATASTORE',
          /^TLS connection to etcd at https:\/\/127\.0\.0\.1:\d+ failed: .*certificate/,
        ),
      );
      assert.match(err.hint ?? '', /ETCD_CERT_FILE/);
      assert.ok(ms < 2000, `took ${ms} ms`);
    });

    it('fails with a TLS error when the server certificate cannot be verified', async () => {
      const b = make({ endpoints: etcd().endpoints, requestTimeoutMs: 5000 });
      await datastoreError(
        b.get('/tls/a'),
        'DATASTORE',
        /^TLS connection to etcd .* failed: unable to verify/,
      );
    });
  });

  describe(`${t.name}: unreachable, hung or restarted etcd`, () => {
    const etcd = useEtcd();

    it('a closed port gives DATASTORE_TIMEOUT within the configured timeout, for reads and writes', async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const b = make({ endpoints: [url], requestTimeoutMs: 1500 });
      for (const op of [() => b.get('/x'), () => b.create('/x', 'v')]) {
        const [err, ms] = await timed(() =>
          datastoreError(op(), 'DATASTORE_TIMEOUT', /could not connect to etcd/),
        );
        assert.ok(ms >= 1000 && ms < 1500 + 2000, `took ${ms} ms`);
        assert.ok(err.message.includes(url), err.message);
        assert.match(err.message, /within 1500 ms \((get|create) \/x\)/);
        assert.match(err.message, /ECONNREFUSED/);
        assert.match(err.hint ?? '', /ETCD_ENDPOINTS/);
      }
    });

    it('the dial timeout bounds connecting when it is shorter', async () => {
      const b = make({
        endpoints: [`http://127.0.0.1:${await freePort()}`],
        dialTimeoutMs: 500,
        requestTimeoutMs: 10_000,
      });
      const [, ms] = await timed(() =>
        datastoreError(b.get('/x'), 'DATASTORE_TIMEOUT', /could not connect .* within 500 ms/),
      );
      assert.ok(ms < 500 + 1500, `took ${ms} ms`);
    });

    it('with a dead endpoint before a live one, calls and watches succeed', async () => {
      const dead = `http://127.0.0.1:${await freePort()}`;
      const b = make({ endpoints: [dead, ...etcd().endpoints], requestTimeoutMs: 5000 });
      const r = new WatchReader(b.watch('/multi/'));
      for (let i = 0; i < 10; i++) await b.put(`/multi/${i}`, String(i));
      assert.equal((await b.list('/multi/')).items.length, 10);
      assert.equal((await r.events(10)).length, 10);
    });

    it('a hung (stopped) etcd gives DATASTORE_TIMEOUT, and calls work again once it resumes', async () => {
      const b = make({ endpoints: etcd().endpoints, requestTimeoutMs: 1500 });
      await b.put('/hung/a', '1');
      const r = new WatchReader(b.watch('/hung/'));
      assert.equal(describeEvent(await r.event()), 'ADDED /hung/a=1');
      await etcd().pause();
      try {
        for (const op of [() => b.get('/hung/a'), () => b.put('/hung/a', 'x')]) {
          const [err, ms] = await timed(() =>
            datastoreError(op(), 'DATASTORE_TIMEOUT', /timed out after 1500 ms waiting for etcd/),
          );
          assert.ok(ms >= 1400 && ms < 1500 + 2000, `took ${ms} ms`);
          assert.ok(err.message.includes(etcd().clientUrl), err.message);
        }
      } finally {
        await etcd().resume();
      }
      // The write that timed out reached etcd, which may apply it on resuming: either value is right,
      // and the watch must agree with what get says.
      const now = (await b.get('/hung/a'))?.value;
      assert.ok(now === '1' || now === 'x', String(now));
      const evs = [];
      await b.put('/hung/b', '2');
      for (;;) {
        const ev = await r.event();
        evs.push(describeEvent(ev));
        if (ev.type === 'ADDED' && ev.kv.key === '/hung/b') break;
      }
      // If get saw `x`, the write committed before /hung/b and the watch delivers it first. If get saw
      // `1`, the write may still land between that get and the put of /hung/b (it was in flight).
      const modified = 'MODIFIED /hung/a=x (prev 1),ADDED /hung/b=2';
      if (now === 'x') assert.equal(evs.join(), modified);
      else assert.ok(['ADDED /hung/b=2', modified].includes(evs.join()), evs.join());
    });

    it('etcd killed and restarted: calls fail meanwhile, then work; an open watch resumes without loss', async () => {
      const b = make({ endpoints: etcd().endpoints, requestTimeoutMs: 2000 });
      const first = await b.create('/restart/a', '1');
      const r = new WatchReader(b.watch('/restart/', { fromRevision: first.modRevision }));
      await b.put('/restart/a', '2');
      assert.equal(describeEvent(await r.event()), 'MODIFIED /restart/a=2 (prev 1)');

      await etcd().kill();
      await datastoreError(b.get('/restart/a'), 'DATASTORE_TIMEOUT', /could not connect/);
      await datastoreError(b.put('/restart/a', 'lost'), 'DATASTORE_TIMEOUT', /could not connect/);
      await etcd().restart();

      const [, ms] = await timed(() => b.put('/restart/a', '3'));
      assert.ok(ms < 2000, `first call after restart took ${ms} ms`);
      await b.put('/restart/b', '1');
      assert.deepEqual((await r.events(2, 10_000)).map(describeEvent), [
        'MODIFIED /restart/a=3 (prev 2)',
        'ADDED /restart/b=1',
      ]);
    });

    it('a watch whose connection drops resumes where it was: no loss, no repeats', async () => {
      await withFaultProxy(etcd(), async (proxy) => {
        const watcher = make({ endpoints: [proxy.url], requestTimeoutMs: 3000 });
        const writer = make({ endpoints: etcd().endpoints });
        const r = await liveWatch(writer, watcher, '/drop/');

        proxy.cut();
        await writer.put('/drop/k', '2');
        await writer.put('/drop/k', '3');
        await writer.create('/drop/j', 'x');
        await writer.delete('/drop/j');
        await sleep(300);
        proxy.heal();

        assert.deepEqual((await r.events(4, 10_000)).map(describeEvent), [
          'MODIFIED /drop/k=2 (prev 1)',
          'MODIFIED /drop/k=3 (prev 2)',
          'ADDED /drop/j=x',
          'DELETED /drop/j (prev x)',
        ]);
        await writer.put('/drop/sentinel', 's');
        assert.equal(describeEvent(await r.event()), 'ADDED /drop/sentinel=s');
      });
    });

    it('a watch cut while catching up on history resumes after the last delivered event', async () => {
      // etcd sends catch-up history in batches (of 1000 revisions) whose header carries the *current*
      // revision; resuming from a header (instead of the last event) would skip the rest.
      await withFaultProxy(etcd(), async (proxy) => {
        const watcher = make({ endpoints: [proxy.url], requestTimeoutMs: 3000 });
        const writer = make({ endpoints: etcd().endpoints });
        const revs: bigint[] = [];
        for (let i = 0; i < 1200; i += 100) {
          const batch = await Promise.all(
            Array.from({ length: 100 }, (_, j) => writer.create(`/catchup/${i + j}`, 'v')),
          );
          revs.push(...batch.map((kv) => kv.modRevision));
        }
        revs.sort((a, b) => (a < b ? -1 : 1));
        const r = new WatchReader(watcher.watch('/catchup/', { fromRevision: revs[0] - 1n }));
        const got = [await r.event()];
        proxy.cut();
        await sleep(300);
        proxy.heal();
        while (got.length < revs.length) got.push(await r.event(10_000));
        assert.deepEqual(
          got.map((e) => (e.type === 'ADDED' ? e.kv.modRevision : -1n)),
          revs,
        );
      });
    });

    it('a watch from a compacted revision yields one ERROR event and ends', async () => {
      const b = make({ endpoints: etcd().endpoints });
      const old = await b.put('/compact/a', '1');
      await b.put('/compact/a', '2');
      const latest = await b.put('/compact/a', '3');
      const c = await etcd().etcdctl(['compact', String(latest.modRevision)]);
      assert.equal(c.code, 0, c.stderr);
      const r = new WatchReader(b.watch('/compact/', { fromRevision: old.modRevision }));
      const ev = await r.event();
      assert.equal(ev.type, 'ERROR');
      assert.ok(ev.type === 'ERROR' && ev.error instanceof CalicoError && ev.error.code === 'DATASTORE');
      assert.match(describeEvent(ev), /from revision \d+ failed: required revision \d+ has been compacted$/);
      assert.equal((await r.next()).done, true);
      // The backend itself is fine: a fresh watch (snapshot) works.
      const fresh = new WatchReader(b.watch('/compact/'));
      assert.equal(describeEvent(await fresh.event()), 'ADDED /compact/a=3');
    });
  });

  describe(`${t.name}: auth and interoperability with etcdctl`, () => {
    const etcd = useEtcd();

    it('etcdctl sees what we wrote, byte for byte, with the same revision; and we see what it wrote', async () => {
      const b = make({ endpoints: etcd().endpoints });
      const value = '{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"p ☃"}}';
      const kv = await b.create('/calico/resources/v3/projectcalico.org/ippools/p', value);
      const r = await etcd().etcdctl(['get', kv.key, '-w', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { kvs: { key: string; value: string; mod_revision: number }[] };
      assert.equal(Buffer.from(out.kvs[0].key, 'base64').toString('utf8'), kv.key);
      assert.ok(Buffer.from(out.kvs[0].value, 'base64').equals(Buffer.from(value, 'utf8')));
      assert.equal(BigInt(out.kvs[0].mod_revision), kv.modRevision);

      const put = await etcd().etcdctl(['put', '/from/etcdctl', 'héllo']);
      assert.equal(put.code, 0, put.stderr);
      assert.equal((await b.get('/from/etcdctl'))?.value, 'héllo');
    });

    it('username/password authentication works, and a wrong password or none is refused clearly', async () => {
      await withAuthEtcd(async (auth) => {
        const ok = make({ endpoints: auth.endpoints, username: 'root', password: 'rootpw' });
        await ok.put('/auth/a', '1');
        assert.equal((await ok.get('/auth/a'))?.value, '1');
        const bad = make({
          endpoints: auth.endpoints,
          username: 'root',
          password: 'nope',
          requestTimeoutMs: 3000,
        });
        const err = await datastoreError(
          bad.get('/auth/a'),
          'DATASTORE',
          /refused the request.*authentication failed/,
        );
        assert.match(err.hint ?? '', /ETCD_USERNAME/);
        const anon = make({ endpoints: auth.endpoints, requestTimeoutMs: 3000 });
        await datastoreError(anon.get('/auth/a'), 'DATASTORE', /user name is empty/);
      });
    });
  });
}
