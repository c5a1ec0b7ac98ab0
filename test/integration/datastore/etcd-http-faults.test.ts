/**
 * EtcdHttpBackend against a real etcd: TLS, unix sockets, auth (and token renewal), timeouts when
 * etcd is unreachable or hung, failover, recovery after a restart, dropped and stalled watch streams,
 * compaction, interoperability with etcdctl, and a clean process exit after close().
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Backend } from '../../../src/datastore/backend.js';
import { EtcdHttpBackend } from '../../../src/datastore/etcd-http/etcd-http-backend.js';
import { FallbackEtcdBackend } from '../../../src/datastore/etcd-http/fallback-backend.js';
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

async function datastoreError(
  p: Promise<unknown>,
  code: 'DATASTORE' | 'DATASTORE_TIMEOUT',
  message: RegExp,
): Promise<CalicoError> {
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

/** Runs fn with a backend and closes it after, whatever happens. */
async function using1<B extends Backend>(b: B, fn: (b: B) => Promise<void>): Promise<void> {
  try {
    await fn(b);
  } finally {
    await b.close();
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = Date.now();
  const r = await fn();
  return [r, Date.now() - t];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A TCP proxy to etcd whose connections can be cut (and new ones refused), or stalled: connections
 * stay open but nothing is forwarded either way, like a path that died without a reset.
 */
class Proxy {
  private readonly sockets = new Set<net.Socket>();
  private accepting = true;
  private stalled = false;
  private constructor(
    private readonly server: net.Server,
    readonly url: string,
  ) {}

  static async start(targetPort: number): Promise<Proxy> {
    const server = net.createServer();
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const { port } = server.address() as net.AddressInfo;
    const proxy = new Proxy(server, `http://127.0.0.1:${port}`);
    server.on('connection', (client) => {
      if (!proxy.accepting) return void client.destroy();
      const upstream = net.connect(targetPort, '127.0.0.1');
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ]) {
        proxy.sockets.add(a);
        a.on('data', (chunk: Buffer) => {
          if (!proxy.stalled) b.write(chunk);
        });
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
    this.stalled = false;
  }

  stall(): void {
    this.stalled = true;
  }

  close(): void {
    this.cut();
    this.server.close();
  }
}

/**
 * etcd 3.4's gateway dials etcd's own port with etcd's server certificate as its client certificate;
 * with --client-cert-auth that certificate must allow client auth too (kubeadm's etcd certificates
 * do; the launcher's test certificates do not). Re-issues it from the test CA and restarts etcd.
 */
async function allowGatewayClientAuth(etcd: EtcdHandle): Promise<void> {
  const dir = dirname(etcd.tls!.caFile);
  const ext = join(dir, 'server-gateway.ext');
  writeFileSync(
    ext,
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' +
      'keyUsage=critical,digitalSignature,keyEncipherment\n',
  );
  execFileSync(
    'openssl',
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'].concat([
      '-days',
      '2',
      '-sha256',
      '-extfile',
      ext,
      '-out',
      'server.crt',
    ]),
    { cwd: dir, stdio: 'ignore' },
  );
  await etcd.restart();
}

describe('etcd-http over TLS with client certificates', () => {
  let etcd: EtcdHandle;
  before(async () => {
    etcd = await startEtcd({ tls: true });
  });
  after(async () => {
    await closeAll();
    await etcd?.stop();
  });

  it('when the gateway cannot reach etcd (server certificate without clientAuth), says so at once', async () => {
    const tls = etcd.tls!;
    const b = track(
      new EtcdHttpBackend({
        endpoints: etcd.endpoints,
        tls: { ca: tls.ca, cert: tls.cert, key: tls.key },
        requestTimeoutMs: 5000,
      }),
    );
    for (const op of [() => b.get('/tls/a'), () => b.put('/tls/a', 'x')]) {
      const [err, ms] = await timed(() =>
        datastoreError(op(), 'DATASTORE', /^etcd at https:.* cannot serve the v3 JSON API .*clientAuth/),
      );
      assert.match(err.hint ?? '', /serverAuth,clientAuth/);
      assert.ok(ms < 2000, `took ${ms} ms`);
    }
    const r = new WatchReader(b.watch('/tls/', { fromRevision: 1n }));
    assert.match(describeEvent(await r.event()), /^ERROR .*cannot serve the v3 JSON API/);
  });

  it('FallbackEtcdBackend moves to gRPC when the gateway cannot reach etcd: watches first, then calls', async () => {
    const tls = etcd.tls!;
    const opts = { endpoints: etcd.endpoints, tls: { ca: tls.ca, cert: tls.cert, key: tls.key } };
    await using1(new FallbackEtcdBackend(opts), async (b) => {
      // A watch opened before any call: its HTTP attempt fails, and it carries on over gRPC.
      const r = new WatchReader(b.watch('/fallback/'));
      const kv = await b.create('/fallback/a', '1');
      assert.equal(b.transport, 'grpc');
      assert.deepEqual(await b.get('/fallback/a'), kv);
      assert.equal(describeEvent(await r.event(10_000)), 'ADDED /fallback/a=1');
      const w2 = new WatchReader(b.watch('/fallback/', { fromRevision: kv.modRevision }));
      await b.put('/fallback/a', '2');
      assert.equal(describeEvent(await r.event()), 'MODIFIED /fallback/a=2 (prev 1)');
      assert.equal(describeEvent(await w2.event()), 'MODIFIED /fallback/a=2 (prev 1)');
    });
  });

  it('works with the CA and a client certificate, without a servername warning for an IP', async () => {
    await allowGatewayClientAuth(etcd);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const tls = etcd.tls!;
      const b = track(
        new EtcdHttpBackend({ endpoints: etcd.endpoints, tls: { ca: tls.ca, cert: tls.cert, key: tls.key } }),
      );
      const kv = await b.create('/tls/a', 'secure');
      assert.equal((await b.get('/tls/a'))?.modRevision, kv.modRevision);
      const r = new WatchReader(b.watch('/tls/'));
      assert.equal(describeEvent(await r.event()), 'ADDED /tls/a=secure');
      await b.put('/tls/b', 'live');
      assert.equal(describeEvent(await r.event()), 'ADDED /tls/b=live');
      await sleep(50);
      assert.deepEqual(warnings, []);
      // With a usable gateway, the fallback backend stays on HTTP.
      await using1(
        new FallbackEtcdBackend({
          endpoints: etcd.endpoints,
          tls: { ca: tls.ca, cert: tls.cert, key: tls.key },
        }),
        async (f) => {
          assert.equal((await f.get('/tls/a'))?.value, 'secure');
          assert.equal(f.transport, 'http');
        },
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('fails fast with a TLS error without a client certificate', async () => {
    const b = track(
      new EtcdHttpBackend({ endpoints: etcd.endpoints, tls: { ca: etcd.tls!.ca }, requestTimeoutMs: 5000 }),
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
    const b = track(new EtcdHttpBackend({ endpoints: etcd.endpoints, requestTimeoutMs: 5000 }));
    await datastoreError(b.get('/tls/a'), 'DATASTORE', /^TLS connection to etcd .* failed: .*certificate/);
  });

  it('a watch with a TLS problem ends with one ERROR event', async () => {
    const b = track(new EtcdHttpBackend({ endpoints: etcd.endpoints, tls: { ca: etcd.tls!.ca } }));
    const r = new WatchReader(b.watch('/tls/', { fromRevision: 1n }));
    const ev = await r.event();
    assert.match(describeEvent(ev), /^ERROR TLS connection to etcd at .* failed/);
    assert.equal((await r.next()).done, true);
  });
});

describe('etcd-http: etcd unreachable, hung, restarted', () => {
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
    const b = track(new EtcdHttpBackend({ endpoints: [url], requestTimeoutMs: 1500 }));
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

  it('a missing unix socket gives DATASTORE_TIMEOUT naming the socket', async () => {
    const url = `unix://${join(etcd.dataDir, 'nothing.sock')}`;
    const b = track(new EtcdHttpBackend({ endpoints: [url], requestTimeoutMs: 800 }));
    const err = await datastoreError(b.get('/x'), 'DATASTORE_TIMEOUT', /could not connect to etcd/);
    assert.ok(err.message.includes(url), err.message);
    assert.match(err.message, /ENOENT/);
  });

  it('the dial timeout bounds connecting when it is shorter', async () => {
    const b = track(
      new EtcdHttpBackend({
        endpoints: [`http://127.0.0.1:${await freePort()}`],
        dialTimeoutMs: 500,
        requestTimeoutMs: 10_000,
      }),
    );
    const [, ms] = await timed(() =>
      datastoreError(b.get('/x'), 'DATASTORE_TIMEOUT', /could not connect .* within 500 ms/),
    );
    assert.ok(ms < 500 + 1500, `took ${ms} ms`);
  });

  it('with dead endpoints before a live one (tcp and unix), calls and watches succeed', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const b = track(
      new EtcdHttpBackend({
        endpoints: [dead, etcd.unixEndpoint!, ...etcd.endpoints],
        requestTimeoutMs: 5000,
      }),
    );
    const r = new WatchReader(b.watch('/multi/'));
    for (let i = 0; i < 10; i++) await b.put(`/multi/${i}`, String(i));
    assert.equal((await b.list('/multi/')).items.length, 10);
    assert.equal((await r.events(10)).length, 10);
  });

  it('a hung (stopped) etcd gives DATASTORE_TIMEOUT, and calls work again once it resumes', async () => {
    const b = track(new EtcdHttpBackend({ endpoints: etcd.endpoints, requestTimeoutMs: 1500 }));
    await b.put('/hung/a', '1');
    const r = new WatchReader(b.watch('/hung/'));
    assert.equal(describeEvent(await r.event()), 'ADDED /hung/a=1');
    await etcd.pause();
    try {
      for (const op of [() => b.get('/hung/a'), () => b.put('/hung/a', 'x')]) {
        const [err, ms] = await timed(() =>
          datastoreError(op(), 'DATASTORE_TIMEOUT', /timed out after 1500 ms waiting for etcd/),
        );
        assert.ok(ms >= 1400 && ms < 1500 + 2000, `took ${ms} ms`);
        assert.ok(err.message.includes(etcd.clientUrl), err.message);
      }
    } finally {
      await etcd.resume();
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
    const b = track(new EtcdHttpBackend({ endpoints: etcd.endpoints, requestTimeoutMs: 2000 }));
    const first = await b.create('/restart/a', '1');
    const r = new WatchReader(b.watch('/restart/', { fromRevision: first.modRevision }));
    await b.put('/restart/a', '2');
    assert.equal(describeEvent(await r.event()), 'MODIFIED /restart/a=2 (prev 1)');

    await etcd.kill();
    await datastoreError(b.get('/restart/a'), 'DATASTORE_TIMEOUT', /could not connect/);
    await datastoreError(b.put('/restart/a', 'lost'), 'DATASTORE_TIMEOUT', /could not connect/);
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
    const proxy = await Proxy.start(Number(new URL(etcd.clientUrl).port));
    try {
      const watcher = track(new EtcdHttpBackend({ endpoints: [proxy.url], requestTimeoutMs: 3000 }));
      const writer = track(new EtcdHttpBackend({ endpoints: etcd.endpoints }));
      const k0 = await writer.create('/drop/k', '0');
      const r = new WatchReader(watcher.watch('/drop/', { fromRevision: k0.modRevision }));
      await writer.put('/drop/k', '1');
      assert.equal(describeEvent(await r.event()), 'MODIFIED /drop/k=1 (prev 0)');

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
    } finally {
      await closeAll();
      proxy.close();
    }
  });

  it('a watch cut while catching up on history resumes after the last delivered event', async () => {
    // etcd sends catch-up history in batches whose header carries the *current* revision; resuming
    // from a header (instead of the last event) would skip the rest.
    const proxy = await Proxy.start(Number(new URL(etcd.clientUrl).port));
    try {
      const watcher = track(new EtcdHttpBackend({ endpoints: [proxy.url], requestTimeoutMs: 3000 }));
      const writer = track(new EtcdHttpBackend({ endpoints: etcd.endpoints }));
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
    } finally {
      await closeAll();
      proxy.close();
    }
  });

  it('a watch on a stalled path notices (probe) and moves to the next endpoint without loss', async () => {
    const proxy = await Proxy.start(Number(new URL(etcd.clientUrl).port));
    try {
      const watcher = track(
        new EtcdHttpBackend({
          endpoints: [proxy.url, ...etcd.endpoints],
          requestTimeoutMs: 1000,
          watchProbeMs: 300,
        }),
      );
      const writer = track(new EtcdHttpBackend({ endpoints: etcd.endpoints }));
      const k0 = await writer.create('/stall/k', '0');
      const r = new WatchReader(watcher.watch('/stall/', { fromRevision: k0.modRevision }));
      await writer.put('/stall/k', '1');
      assert.equal(describeEvent(await r.event()), 'MODIFIED /stall/k=1 (prev 0)');
      proxy.stall();
      await writer.put('/stall/k', '2');
      await writer.put('/stall/k', '3');
      const [evs, ms] = await timed(() => r.events(2, 10_000));
      assert.deepEqual(evs.map(describeEvent), [
        'MODIFIED /stall/k=2 (prev 1)',
        'MODIFIED /stall/k=3 (prev 2)',
      ]);
      assert.ok(ms < 300 + 1000 + 2000, `took ${ms} ms`);
      // Calls moved on too.
      assert.equal((await watcher.get('/stall/k'))?.value, '3');
    } finally {
      await closeAll();
      proxy.close();
    }
  });

  it('a watch from a compacted revision yields one ERROR event and ends', async () => {
    const b = track(new EtcdHttpBackend({ endpoints: etcd.endpoints }));
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

describe('etcd-http interoperability and lifecycle', () => {
  let etcd: EtcdHandle;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await closeAll();
    await etcd?.stop();
  });

  it('etcdctl sees what we wrote, byte for byte, with the same revision; and we see what it wrote', async () => {
    const b = track(new EtcdHttpBackend({ endpoints: etcd.endpoints }));
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

  it('username/password authentication works (calls and watches), renews its token, and reports refusals clearly', async () => {
    const auth = await startEtcd();
    try {
      const root = ['--user', 'root:rootpw'];
      for (const args of [
        ['user', 'add', 'root:rootpw'],
        ['role', 'add', 'root'],
        ['user', 'grant-role', 'root', 'root'],
        ['auth', 'enable'],
      ]) {
        const r = await auth.etcdctl(args);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      }
      const ok = track(
        new EtcdHttpBackend({
          endpoints: auth.endpoints,
          username: 'root',
          password: 'rootpw',
          requestTimeoutMs: 3000,
        }),
      );
      await ok.put('/auth/a', '1');
      assert.equal((await ok.get('/auth/a'))?.value, '1');
      const r = new WatchReader(ok.watch('/auth/'));
      assert.equal(describeEvent(await r.event()), 'ADDED /auth/a=1');

      // A change to users or roles makes existing tokens stale ("auth revision is old").
      const add = await auth.etcdctl([...root, 'user', 'add', 'other:otherpw']);
      assert.equal(add.code, 0, add.stderr);
      await ok.put('/auth/b', '2');
      // A restarted member forgets its simple tokens ("invalid auth token"), for calls and the watch.
      await auth.restart();
      await ok.put('/auth/c', '3');
      assert.deepEqual((await r.events(2, 10_000)).map(describeEvent), [
        'ADDED /auth/b=2',
        'ADDED /auth/c=3',
      ]);

      const bad = track(
        new EtcdHttpBackend({
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
      const badWatch = new WatchReader(bad.watch('/auth/', { fromRevision: 1n }));
      assert.match(describeEvent(await badWatch.event()), /^ERROR .*authentication failed/);
      const anon = track(new EtcdHttpBackend({ endpoints: auth.endpoints, requestTimeoutMs: 3000 }));
      await datastoreError(anon.get('/auth/a'), 'DATASTORE', /refused the request.*user name is empty/);
    } finally {
      await closeAll();
      await auth.stop();
    }
  });

  it('a process using the backend (with open watches) loads no https for http endpoints and exits by itself after close()', async () => {
    const mod = new URL('../../../src/datastore/etcd-http/etcd-http-backend.js', import.meta.url).href;
    const script = `
      const { EtcdHttpBackend } = await import(${JSON.stringify(mod)});
      const b = new EtcdHttpBackend({ endpoints: ${JSON.stringify([etcd.endpoints[0], etcd.unixEndpoint])} });
      await b.put('/exit/a', '1');
      const w = b.watch('/exit/');
      const w2 = b.watch('/exit/', { fromRevision: 1n });
      const it = w[Symbol.asyncIterator]();
      await it.next();
      await b.put('/exit/a', '2');
      await it.next();
      await w2[Symbol.asyncIterator]().next();
      const pending = b.get('/exit/a');
      await b.close();
      await pending.then(() => {}, () => {});
      await new Promise((r) => setImmediate(r));
      const live = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap');
      console.log(JSON.stringify({ live, https: process.moduleLoadList.some((m) => m.includes('https')) }));
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
    assert.deepEqual(JSON.parse(r.stdout), { live: [], https: false });
    assert.ok(ms < 5000, `child took ${ms} ms to exit`);
  });
});
