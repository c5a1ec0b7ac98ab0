import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { ctl, ctlBin } from '../../helpers/ctl.js';

const POOL =
  'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: tls-pool\nspec:\n  cidr: 10.77.0.0/16\n';

describe('calicoctl datastore settings: TLS etcd via env, config file, CALICO_ prefix', () => {
  let etcd: EtcdHandle;
  let dir: string;

  before(async () => {
    etcd = await startEtcd({ tls: true });
    dir = await mkdtemp(join(tmpdir(), 'calicoctl-cfg-'));
  });
  after(async () => {
    await etcd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    await assertNoLeaks();
  });

  it('talks to a TLS etcd with client certificates from ETCD_* variables', async () => {
    const r = await ctl(etcd.env(), ['apply', '-f', '-'], POOL);
    assert.equal(r.code, 0, r.stderr);
    const got = await ctl(etcd.env(), ['get', 'ippool', 'tls-pool', '-o', 'json']);
    assert.equal(JSON.parse(got.stdout).spec.cidr, '10.77.0.0/16');
  });

  it('without the client certificate the error says so, quickly', async () => {
    const env = { ...etcd.env() };
    delete env.ETCD_CERT_FILE;
    delete env.ETCD_KEY_FILE;
    const t0 = Date.now();
    const r = await ctl(env, ['get', 'ippools']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /etcd|certificate|TLS|tls/);
    assert.ok(Date.now() - t0 < 12_000);
  });

  it('CALICO_-prefixed variables win over plain ones', async () => {
    const env = {
      ...etcd.env(),
      ETCD_ENDPOINTS: 'https://127.0.0.1:9',
      CALICO_ETCD_ENDPOINTS: etcd.endpoints.join(','),
    };
    const r = await ctl(env, ['get', 'ippool', 'tls-pool', '-o', 'yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cidr: 10\.77\.0\.0\/16/);
  });

  it('-c FILE (CalicoAPIConfig) is the only source when given; a missing explicit file is an error', async () => {
    const cfg = join(dir, 'calicoctl.cfg');
    const tls = etcd.tls!;
    await writeFile(
      cfg,
      `apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: ${etcd.endpoints.join(',')}\n  etcdCACertFile: ${tls.caFile}\n  etcdCertFile: ${tls.certFile}\n  etcdKeyFile: ${tls.keyFile}\n`,
    );
    // The environment points nowhere: only the file can make this work.
    let r = await ctlBin({ ETCD_ENDPOINTS: 'https://127.0.0.1:9' }, ['get', 'ippools', '-c', cfg]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /tls-pool/);
    r = await ctlBin({}, ['get', 'ippools', '-c', join(dir, 'nope.cfg')]);
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, /Error reading config file: .*nope\.cfg/);
  });
});
