/**
 * EtcdHttpBackend against a real etcd: the fault behaviour both etcd backends share (see
 * etcd-fault-suite.ts), then what is this backend's own: the gateway's TLS needs and the gRPC
 * fallback, unix sockets, stalled watch streams, auth token renewal, and a clean process exit after
 * close() without loading https.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import type { Backend } from '../../../src/datastore/backend.js';
import { EtcdHttpBackend } from '../../../src/datastore/etcd-http/etcd-http-backend.js';
import { FallbackEtcdBackend } from '../../../src/datastore/etcd-http/fallback-backend.js';
import { describeEvent, WatchReader } from '../../helpers/backend-conformance.js';
import { freePort, type EtcdHandle } from '../../helpers/etcd.js';
import {
  datastoreError,
  liveWatch,
  runNodeScript,
  sleep,
  timed,
  track,
  useEtcd,
  withAuthEtcd,
  withFaultProxy,
} from '../../helpers/etcd-fault-helpers.js';
import { etcdFaultSuite } from '../../helpers/etcd-fault-suite.js';

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

/** Runs fn with a backend and closes it after, whatever happens. */
async function using1<B extends Backend>(b: B, fn: (b: B) => Promise<void>): Promise<void> {
  try {
    await fn(b);
  } finally {
    await b.close();
  }
}

etcdFaultSuite({
  name: 'etcd-http',
  make: (opts) => new EtcdHttpBackend(opts),
  prepareClientCerts: allowGatewayClientAuth,
});

describe('etcd-http over TLS: the gateway and the gRPC fallback', () => {
  const etcd = useEtcd({ tls: true });
  const clientCerts = () => {
    const tls = etcd().tls!;
    return { endpoints: etcd().endpoints, tls: { ca: tls.ca, cert: tls.cert, key: tls.key } };
  };

  it('when the gateway cannot reach etcd (server certificate without clientAuth), says so at once', async () => {
    const b = track(new EtcdHttpBackend({ ...clientCerts(), requestTimeoutMs: 5000 }));
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
    await using1(new FallbackEtcdBackend(clientCerts()), async (b) => {
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

  it('with a usable gateway: no servername warning for an IP, and FallbackEtcdBackend stays on HTTP', async () => {
    await allowGatewayClientAuth(etcd());
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const b = track(new EtcdHttpBackend(clientCerts()));
      const r = new WatchReader(b.watch('/tls/'));
      await b.create('/tls/a', 'secure');
      assert.equal(describeEvent(await r.event()), 'ADDED /tls/a=secure');
      assert.equal((await b.get('/tls/a'))?.value, 'secure');
      await sleep(50);
      assert.deepEqual(warnings, []);
      await using1(new FallbackEtcdBackend(clientCerts()), async (f) => {
        assert.equal((await f.get('/tls/a'))?.value, 'secure');
        assert.equal(f.transport, 'http');
      });
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a watch with a TLS problem ends with one ERROR event', async () => {
    const b = track(new EtcdHttpBackend({ endpoints: etcd().endpoints, tls: { ca: etcd().tls!.ca } }));
    const r = new WatchReader(b.watch('/tls/', { fromRevision: 1n }));
    const ev = await r.event();
    assert.match(describeEvent(ev), /^ERROR TLS connection to etcd at .* failed/);
    assert.equal((await r.next()).done, true);
  });
});

describe('etcd-http: unix sockets and stalled paths', () => {
  const etcd = useEtcd();

  it('a missing unix socket gives DATASTORE_TIMEOUT naming the socket', async () => {
    const url = `unix://${join(etcd().dataDir, 'nothing.sock')}`;
    const b = track(new EtcdHttpBackend({ endpoints: [url], requestTimeoutMs: 800 }));
    const err = await datastoreError(b.get('/x'), 'DATASTORE_TIMEOUT', /could not connect to etcd/);
    assert.ok(err.message.includes(url), err.message);
    assert.match(err.message, /ENOENT/);
  });

  it('with dead endpoints before a live one (tcp and unix), calls and watches succeed', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const b = track(
      new EtcdHttpBackend({
        endpoints: [dead, etcd().unixEndpoint!, ...etcd().endpoints],
        requestTimeoutMs: 5000,
      }),
    );
    const r = new WatchReader(b.watch('/multi/'));
    for (let i = 0; i < 10; i++) await b.put(`/multi/${i}`, String(i));
    assert.equal((await b.list('/multi/')).items.length, 10);
    assert.equal((await r.events(10)).length, 10);
  });

  it('a watch on a stalled path notices (probe) and moves to the next endpoint without loss', async () => {
    await withFaultProxy(etcd(), async (proxy) => {
      const watcher = track(
        new EtcdHttpBackend({
          endpoints: [proxy.url, ...etcd().endpoints],
          requestTimeoutMs: 1000,
          watchProbeMs: 300,
        }),
      );
      const writer = track(new EtcdHttpBackend({ endpoints: etcd().endpoints }));
      const r = await liveWatch(writer, watcher, '/stall/');
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
    });
  });
});

describe('etcd-http: auth tokens and lifecycle', () => {
  const etcd = useEtcd();

  it('with username/password, watches work and the token is renewed when stale or forgotten; refusals name the cause, for watches too', async () => {
    await withAuthEtcd(async (auth) => {
      const ok = track(
        new EtcdHttpBackend({
          endpoints: auth.endpoints,
          username: 'root',
          password: 'rootpw',
          requestTimeoutMs: 3000,
        }),
      );
      await ok.put('/auth/a', '1');
      const r = new WatchReader(ok.watch('/auth/'));
      assert.equal(describeEvent(await r.event()), 'ADDED /auth/a=1');

      // A change to users or roles makes existing tokens stale ("auth revision is old").
      const add = await auth.etcdctl(['--user', 'root:rootpw', 'user', 'add', 'other:otherpw']);
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
      const badWatch = new WatchReader(bad.watch('/auth/', { fromRevision: 1n }));
      assert.match(describeEvent(await badWatch.event()), /^ERROR .*authentication failed/);
      const anon = track(new EtcdHttpBackend({ endpoints: auth.endpoints, requestTimeoutMs: 3000 }));
      await datastoreError(anon.get('/auth/a'), 'DATASTORE', /refused the request.*user name is empty/);
    });
  });

  it('a process using the backend (with open watches) loads no https for http endpoints and exits by itself after close()', async () => {
    const mod = new URL('../../../src/datastore/etcd-http/etcd-http-backend.js', import.meta.url).href;
    const r = await runNodeScript(`
      const { EtcdHttpBackend } = await import(${JSON.stringify(mod)});
      const b = new EtcdHttpBackend({ endpoints: ${JSON.stringify([etcd().endpoints[0], etcd().unixEndpoint])} });
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
    `);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { live: [], https: false });
    assert.ok(r.ms < 5000, `child took ${r.ms} ms to exit`);
  });
});
