/**
 * The pure parts of EtcdHttpBackend: endpoint parsing, the gateway's JSON encoding, failure
 * classification, and the promise that loading it pulls in no npm package (its reason to exist).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { EtcdHttpBackend } from '../../../src/datastore/etcd-http/etcd-http-backend.js';
import {
  datastoreError,
  gatewayFailure,
  socketFailure,
  timeoutError,
} from '../../../src/datastore/etcd-http/http-errors.js';
import { parseEndpoint } from '../../../src/datastore/etcd-http/http-transport.js';
import { b64, toKV, unb64 } from '../../../src/datastore/etcd-http/wire.js';
import { CalicoError } from '../../../src/errors/index.js';

describe('etcd-http endpoints', () => {
  it('parses http, https (with default ports and IPv6) and unix sockets', () => {
    assert.deepEqual(parseEndpoint('http://127.0.0.1:2379'), {
      url: 'http://127.0.0.1:2379',
      secure: false,
      host: '127.0.0.1',
      port: 2379,
    });
    assert.equal(parseEndpoint('https://etcd.example').port, 443);
    assert.equal(parseEndpoint('http://etcd.example').port, 80);
    assert.equal(parseEndpoint('https://[fd00::1]:2379').host, 'fd00::1');
    // etcd names its socket file "<name>:<port>": the colon belongs to the path.
    assert.deepEqual(parseEndpoint('unix:///run/etcd/etcd.sock:2379'), {
      url: 'unix:///run/etcd/etcd.sock:2379',
      secure: false,
      host: 'localhost',
      port: 0,
      socketPath: '/run/etcd/etcd.sock:2379',
    });
    assert.throws(() => parseEndpoint('ftp://x:1'), /scheme must be http, https or unix/);
  });

  it('rejects no endpoints, and a mix of TLS and plain ones, as configuration errors', () => {
    assert.throws(
      () => new EtcdHttpBackend({ endpoints: [] }),
      (e: unknown) =>
        e instanceof CalicoError && e.code === 'DATASTORE' && /no etcd endpoints/.test(e.message),
    );
    assert.throws(
      () => new EtcdHttpBackend({ endpoints: ['https://a:1', 'http://b:2'] }),
      /invalid etcd client configuration: etcd endpoints mix TLS and plain/,
    );
  });
});

describe('etcd-http wire encoding', () => {
  it('base64 round-trips UTF-8, and zero-valued fields left out by the gateway read as zero', () => {
    assert.equal(b64('/calico/☃'), Buffer.from('/calico/☃').toString('base64'));
    assert.equal(unb64(b64('snow ☃ 雪')), 'snow ☃ 雪');
    assert.equal(unb64(undefined), '');
    assert.deepEqual(toKV({ key: b64('/k'), create_revision: '7', mod_revision: '9', version: '2' }), {
      key: '/k',
      value: '',
      modRevision: 9n,
      createRevision: 7n,
    });
    // int64 beyond 2^53 survives (revisions are strings on the wire).
    assert.equal(toKV({ key: b64('/k'), mod_revision: '9007199254740993' }).modRevision, 9007199254740993n);
  });
});

describe('etcd-http failure classification', () => {
  const errno = (code: string, message: string) => Object.assign(new Error(message), { code });

  it('connection errors before connecting are retryable; after, they may have reached etcd', () => {
    assert.equal(
      socketFailure(errno('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'), false).kind,
      'not-connected',
    );
    assert.equal(socketFailure(errno('ENOENT', 'connect ENOENT /x.sock'), false).kind, 'not-connected');
    assert.equal(socketFailure(errno('ECONNRESET', 'socket hang up'), true).kind, 'unavailable');
    const agg = new AggregateError([errno('ECONNREFUSED', 'connect ECONNREFUSED ::1:2379')], '');
    assert.equal(socketFailure(agg, false).kind, 'not-connected');
  });

  it('TLS failures keep the OpenSSL reason and explain a rejected client certificate', () => {
    const e = socketFailure(
      errno(
        'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
        'C0:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../deps/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 116',
      ),
      true,
    );
    assert.equal(e.kind, 'tls');
    assert.equal(
      e.message,
      'tlsv13 alert certificate required (etcd rejected the client certificate, or none was sent)',
    );
    assert.equal(
      socketFailure(errno('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), true)
        .kind,
      'tls',
    );
  });

  it('reads the gateway’s grpc statuses', () => {
    const body = (code: number, msg: string) => JSON.stringify({ error: msg, message: msg, code });
    assert.equal(gatewayFailure(401, body(16, 'etcdserver: invalid auth token'), false).kind, 'token');
    assert.equal(gatewayFailure(400, body(3, 'etcdserver: auth revision is old'), false).kind, 'token');
    assert.equal(gatewayFailure(400, body(3, 'etcdserver: user name is empty'), false).kind, 'auth');
    assert.equal(
      gatewayFailure(400, body(3, 'etcdserver: authentication failed, invalid user ID or password'), false)
        .kind,
      'auth',
    );
    assert.equal(gatewayFailure(403, body(7, 'etcdserver: permission denied'), false).kind, 'auth');
    assert.equal(gatewayFailure(503, body(14, 'etcdserver: no leader'), false).kind, 'unavailable');
    assert.equal(gatewayFailure(504, body(4, 'etcdserver: request timed out'), false).kind, 'unavailable');
    assert.equal(
      gatewayFailure(400, body(11, 'etcdserver: mvcc: required revision has been compacted'), false).kind,
      'other',
    );
    // The gateway failing to dial etcd itself over TLS: only on TLS endpoints.
    assert.equal(gatewayFailure(503, body(14, 'connection closed'), true).kind, 'gateway');
    assert.equal(gatewayFailure(503, body(14, 'connection closed'), false).kind, 'unavailable');
    const other = gatewayFailure(404, '404 page not found\n', false);
    assert.equal(other.kind, 'protocol');
    assert.match(other.message, /^HTTP 404: 404 page not found \(is this etcd 3\.4 or later/);
  });

  it('words errors as the gRPC backend does', () => {
    const where = 'http://127.0.0.1:1,http://127.0.0.1:2';
    const t = timeoutError(
      where,
      1500,
      'get /x',
      'connect',
      socketFailure(errno('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'), false),
    );
    assert.equal(t.code, 'DATASTORE_TIMEOUT');
    assert.equal(
      t.message,
      `could not connect to etcd at ${where} within 1500 ms (get /x): connect ECONNREFUSED 127.0.0.1:1`,
    );
    assert.equal(
      timeoutError(where, 1500, 'get /x', 'answer').message,
      `timed out after 1500 ms waiting for etcd at ${where} to answer (get /x)`,
    );
    const u = datastoreError(where, 'put /x', socketFailure(errno('ECONNRESET', 'socket hang up'), true));
    assert.equal(u.code, 'DATASTORE');
    assert.match(
      u.message,
      /became unavailable during put \/x: socket hang up \(a write may or may not have been applied\)$/,
    );
  });
});

describe('etcd-http load cost', () => {
  it('imports only node: built-ins and project modules (no npm package, no gRPC)', () => {
    const root = resolve(
      dirname(fileURLToPath(import.meta.url)),
      '../../../src/datastore/etcd-http/etcd-http-backend.js',
    );
    const seen = new Set<string>();
    const bare: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, 'utf8');
      // Compiled ESM: the static imports (type-only ones are gone) are what loading costs.
      for (const m of src.matchAll(
        /(?:^|\n)(?:import|export)\s[^'";]*?from\s+'([^']+)'|(?:^|\n)import\s+'([^']+)'/g,
      )) {
        const spec = m[1] ?? m[2];
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
        else if (!spec.startsWith('node:')) bare.push(`${spec} (from ${file})`);
      }
    };
    visit(root);
    assert.deepEqual(bare, []);
    assert.ok(seen.size >= 5, [...seen].join());
  });
});
