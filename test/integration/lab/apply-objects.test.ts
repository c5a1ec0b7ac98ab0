/**
 * The pieces of `calico-lab apply` that need no lab: reading manifests (multi-document YAML,
 * JSON, Lists; every bad document reported at once) and writing converted objects to a real etcd
 * with kubectl's created / unchanged / configured verdicts, knp.default.* names included.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Resource } from '../../../src/api/index.js';
import { ensureInitialized, type Client } from '../../../src/client/index.js';
import { convertNamespace, convertNetworkPolicy } from '../../../src/k8s/index.js';
import { upsert } from '../../../src/lab/apply.js';
import { openClient } from '../../../src/lab/cluster-config.js';
import { LabError } from '../../../src/lab/lab-error.js';
import { parseManifest, type ManifestObject } from '../../../src/lab/manifest.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { assertNoLeaks } from '../../helpers/leaks.js';

const YAML = `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: { team: a }
---
apiVersion: v1
kind: Pod
metadata:
  name: cart
  namespace: shop
  labels: { app: cart }
spec:
  nodeName: 2
  containers:
    - ports:
        - containerPort: 81
          protocol: UDP
        - containerPort: 80
          name: http
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ServiceAccount
    metadata: { name: bot }
  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: { name: deny, namespace: shop }
    spec: { podSelector: {} }
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: { name: outside }
spec: { nets: [198.51.100.0/28] }
`;

function only<K extends ManifestObject['kind']>(objs: ManifestObject[], kind: K) {
  return objs.filter((o): o is Extract<ManifestObject, { kind: K }> => o.kind === kind);
}

describe('calico-lab apply: manifests', () => {
  it('reads Kubernetes and Calico objects from YAML documents and Lists', () => {
    const objs = parseManifest(YAML, 'app.yaml');
    assert.deepEqual(
      objs.map((o) => `${o.kind}/${o.name}`),
      ['Namespace/shop', 'Pod/cart', 'ServiceAccount/bot', 'NetworkPolicy/deny', 'Calico/outside'],
    );
    const [ns] = only(objs, 'Namespace');
    // The API server's label naming the namespace.
    assert.deepEqual(ns.object.metadata.labels, { team: 'a', 'kubernetes.io/metadata.name': 'shop' });
    const [pod] = only(objs, 'Pod');
    assert.equal(pod.namespace, 'shop');
    assert.deepEqual(pod.pod, {
      nodeName: '2',
      serviceAccount: 'default',
      labels: { app: 'cart' },
      ports: [
        { containerPort: 81, protocol: 'UDP' },
        { name: 'http', containerPort: 80, protocol: 'TCP' },
      ],
      tcp: [80, 81],
      udp: [80, 81],
    });
    assert.equal(only(objs, 'ServiceAccount')[0].namespace, 'default');
    assert.equal(only(objs, 'Calico')[0].resource.kind, 'GlobalNetworkSet');
  });

  it('reads JSON arrays', () => {
    const objs = parseManifest(
      JSON.stringify([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'j' } }]),
      'x.json',
    );
    assert.deepEqual(
      objs.map((o) => o.name),
      ['j'],
    );
  });

  it('reports every bad document at once', () => {
    const bad = `apiVersion: v1
kind: Secret
metadata: { name: s }
---
apiVersion: v1
kind: Pod
metadata: { labels: { a: b } }
---
apiVersion: v1
kind: Pod
metadata: { name: p }
spec: { containers: [{ ports: [{ containerPort: 70000 }] }] }
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: { name: g }
spec: { bogus: 1 }
---
apiVersion: v1
kind: Namespace
metadata: { name: dup }
---
apiVersion: v1
kind: Namespace
metadata: { name: dup }
`;
    assert.throws(
      () => parseManifest(bad, 'bad.yaml'),
      (e: unknown) => {
        assert.ok(e instanceof LabError);
        const lines = e.message.split('\n');
        assert.match(lines[0], /document 1: no matches for kind "Secret" in version "v1"/);
        assert.match(lines[1], /document 2: Pod has no metadata.name/);
        assert.match(
          lines[2],
          /document 3: Pod 'p': spec.containers\[0\].ports\[0\].containerPort must be a port/,
        );
        assert.match(lines[3], /bogus/);
        assert.match(lines[4], /namespace\/dup appears twice/);
        assert.match(e.hint ?? '', /nothing was changed/);
        return true;
      },
    );
    assert.throws(() => parseManifest('\n---\n', 'empty.yaml'), /no objects in empty.yaml/);
    assert.throws(() => parseManifest('a: [', 'broken.yaml'), /broken.yaml, document 1: syntax error/);
  });
});

describe('calico-lab apply: writes', () => {
  let etcd: EtcdHandle;
  let client: Client;

  before(async () => {
    etcd = await startEtcd();
    client = openClient(etcd.endpoints[0]);
    // What the lab's calico-nodes do at start: the default tier among others.
    await ensureInitialized(client, '', '');
  });

  after(async () => {
    await client.close();
    await etcd.stop();
    await assertNoLeaks();
  });

  it('says created, unchanged, configured as kubectl does', async () => {
    const ns = (labels: Record<string, string>) =>
      convertNamespace({ metadata: { name: 'shop', labels } }) as unknown as Resource;
    assert.equal(await upsert(client, ns({ team: 'a' })), 'created');
    assert.equal(await upsert(client, ns({ team: 'a' })), 'unchanged');
    assert.equal(await upsert(client, ns({ team: 'b' })), 'configured');
    const stored = await client.get('Profile', 'kns.shop');
    assert.equal((stored.spec as { labelsToApply: Record<string, string> }).labelsToApply['pcns.team'], 'b');
  });

  it('writes converted Kubernetes policies under their knp.default. names', async () => {
    const np = convertNetworkPolicy({
      metadata: { name: 'deny', namespace: 'shop' },
      spec: { podSelector: {} },
    }) as unknown as Resource;
    assert.equal(np.metadata.name, 'knp.default.deny');
    assert.equal(await upsert(client, np), 'created');
    assert.equal(await upsert(client, np), 'unchanged');
    const stored = await client.get('NetworkPolicy', 'knp.default.deny', 'shop');
    assert.deepEqual((stored.spec as { types: string[] }).types, ['Ingress']);
  });
});
