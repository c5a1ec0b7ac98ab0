/**
 * EtcdBackend (gRPC) against a real etcd: the fault behaviour both etcd backends share (see
 * etcd-fault-suite.ts), then what is this backend's own: config loading over TLS, and a clean
 * process exit after close().
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createBackend, loadDatastoreConfig } from '../../../src/datastore/config.js';
import { EtcdBackend } from '../../../src/datastore/etcd/etcd-backend.js';
import { runNodeScript, track, useEtcd } from '../../helpers/etcd-fault-helpers.js';
import { etcdFaultSuite } from '../../helpers/etcd-fault-suite.js';

etcdFaultSuite({
  name: 'etcd',
  make: (opts) => new EtcdBackend(opts),
});

describe('etcd over TLS: from the datastore config', () => {
  const etcd = useEtcd({ tls: true });

  it('connects through loadDatastoreConfig + createBackend from the environment (file paths)', async () => {
    const cfg = await loadDatastoreConfig({
      configFile: join(etcd().dataDir, 'none.cfg'),
      explicitConfigFile: false,
      env: etcd().env(),
    });
    const b = track(createBackend(cfg));
    await b.put('/tls/env', 'from env');
    assert.equal((await b.get('/tls/env'))?.value, 'from env');
  });

  it('connects through a config file with inline PEM', async () => {
    const tls = etcd().tls!;
    const indent = (pem: string) => pem.trim().split('\n').join('\n    ');
    const path = join(etcd().dataDir, '..', 'calicoctl.cfg');
    writeFileSync(
      path,
      `apiVersion: projectcalico.org/v3
kind: CalicoAPIConfig
metadata: {}
spec:
  datastoreType: etcdv3
  etcdEndpoints: ${etcd().clientUrl}
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

describe('etcd lifecycle', () => {
  const etcd = useEtcd();

  it('a process using the backend (with an open watch) exits by itself after close()', async () => {
    const mod = new URL('../../../src/datastore/etcd/etcd-backend.js', import.meta.url).href;
    const r = await runNodeScript(`
      const { EtcdBackend } = await import(${JSON.stringify(mod)});
      const b = new EtcdBackend({ endpoints: ${JSON.stringify(etcd().endpoints)} });
      await b.put('/exit/a', '1');
      const w = b.watch('/exit/');
      const it = w[Symbol.asyncIterator]();
      await it.next();
      await b.put('/exit/a', '2');
      await it.next();
      await b.close();
      console.log('closed');
    `);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'closed');
    assert.ok(r.ms < 5000, `child took ${r.ms} ms to exit`);
  });
});
