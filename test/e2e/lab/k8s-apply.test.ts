/**
 * calico-lab as a small Kubernetes: `apply -f` of Namespaces, a ServiceAccount, Pods, a
 * NetworkPolicy and a Calico GlobalNetworkSet on a 2-host lab; what lands in etcd (endpoints with
 * the pods' labels and profiles, kns./ksa. profiles, the knp.default.* policy), `get pod -o json`,
 * probes and the matrix against the pods' servers, and `delete -f` taking it all away again.
 * Felix enforces the policy (back/db takes TCP 80 from namespaces labelled tier=front only); the
 * expectations follow it, but these tests are about the mechanics: the policy tests are in
 * test/e2e/policy/.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LAB_ROOT } from '../../../src/lab/names.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { assertLabGone, labNamespaces, labSkip, mustLab, runLab } from './lab-cli.js';

const LAB = 'lkapply';
const N = ['--name', LAB];
const skip = labSkip(['go']);

const MANIFEST = `
apiVersion: v1
kind: Namespace
metadata:
  name: front
  labels:
    tier: front
---
apiVersion: v1
kind: Namespace
metadata:
  name: back
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: api
  namespace: front
  labels:
    role: api
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: front
  labels:
    app: web
spec:
  nodeName: "1"
  serviceAccountName: api
  containers:
    - name: main
      ports:
        - containerPort: 80
          name: http
        - containerPort: 81
          protocol: UDP
---
apiVersion: v1
kind: Pod
metadata:
  name: db
  namespace: back
  labels:
    app: db
spec:
  nodeName: ${LAB}-h2
  containers:
    - name: main
      ports:
        - containerPort: 80
        - containerPort: 81
          name: metrics
---
apiVersion: v1
kind: Pod
metadata:
  name: cache
  namespace: back
  labels:
    app: cache
spec:
  containers:
    - name: main
      ports:
        - containerPort: 80
        - containerPort: 81
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-from-front
  namespace: back
spec:
  podSelector:
    matchLabels:
      app: db
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              tier: front
      ports:
        - port: 80
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata:
  name: outside
  labels:
    zone: outside
spec:
  nets:
    - 198.51.100.200/32
`;

/** Six more pods (in a namespace nobody defines) for the 9-pod matrix. */
const EXTRA = [1, 2, 3, 4, 5, 6]
  .map(
    (i) => `apiVersion: v1
kind: Pod
metadata:
  name: x${i}
  namespace: extra
  labels:
    app: x
spec:
  containers:
    - name: main
      ports:
        - containerPort: 80
`,
  )
  .join('---\n');

interface Obj {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

async function calicoctl(...args: string[]): Promise<Obj[]> {
  const out = await mustLab(['exec', '1', ...N, '--', 'calicoctl', ...args, '-o', 'json']);
  const parsed = JSON.parse(out) as Obj & { items?: Obj[] };
  return parsed.items ?? [parsed];
}

interface LabPod {
  name: string;
  ip?: string;
  netns: string;
  k8s?: { serverPid?: number };
}

function statePods(): LabPod[] {
  return (JSON.parse(readFileSync(`${LAB_ROOT}/${LAB}/state.json`, 'utf8')) as { pods: LabPod[] }).pods;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

describe('calico-lab: Kubernetes objects (apply, get, probe, matrix, delete)', { skip }, () => {
  let dir = '';
  let file = '';
  let extra = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lk-apply-'));
    file = join(dir, 'app.yaml');
    extra = join(dir, 'extra.yaml');
    writeFileSync(file, MANIFEST);
    writeFileSync(extra, EXTRA);
    await mustLab(['up', ...N, '--nodes', '2']);
  });

  after(async () => {
    await runLab(['down', ...N]);
    rmSync(dir, { recursive: true, force: true });
    assertLabGone(LAB);
    await assertNoLeaks();
  });

  it('refuses bad input with exit 1 and a reason, creating nothing', async () => {
    const bad = join(dir, 'bad.yaml');
    const cases: [string, RegExp][] = [
      [
        `${MANIFEST}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n`,
        /no matches for kind "ConfigMap" in version "v1"/,
      ],
      [
        `${MANIFEST}---\napiVersion: v1\nkind: Pod\nmetadata:\n  namespace: front\n`,
        /document 9: Pod has no metadata.name/,
      ],
      [
        `${MANIFEST}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  serviceAccountName: ghost\n`,
        /serviceaccount "ghost" not found/,
      ],
    ];
    for (const [text, msg] of cases) {
      writeFileSync(bad, text);
      const r = await runLab(['apply', '-f', bad, ...N]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, msg);
      assert.match(r.stderr, /nothing was changed/);
      assert.equal(r.stdout, '');
    }
    const missing = await runLab(['apply', '-f', join(dir, 'nope.yaml'), ...N]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.yaml does not exist/);
    assert.match(await mustLab(['get', 'pods', ...N]), /No resources found/);
    const profiles = (await calicoctl('get', 'profiles')).map((p) => p.metadata.name);
    assert.deepEqual(
      profiles.filter((p) => p.startsWith('kns.') || p.startsWith('ksa.')),
      [],
    );
    assert.deepEqual(
      labNamespaces(LAB).filter((n) => n.includes('-k-')),
      [],
    );
  });

  it('apply creates profiles, the converted policy, the network set and the pods', async () => {
    const out = await mustLab(['apply', '-f', file, ...N]);
    for (const line of [
      'namespace/front created',
      'namespace/back created',
      'serviceaccount/api created',
      'globalnetworkset.projectcalico.org/outside created',
      'networkpolicy.networking.k8s.io/db-from-front created',
    ]) {
      assert.ok(out.includes(`${line}\n`), `${line} missing in:\n${out}`);
    }
    assert.match(out, new RegExp(`pod/web created \\(203\\.0\\.113\\.\\d+ on ${LAB}-h1\\)`));
    assert.match(out, new RegExp(`pod/db created \\(203\\.0\\.113\\.\\d+ on ${LAB}-h2\\)`));
    assert.match(out, /pod\/cache created/);

    const profiles = new Map((await calicoctl('get', 'profiles')).map((p) => [p.metadata.name, p]));
    assert.deepEqual(profiles.get('kns.front')?.spec?.labelsToApply, {
      'pcns.kubernetes.io/metadata.name': 'front',
      'pcns.projectcalico.org/name': 'front',
      'pcns.tier': 'front',
    });
    assert.ok(profiles.has('kns.back'));
    assert.deepEqual(profiles.get('ksa.front.api')?.spec?.labelsToApply, {
      'pcsa.projectcalico.org/name': 'api',
      'pcsa.role': 'api',
    });
    assert.ok(profiles.has('ksa.front.default') && profiles.has('ksa.back.default'));

    const weps = new Map((await calicoctl('get', 'workloadendpoints', '-A')).map((w) => [w.spec?.pod, w]));
    const web = weps.get('web')!;
    assert.equal(web.metadata.namespace, 'front');
    assert.equal(web.metadata.name, `${LAB}--h1-k8s-web-eth0`);
    assert.deepEqual(web.metadata.labels, {
      app: 'web',
      'projectcalico.org/namespace': 'front',
      'projectcalico.org/orchestrator': 'k8s',
      'projectcalico.org/serviceaccount': 'api',
    });
    assert.deepEqual(web.spec?.profiles, ['kns.front', 'ksa.front.api']);
    assert.equal(web.spec?.serviceAccountName, 'api');
    assert.equal(web.spec?.orchestrator, 'k8s');
    assert.deepEqual(web.spec?.ports, [{ name: 'http', protocol: 'TCP', port: 80 }]);
    const db = weps.get('db')!;
    assert.equal(db.spec?.node, `${LAB}-h2`);
    assert.deepEqual(db.spec?.profiles, ['kns.back', 'ksa.back.default']);
    assert.deepEqual(db.spec?.ports, [{ name: 'metrics', protocol: 'TCP', port: 81 }]);
    assert.equal(weps.get('cache')?.metadata.labels?.app, 'cache');

    const [policy] = await calicoctl('get', 'networkpolicy', 'knp.default.db-from-front', '-n', 'back');
    assert.equal(policy.spec?.selector, "projectcalico.org/orchestrator == 'k8s' && app == 'db'");
    assert.deepEqual(policy.spec?.types, ['Ingress']);
    const [set] = await calicoctl('get', 'globalnetworkset', 'outside');
    assert.deepEqual(set.spec?.nets, ['198.51.100.200/32']);
  });

  it('get pods and get pod -o json look like kubectl', async () => {
    const table = await mustLab(['get', 'pods', ...N]);
    assert.match(table, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+IP\s+NODE\n/);
    assert.match(table, new RegExp(`back\\s+db\\s+1/1\\s+Running\\s+203\\.0\\.113\\.\\d+\\s+${LAB}-h2`));
    const pod = JSON.parse(await mustLab(['get', 'pod', 'front/web', '-o', 'json', ...N])) as Obj & {
      apiVersion: string;
      kind: string;
    };
    assert.equal(pod.apiVersion, 'v1');
    assert.equal(pod.kind, 'Pod');
    assert.equal(pod.metadata.namespace, 'front');
    assert.deepEqual(pod.metadata.labels, { app: 'web' });
    assert.equal(pod.spec?.nodeName, `${LAB}-h1`);
    assert.equal(pod.status?.phase, 'Running');
    const ip = statePods().find((p) => p.name === 'front/web')?.ip;
    assert.equal(pod.status?.podIP, ip);
    const missing = await runLab(['get', 'pod', 'front/nope', '-o', 'json', ...N]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /pods "front\/nope" not found/);
  });

  it('probe exits 0 when connected (TCP and UDP) and 1 when not', async () => {
    const ok = await runLab(['probe', 'front/web', 'back/db', '--port', '80', ...N]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^connected: front\/web -> back\/db \(203\.0\.113\.\d+:80\/tcp\)/);
    const udp = await runLab(['probe', 'back/db', 'front/web', '--port', '81', '--protocol', 'udp', ...N]);
    assert.equal(udp.code, 0, udp.stdout + udp.stderr);
    const ip = statePods().find((p) => p.name === 'back/cache')!.ip!;
    const byIp = await runLab(['probe', 'front/web', ip, '--port', '81', ...N]);
    assert.equal(byIp.code, 0, byIp.stdout + byIp.stderr);
    for (const proto of ['tcp', 'udp']) {
      // back/cache has no policy: an unserved port is refused there (db's policy would drop it).
      const closed = await runLab([
        'probe',
        'front/web',
        'back/cache',
        '--port',
        '8080',
        '--protocol',
        proto,
        ...N,
      ]);
      assert.equal(closed.code, 1, closed.stdout + closed.stderr);
      assert.match(closed.stdout, /^not connected: .*connection refused/);
    }
  });

  it('re-apply: unchanged, and a label change updates the endpoint without recreating the pod', async () => {
    const before = statePods().find((p) => p.name === 'front/web')!;
    const same = await mustLab(['apply', '-f', file, ...N]);
    assert.match(same, /^pod\/web unchanged$/m);
    assert.match(same, /^namespace\/front unchanged$/m);
    assert.match(same, /^networkpolicy\.networking\.k8s\.io\/db-from-front unchanged$/m);
    const relabelled = join(dir, 'relabelled.yaml');
    writeFileSync(relabelled, MANIFEST.replace('app: web', 'app: web2').replace('tier: front', 'tier: edge'));
    const out = await mustLab(['apply', '-f', relabelled, ...N]);
    assert.match(out, /^pod\/web configured$/m);
    assert.match(out, /^namespace\/front configured$/m);
    assert.match(out, /^pod\/db unchanged$/m);
    const after = statePods().find((p) => p.name === 'front/web')!;
    assert.equal(after.ip, before.ip);
    assert.equal(after.k8s?.serverPid, before.k8s?.serverPid);
    const [wep] = await calicoctl('get', 'workloadendpoint', `${LAB}--h1-k8s-web-eth0`, '-n', 'front');
    assert.equal(wep.metadata.labels?.app, 'web2');
    const [ns] = await calicoctl('get', 'profile', 'kns.front');
    assert.equal((ns.spec?.labelsToApply as Record<string, string>)['pcns.tier'], 'edge');
    // Changing anything but labels is refused, as the API server refuses it.
    const moved = join(dir, 'moved.yaml');
    writeFileSync(moved, MANIFEST.replace('nodeName: "1"', 'nodeName: "2"'));
    const r = await runLab(['apply', '-f', moved, ...N]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pod\/web: pod updates may not change fields other than labels/);
    await mustLab(['apply', '-f', file, ...N]);
  });

  it('matrix probes 9 pods to 9 pods in under 5 s', async () => {
    const out = await mustLab(['apply', '-f', extra, ...N]);
    assert.match(out, /^namespace\/extra created \(implicitly/m);
    assert.equal(out.match(/^pod\/x\d created/gm)?.length, 6);
    const start = Date.now();
    const r = await runLab(['matrix', '--port', '80', '--json', ...N]);
    const ms = Date.now() - start;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(ms < 5000, `matrix took ${ms} ms`);
    const m = JSON.parse(r.stdout) as Record<string, Record<string, boolean>>;
    const pods = ['back/cache', 'back/db', ...[1, 2, 3, 4, 5, 6].map((i) => `extra/x${i}`), 'front/web'];
    assert.deepEqual(Object.keys(m).sort(), pods);
    for (const from of pods) {
      assert.deepEqual(Object.keys(m[from]).sort(), pods);
      for (const to of pods) {
        // db admits TCP 80 only from namespaces labelled tier=front (a pod always reaches itself).
        const want = to !== 'back/db' || from === 'front/web' || from === to;
        assert.equal(m[from][to], want, `${from} -> ${to}`);
      }
    }
    const udp = await mustLab(['matrix', '--port', '81', '--protocol', 'udp', ...N]);
    const lines = udp.trimEnd().split('\n');
    assert.equal(lines.length, 10);
    assert.match(lines[0], /^-\s+back\/cache\s+back\/db/);
    // x1..x6 serve port 80 only: UDP 81 is refused there; db's policy admits TCP 80 only.
    assert.match(
      lines.find((l) => l.startsWith('front/web'))!,
      /^front\/web\s+\.\s+X\s+X\s+X\s+X\s+X\s+X\s+X\s+\.$/,
    );
    const deleted = await mustLab(['delete', '-f', extra, ...N]);
    assert.equal(deleted.match(/^pod "x\d" deleted$/gm)?.length, 6);
  });

  it('delete -f removes pods, servers, addresses, policy, profiles and namespaces', async () => {
    const pods = statePods().filter((p) => p.k8s);
    assert.equal(pods.length, 3);
    const pids = pods.map((p) => p.k8s!.serverPid!);
    assert.ok(pids.every(alive), 'servers run before delete');
    const out = await mustLab(['delete', '-f', file, ...N]);
    for (const line of [
      'pod "web" deleted',
      'pod "db" deleted',
      'pod "cache" deleted',
      'networkpolicy.networking.k8s.io "db-from-front" deleted',
      'globalnetworkset.projectcalico.org "outside" deleted',
      'serviceaccount "api" deleted',
      'namespace "front" deleted',
      'namespace "back" deleted',
    ]) {
      assert.ok(out.includes(`${line}\n`), `${line} missing in:\n${out}`);
    }
    assert.deepEqual(pids.filter(alive), [], 'servers stopped');
    assert.deepEqual(statePods(), []);
    assert.deepEqual(
      labNamespaces(LAB).filter((n) => n.includes('-k-')),
      [],
    );
    assert.deepEqual(await calicoctl('get', 'workloadendpoints', '-A'), []);
    assert.deepEqual(await calicoctl('get', 'networkpolicy', '-A'), []);
    assert.deepEqual(await calicoctl('get', 'globalnetworksets'), []);
    // The implicitly created namespace `extra` stays (nothing deleted it), as in Kubernetes.
    const profiles = (await calicoctl('get', 'profiles')).map((p) => p.metadata.name);
    assert.deepEqual(
      profiles.filter((p) => p.startsWith('kns.') || p.startsWith('ksa.')),
      ['kns.extra', 'ksa.extra.default'],
    );
    const ipam = await mustLab(['exec', '1', ...N, '--', 'calicoctl', 'ipam', 'show']);
    assert.match(ipam, /\| IP Pool\s+\| 203\.0\.113\.0\/24 \|\s+256 \|\s+0 \(0%\)/);
    // Deleting again: NotFound for each, exit 1.
    const again = await runLab(['delete', '-f', file, ...N]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Error from server \(NotFound\): pods "web" not found/);
    assert.match(again.stderr, /Error from server \(NotFound\): namespaces "front" not found/);
  });

  it('plain pods still work beside Kubernetes ones', async () => {
    await mustLab(['apply', '-f', file, ...N]);
    await mustLab(['pod', 'add', 'plain', ...N]);
    const r = await runLab(['probe', 'plain', 'back/cache', '--port', '80', ...N]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // db's policy admits only namespaces labelled tier=front; a plain pod is in none.
    const denied = await runLab(['probe', 'plain', 'back/db', '--port', '80', ...N]);
    assert.equal(denied.code, 1, denied.stdout + denied.stderr);
    const del = await runLab(['pod', 'del', 'front/web', ...N]);
    assert.equal(del.code, 1);
    assert.match(del.stderr, /is a Kubernetes pod/);
    await mustLab(['pod', 'del', 'plain', ...N]);
    // Left for `down`: the servers are the lab's processes and go with it.
  });
});
