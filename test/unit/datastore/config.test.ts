import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createBackend, loadDatastoreConfig, parseEndpoints } from '../../../src/datastore/config.js';
import { FallbackEtcdBackend } from '../../../src/datastore/etcd-http/fallback-backend.js';
import { CalicoError } from '../../../src/errors/index.js';

const dir = mkdtempSync(join(tmpdir(), 'calico-ts-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(text: string): string {
  const p = join(dir, `cfg-${++n}.yaml`);
  writeFileSync(p, text);
  return p;
}

const NO_FILE = join(dir, 'does-not-exist.cfg');
/** Environment-only loading: a default-path file that does not exist. */
const fromEnv = (env: NodeJS.ProcessEnv) =>
  loadDatastoreConfig({ configFile: NO_FILE, explicitConfigFile: false, env });

async function configError(p: Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CalicoError, String(e));
    assert.equal(e.code, 'CONFIG');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('loadDatastoreConfig: config file', () => {
  it('reads a YAML CalicoAPIConfig', async () => {
    const p = file(`apiVersion: projectcalico.org/v3
kind: CalicoAPIConfig
metadata: {}
spec:
  datastoreType: etcdv3
  etcdEndpoints: https://10.0.0.1:2379, https://10.0.0.2:2379
  etcdKeyFile: /k
  etcdCertFile: /c
  etcdCACertFile: /ca
  etcdUsername: u
  etcdPassword: p
`);
    const cfg = await loadDatastoreConfig({ configFile: p, env: { ETCD_ENDPOINTS: 'http://ignored:1' } });
    assert.deepEqual(cfg, {
      datastoreType: 'etcdv3',
      etcdEndpoints: ['https://10.0.0.1:2379', 'https://10.0.0.2:2379'],
      etcdKeyFile: '/k',
      etcdCertFile: '/c',
      etcdCACertFile: '/ca',
      etcdUsername: 'u',
      etcdPassword: 'p',
      source: { kind: 'file', path: p },
    });
  });

  it('reads JSON, and defaults the datastore type to etcdv3 when endpoints are set', async () => {
    const p = file(
      JSON.stringify({
        apiVersion: 'projectcalico.org/v3',
        kind: 'CalicoAPIConfig',
        spec: { etcdEndpoints: 'http://127.0.0.1:2379' },
      }),
    );
    const cfg = await loadDatastoreConfig({ configFile: p });
    assert.deepEqual(cfg.etcdEndpoints, ['http://127.0.0.1:2379']);
  });

  it('a file is the only source: the environment is not merged in', async () => {
    const p = file(
      'apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  etcdEndpoints: http://a:1\n',
    );
    const cfg = await loadDatastoreConfig({ configFile: p, env: { ETCD_USERNAME: 'env-user' } });
    assert.equal(cfg.etcdUsername, undefined);
  });

  it('an explicit missing file is an error; a missing default file falls back to the environment', async () => {
    await configError(
      loadDatastoreConfig({ configFile: NO_FILE, explicitConfigFile: true }),
      `Error reading config file: ${NO_FILE}`,
    );
    await configError(
      loadDatastoreConfig({ configFile: NO_FILE, env: {} }),
      `Error reading config file: ${NO_FILE}`,
    );
    const cfg = await fromEnv({ ETCD_ENDPOINTS: 'http://e:2379' });
    assert.deepEqual(cfg.source, { kind: 'environment' });
  });

  it('rejects a wrong apiVersion or kind with Calico’s messages', async () => {
    const v = file('apiVersion: projectcalico.org/v1\nkind: CalicoAPIConfig\n');
    await configError(
      loadDatastoreConfig({ configFile: v }),
      `syntax error in ${v}: invalid config file: unknown APIVersion 'projectcalico.org/v1'`,
    );
    const k = file('apiVersion: projectcalico.org/v3\nkind: IPPool\n');
    await configError(
      loadDatastoreConfig({ configFile: k }),
      `syntax error in ${k}: invalid config file: expected kind 'CalicoAPIConfig', got 'IPPool'`,
    );
    const empty = file('');
    await configError(loadDatastoreConfig({ configFile: empty }), /unknown APIVersion ''$/);
  });

  it('is strict: unknown fields and wrong types are rejected', async () => {
    const u = file(
      'apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  etcdEndpoint: http://a:1\n',
    );
    await configError(
      loadDatastoreConfig({ configFile: u }),
      `syntax error in ${u}: failed to parse config as YAML/JSON: error unmarshaling JSON: while decoding JSON: json: unknown field "etcdEndpoint"`,
    );
    const top = file('apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nextra: 1\n');
    await configError(loadDatastoreConfig({ configFile: top }), /unknown field "extra"$/);
    const t = file(
      'apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  etcdEndpoints: [a, b]\n',
    );
    await configError(
      loadDatastoreConfig({ configFile: t }),
      /cannot unmarshal array into .*etcdEndpoints of type string$/,
    );
    const bad = file('apiVersion: projectcalico.org/v3\nkind: [\n');
    await configError(
      loadDatastoreConfig({ configFile: bad }),
      new RegExp(`^syntax error in ${bad}: failed to parse config as YAML/JSON: `),
    );
  });

  it('accepts the kubernetes fields but refuses the kubernetes datastore', async () => {
    const p = file(`apiVersion: projectcalico.org/v3
kind: CalicoAPIConfig
spec:
  datastoreType: kubernetes
  kubeconfig: /root/.kube/config
  k8sInsecureSkipTLSVerify: true
`);
    await configError(loadDatastoreConfig({ configFile: p }), /calico-ts supports only the etcdv3 datastore/);
  });

  it('rejects inline PEM mixed with certificate files', async () => {
    const p = file(`apiVersion: projectcalico.org/v3
kind: CalicoAPIConfig
spec:
  etcdEndpoints: https://a:2379
  etcdCACert: "-----BEGIN CERTIFICATE-----"
  etcdCertFile: /c
`);
    await configError(
      loadDatastoreConfig({ configFile: p }),
      'Cannot mix inline certificate-key and certificate / key files',
    );
  });
});

describe('loadDatastoreConfig: environment', () => {
  it('reads the etcd variables', async () => {
    const cfg = await fromEnv({
      DATASTORE_TYPE: 'etcdv3',
      ETCD_ENDPOINTS: 'http://127.0.0.1:2379,127.0.0.1:22379',
      ETCD_KEY_FILE: '/k',
      ETCD_CERT_FILE: '/c',
      ETCD_CA_CERT_FILE: '/ca',
      ETCD_USERNAME: 'u',
      ETCD_PASSWORD: 'p',
    });
    assert.deepEqual(cfg, {
      datastoreType: 'etcdv3',
      etcdEndpoints: ['http://127.0.0.1:2379', 'http://127.0.0.1:22379'],
      etcdKeyFile: '/k',
      etcdCertFile: '/c',
      etcdCACertFile: '/ca',
      etcdUsername: 'u',
      etcdPassword: 'p',
      source: { kind: 'environment' },
    });
  });

  it('CALICO_-prefixed names win over bare ones', async () => {
    const cfg = await fromEnv({
      ETCD_ENDPOINTS: 'http://bare:2379',
      CALICO_ETCD_ENDPOINTS: 'http://prefixed:2379',
      ETCD_USERNAME: 'bare',
      CALICO_ETCD_USERNAME: 'prefixed',
      ETCD_PASSWORD: 'only-bare',
    });
    assert.deepEqual(cfg.etcdEndpoints, ['http://prefixed:2379']);
    assert.equal(cfg.etcdUsername, 'prefixed');
    assert.equal(cfg.etcdPassword, 'only-bare');
  });

  it('no endpoints → "no etcd endpoints specified"', async () => {
    await configError(fromEnv({}), 'no etcd endpoints specified');
    await configError(
      fromEnv({ DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: ' , ' }),
      'no etcd endpoints specified',
    );
  });

  it('kubernetes (explicit, or implied by KUBECONFIG without endpoints) is refused clearly', async () => {
    await configError(
      fromEnv({ DATASTORE_TYPE: 'kubernetes' }),
      /'kubernetes' \(from environment\) is not supported/,
    );
    await configError(
      fromEnv({ CALICO_DATASTORE_TYPE: 'kubernetes', DATASTORE_TYPE: 'etcdv3' }),
      /not supported/,
    );
    await configError(fromEnv({ KUBECONFIG: '/root/.kube/config' }), /supports only the etcdv3 datastore/);
    await configError(
      fromEnv({ DATASTORE_TYPE: 'consul', ETCD_ENDPOINTS: 'http://a:1' }),
      'Unknown datastore type: consul',
    );
  });

  it('endpoints and SRV discovery together are refused', async () => {
    await configError(
      fromEnv({ ETCD_ENDPOINTS: 'http://a:1', ETCD_DISCOVERY_SRV: 'example.com' }),
      'multiple discovery or bootstrap options specified, use either "etcdEndpoints" or "etcdDiscoverySrv"',
    );
  });

  it('SRV discovery builds endpoints from _etcd-client-ssl and _etcd-client records', async () => {
    const asked: string[] = [];
    const cfg = await loadDatastoreConfig({
      configFile: NO_FILE,
      explicitConfigFile: false,
      env: { DATASTORE_TYPE: 'etcdv3', ETCD_DISCOVERY_SRV: 'example.com' },
      resolveSrv: async (name) => {
        asked.push(name);
        if (name.startsWith('_etcd-client-ssl.')) throw new Error('queryNotFound');
        return [{ name: 'etcd1.example.com.', port: 2379 }];
      },
    });
    assert.deepEqual(asked, ['_etcd-client-ssl._tcp.example.com', '_etcd-client._tcp.example.com']);
    assert.deepEqual(cfg.etcdEndpoints, ['http://etcd1.example.com:2379']);
    assert.equal(cfg.etcdDiscoverySrv, 'example.com');
    await configError(
      loadDatastoreConfig({
        configFile: NO_FILE,
        explicitConfigFile: false,
        env: { ETCD_DISCOVERY_SRV: 'example.com' },
        resolveSrv: async () => {
          throw new Error('queryNotFound');
        },
      }),
      /^failed to discover etcd endpoints through SRV discovery/,
    );
  });
});

describe('parseEndpoints', () => {
  it('normalises, and rejects mixed or odd schemes', () => {
    assert.deepEqual(parseEndpoints(' https://a:2379/ ,https://b:2379'), [
      'https://a:2379',
      'https://b:2379',
    ]);
    assert.deepEqual(parseEndpoints('10.0.0.1:2379'), ['http://10.0.0.1:2379']);
    assert.throws(() => parseEndpoints('http://a:1,https://b:2'), /mix http and https/);
    assert.deepEqual(parseEndpoints('unix:///var/run/etcd.sock:2379'), ['unix:///var/run/etcd.sock:2379']);
    assert.throws(() => parseEndpoints('ftp://a:1'), /scheme must be http, https or unix/);
  });
});

describe('createBackend', () => {
  it('builds the HTTP-first etcd backend and reports unreadable TLS files clearly', async () => {
    const b = createBackend({
      datastoreType: 'etcdv3',
      etcdEndpoints: ['http://127.0.0.1:1'],
      source: { kind: 'environment' },
    });
    assert.ok(b instanceof FallbackEtcdBackend);
    await b.close();
    assert.throws(
      () =>
        createBackend({
          datastoreType: 'etcdv3',
          etcdEndpoints: ['https://127.0.0.1:1'],
          etcdCACertFile: NO_FILE,
          source: { kind: 'environment' },
        }),
      (e: unknown) =>
        e instanceof CalicoError &&
        e.code === 'CONFIG' &&
        e.message.includes(`CA certificate file ${NO_FILE}: ENOENT`),
    );
  });
});
