/**
 * etcd-specific behaviour: TLS, auth, timeouts when etcd is unreachable or hung, recovery after a
 * restart, compaction, interoperability with etcdctl, and a clean process exit after close().
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Backend } from '../../../src/datastore/backend.js';
import { createBackend, loadDatastoreConfig } from '../../../src/datastore/config.js';
import { EtcdBackend } from '../../../src/datastore/etcd/etcd-backend.js';
import { CalicoError } from '../../../src/errors/index.js';
import { describeEvent, WatchReader } from '../../helpers/backend-conformance.js';
import { freePort, startEtcd, type EtcdHandle } from '../../helpers/etcd.js';

/** Backends opened by a test, closed after it whatever happens. */
const open: Backend[] = [];
function track<B extends Backend>(b: B): B {
  open.push(b);
  return b;
}
async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((b) => b.close()));
}

async function datastoreError(p: Promise<unknown>, code: 'DATASTORE' | 'DATASTORE_TIMEOUT', message: RegExp) {
  let err: unknown;
  await assert.rejects(p, (e: unknown) => {
    err = e;
    assert.ok(e instanceof CalicoError, String(e));
    assert.equal(e.name, 'DatastoreError');
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
  return err as CalicoError;
}

/** A TCP proxy to etcd whose connections can be cut (and new ones refused) at will. */
class FlakyProxy {
  private readonly sockets = new Set<net.Socket>();
  private accepting = true;
  private constructor(
    private readonly server: net.Server,
    readonly url: string,
  ) {}

  static async start(targetPort: number): Promise<FlakyProxy> {
    const server = net.createServer();
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const { port } = server.address() as net.AddressInfo;
    const proxy = new FlakyProxy(server, `http://127.0.0.1:${port}`);
    server.on('connection', (client) => {
      if (!proxy.accepting) return void client.destroy();
      const upstream = net.connect(targetPort, '127.0.0.1');
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ]) {
        proxy.sockets.add(a);
        a.pipe(b);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          proxy.sockets.delete(a);
          b.destroy();
        });
      }
    });
    return proxy;
  }

  cut(): void {
    this.accepting = false;
    for (const s of this.sockets) s.destroy();
  }

  heal(): void {
    this.accepting = true;
  }

  close(): void {
    this.cut();
    this.server.close();
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = Date.now();
  const r = await fn();
  return [r, Date.now() - t];
}

describe('etcd over TLS with client certificates', () => {
  let etcd: EtcdHandle;
  before(async () => {
    etcd = await startEtcd({ tls: true });
  });
  after(async () => {
    await closeAll();
    await etcd?.stop();
  });

  it('works with the CA and a client certificate', async () => {
    const tls = etcd.tls!;
    const b = track(
      new EtcdBackend({ endpoints: etcd.endpoints, tls: { ca: tls.ca, cert: tls.cert, key: tls.key } }),
    );
    const kv = await b.create('/tls/a', 'secure');
    assert.equal((await b.get('/tls/a'))?.modRevision, kv.modRevision);
    const r = new WatchReader(b.watch('/tls/'));
    assert.equal(describeEvent(await r.event()), 'ADDED /tls/a=secure');
  });

  it('fails fast with a TLS error without a client certificate', async () => {
    const b = track(
      new EtcdBackend({ endpoints: etcd.endpoints, tls: { ca: etcd.tls!.ca }, requestTimeoutMs: 5000 }),
    );
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
    const b = track(new EtcdBackend({ endpoints: etcd.endpoints, requestTimeoutMs: 5000 }));
    await datastoreError(b.get('/tls/a'), 'DATASTORE', /^TLS connection to etcd .* failed: unable to verify/);
  });

  it('connects through loadDatastoreConfig + createBackend from the environment (file paths)', async () => {
    const cfg = await loadDatastoreConfig({
      configFile: join(etcd.dataDir, 'none.cfg'),
      explicitConfigFile: false,
      env: etcd.env(),
    });
    const b = track(createBackend(cfg));
    await b.put('/tls/env', 'from env');
    assert.equal((await b.get('/tls/env'))?.value, 'from env');
  });

  it('connects through a config file with inline PEM', async () => {
    const tls = etcd.tls!;
    const indent = (pem: string) => pem.trim().split('\n').join('\n    ');
    const path = join(etcd.dataDir, '..', 'calicoctl.cfg');
    writeFileSync(
      path,
      `apiVersion: projectcalico.org/v3
kind: CalicoAPIConfig
metadata: {}
spec:
  datastoreType: etcdv3
  etcdEndpoints: ${etcd.clientUrl}
  etcdCACert: |
    ${indent(tls.ca)}
  etcdCert: |
    ${indent(tls.cert)}
  etcdKey: |
    ${indent(tls.key)}
`,
    );
    const cfg = await loadDatastoreConfig({ configFile: path, env: {} });
    assert.deepEqual(cfg.source, { kind: 'file', path });
    const b = track(createBackend(cfg));
    assert.equal((await b.get('/tls/env'))?.value, 'from env');
  });
});

describe('etcd unreachable or hung', () => {
  let etcd: EtcdHandle;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await closeAll();
    await etcd?.stop();
  });

  it('a closed port gives DATASTORE_TIMEOUT within the configured timeout, for reads and writes', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const b = track(new EtcdBackend({ endpoints: [url], requestTimeoutMs: 1500 }));
    for (const op of [() => b.get('/x'), () => b.create('/x', 'v')]) {
      const [err, ms] = await timed(() =>
        datastoreError(op(), 'DATASTORE_TIMEOUT', /could not connect to etcd/),
      );
      assert.ok(ms >= 1000 && ms < 1500 + 2000, `took ${ms} ms`);
      assert.ok(err.message.includes(url), err.message);
      assert.match(err.message, /within \d+ ms/);
      assert.match(err.message, /ECONNREFUSED/);
      assert.match(err.hint ?? '', /ETCD_ENDPOINTS/);
    }
  });

  it('the dial timeout bounds connecting when it is shorter', async () => {
    const b = track(
      new EtcdBackend({
        endpoints: [`http://127.0.0.1:${await freePort()}`],
        dialTimeoutMs: 500,
        requestTimeoutMs: 10_000,
      }),
    );
    const [, ms] = await timed(() => datastoreError(b.get('/x'), 'DATASTORE_TIMEOUT', /could not connect/));
    assert.ok(ms < 500 + 1500, `took ${ms} ms`);
  });

  it('with one dead and one live endpoint, calls succeed', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const b = track(new EtcdBackend({ endpoints: [dead, ...etcd.endpoints], requestTimeoutMs: 5000 }));
    for (let i = 0; i < 10; i++) await b.put(`/multi/${i}`, String(i));
    assert.equal((await b.list('/multi/')).items.length, 10);
  });

  it('a hung (stopped) etcd gives DATASTORE_TIMEOUT, and calls work again once it resumes', async () => {
    const b = track(new EtcdBackend({ endpoints: etcd.endpoints, requestTimeoutMs: 1500 }));
    await b.put('/hung/a', '1');
    await etcd.pause();
    try {
      const [, ms] = await timed(() =>
        datastoreError(b.get('/hung/a'), 'DATASTORE_TIMEOUT', /timed out after \d+ ms waiting for etcd/),
      );
      assert.ok(ms >= 1400 && ms < 1500 + 2000, `took ${ms} ms`);
    } finally {
      await etcd.resume();
    }
    assert.equal((await b.get('/hung/a'))?.value, '1');
  });

  it('etcd killed and restarted: calls fail meanwhile, then work; an open watch resumes without loss', async () => {
    const b = track(new EtcdBackend({ endpoints: etcd.endpoints, requestTimeoutMs: 2000 }));
    const first = await b.create('/restart/a', '1');
    const r = new WatchReader(b.watch('/restart/', { fromRevision: first.modRevision }));
    await b.put('/restart/a', '2');
    assert.equal(describeEvent(await r.event()), 'MODIFIED /restart/a=2 (prev 1)');

    await etcd.kill();
    await datastoreError(b.get('/restart/a'), 'DATASTORE_TIMEOUT', /could not connect/);
    await etcd.restart();

    const [, ms] = await timed(() => b.put('/restart/a', '3'));
    assert.ok(ms < 2000, `first call after restart took ${ms} ms`);
    await b.put('/restart/b', '1');
    assert.deepEqual((await r.events(2, 10_000)).map(describeEvent), [
      'MODIFIED /restart/a=3 (prev 2)',
      'ADDED /restart/b=1',
    ]);
  });

  it('a watch whose connection drops resumes where it was: no loss, no repeats', async () => {
    const proxy = await FlakyProxy.start(Number(new URL(etcd.clientUrl).port));
    try {
      const watcher = track(new EtcdBackend({ endpoints: [proxy.url], requestTimeoutMs: 3000 }));
      const writer = track(new EtcdBackend({ endpoints: etcd.endpoints }));
      const k0 = await writer.create('/drop/k', '0');
      const r = new WatchReader(watcher.watch('/drop/', { fromRevision: k0.modRevision }));
      await writer.put('/drop/k', '1');
      assert.equal(describeEvent(await r.event()), 'MODIFIED /drop/k=1 (prev 0)');

      proxy.cut();
      await writer.put('/drop/k', '2');
      await writer.put('/drop/k', '3');
      await writer.create('/drop/j', 'x');
      await writer.delete('/drop/j');
      await new Promise((res) => setTimeout(res, 300));
      proxy.heal();

      assert.deepEqual((await r.events(4, 10_000)).map(describeEvent), [
        'MODIFIED /drop/k=2 (prev 1)',
        'MODIFIED /drop/k=3 (prev 2)',
        'ADDED /drop/j=x',
        'DELETED /drop/j (prev x)',
      ]);
      await writer.put('/drop/sentinel', 's');
      assert.equal(describeEvent(await r.event()), 'ADDED /drop/sentinel=s');
    } finally {
      await closeAll();
      proxy.close();
    }
  });

  it('a watch cut while catching up on history resumes after the last delivered event', async () => {
    // etcd sends catch-up history in batches of 1000 revisions whose response header carries the
    // *current* revision; resuming from that header (instead of the last event) would skip the rest.
    const proxy = await FlakyProxy.start(Number(new URL(etcd.clientUrl).port));
    try {
      const watcher = track(new EtcdBackend({ endpoints: [proxy.url], requestTimeoutMs: 3000 }));
      const writer = track(new EtcdBackend({ endpoints: etcd.endpoints }));
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
      await new Promise((res) => setTimeout(res, 300));
      proxy.heal();
      while (got.length < revs.length) got.push(await r.event(10_000));
      assert.deepEqual(
        got.map((e) => (e.type === 'ADDED' ? e.kv.modRevision : -1n)),
        revs,
      );
    } finally {
      await closeAll();
      proxy.close();
    }
  });

  it('a watch from a compacted revision yields one ERROR event and ends', async () => {
    const b = track(new EtcdBackend({ endpoints: etcd.endpoints }));
    const old = await b.put('/compact/a', '1');
    await b.put('/compact/a', '2');
    const latest = await b.put('/compact/a', '3');
    const c = await etcd.etcdctl(['compact', String(latest.modRevision)]);
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

describe('etcd interoperability and lifecycle', () => {
  let etcd: EtcdHandle;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await closeAll();
    await etcd?.stop();
  });

  it('etcdctl sees what we wrote, byte for byte, with the same revision; and we see what it wrote', async () => {
    const b = track(new EtcdBackend({ endpoints: etcd.endpoints }));
    const value = '{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"p ☃"}}';
    const kv = await b.create('/calico/resources/v3/projectcalico.org/ippools/p', value);
    const r = await etcd.etcdctl(['get', kv.key, '-w', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { kvs: { key: string; value: string; mod_revision: number }[] };
    assert.equal(Buffer.from(out.kvs[0].key, 'base64').toString('utf8'), kv.key);
    assert.ok(Buffer.from(out.kvs[0].value, 'base64').equals(Buffer.from(value, 'utf8')));
    assert.equal(BigInt(out.kvs[0].mod_revision), kv.modRevision);

    const put = await etcd.etcdctl(['put', '/from/etcdctl', 'héllo']);
    assert.equal(put.code, 0, put.stderr);
    assert.equal((await b.get('/from/etcdctl'))?.value, 'héllo');
  });

  it('username/password authentication works, and a wrong password is reported clearly', async () => {
    const auth = await startEtcd();
    try {
      for (const args of [
        ['user', 'add', 'root:rootpw'],
        ['role', 'add', 'root'],
        ['user', 'grant-role', 'root', 'root'],
        ['auth', 'enable'],
      ]) {
        const r = await auth.etcdctl(args);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      }
      const ok = track(new EtcdBackend({ endpoints: auth.endpoints, username: 'root', password: 'rootpw' }));
      await ok.put('/auth/a', '1');
      assert.equal((await ok.get('/auth/a'))?.value, '1');
      const bad = track(
        new EtcdBackend({
          endpoints: auth.endpoints,
          username: 'root',
          password: 'nope',
          requestTimeoutMs: 3000,
        }),
      );
      const err = await datastoreError(
        bad.get('/auth/a'),
        'DATASTORE',
        /refused the request.*authentication failed/,
      );
      assert.match(err.hint ?? '', /ETCD_USERNAME/);
      const anon = track(new EtcdBackend({ endpoints: auth.endpoints, requestTimeoutMs: 3000 }));
      await datastoreError(anon.get('/auth/a'), 'DATASTORE', /user name is empty|permission denied|refused/);
    } finally {
      await closeAll();
      await auth.stop();
    }
  });

  it('a process using the backend (with an open watch) exits by itself after close()', async () => {
    const mod = new URL('../../../src/datastore/etcd/etcd-backend.js', import.meta.url).href;
    const script = `
      const { EtcdBackend } = await import(${JSON.stringify(mod)});
      const b = new EtcdBackend({ endpoints: ${JSON.stringify(etcd.endpoints)} });
      await b.put('/exit/a', '1');
      const w = b.watch('/exit/');
      const it = w[Symbol.asyncIterator]();
      await it.next();
      await b.put('/exit/a', '2');
      await it.next();
      await b.close();
      console.log('closed');
    `;
    const [r, ms] = await timed(
      () =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          execFile(
            process.execPath,
            ['--input-type=module', '-e', script],
            { timeout: 15_000 },
            (err, stdout, stderr) =>
              resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
          );
        }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'closed');
    assert.ok(ms < 5000, `child took ${ms} ms to exit`);
  });
});
