/**
 * `calico-lab apply -f` and `delete -f`: the lab plays the Kubernetes API server, kubelet and
 * etcd-mode kube-controllers. Namespaces and ServiceAccounts become the profiles `kns.<ns>` and
 * `ksa.<ns>.<sa>`, NetworkPolicies the Calico NetworkPolicy `knp.default.<name>`, Pods a sandbox
 * wired by CNI ADD plus the label sync and a server; Calico v3 kinds are written as
 * `calicoctl apply` writes them (same validation, same client). Output lines are kubectl's.
 */
import { isDeepStrictEqual } from 'node:util';
import { applyDefaults, type Resource } from '../api/index.js';
import type { Client } from '../client/index.js';
import { precheck } from '../ctl/commands/write.js';
import { isCalicoError } from '../errors/index.js';
import {
  convertNamespace,
  convertNetworkPolicy,
  convertPod,
  convertServiceAccount,
  K8sConversionError,
  K8S_POLICY_NAME_PREFIX,
  namespaceProfileName,
  networkPolicyName,
  serviceAccountProfileName,
  type K8sNamespace,
  type K8sNetworkPolicy,
} from '../k8s/index.js';
import { openClient } from './cluster-config.js';
import { createK8sPod, podKey, removePod, syncEndpoint } from './k8s-pods.js';
import { errorText, LabError } from './lab-error.js';
import { kindLabel, podSummary, type ManifestObject } from './manifest.js';
import type { LabNames } from './names.js';
import { netnsExists } from './netns.js';
import type { Output } from './progress.js';
import { requireState, withStateLock, writeState, type LabState, type PodState } from './state.js';
import { findHost, requireHost } from './targets.js';

export interface ApplyIO {
  stdout: Output;
  stderr: Output;
}

type Verdict = 'created' | 'configured' | 'unchanged';

/** A client on the lab's etcd with the IPAM hooks calicoctl's has (pool deletes release blocks). */
async function labClient(names: LabNames): Promise<Client> {
  const client = openClient(names.etcdEndpoint);
  const { IPAMClient } = await import('../ipam/ipam-client.js');
  client.ipamHooks = new IPAMClient(client.backend, client).clientHooks();
  return client;
}

/** JSON equality (undefined fields and empty maps count as absent). */
function same(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => {
    const j: unknown = v === undefined ? undefined : JSON.parse(JSON.stringify(v));
    if (j && typeof j === 'object' && !Array.isArray(j) && Object.keys(j).length === 0) return undefined;
    return j;
  };
  return isDeepStrictEqual(norm(a), norm(b));
}

async function getOrUndefined(
  client: Client,
  kind: string,
  name: string,
  ns?: string,
): Promise<Resource | undefined> {
  try {
    return await client.get(kind, name, ns);
  } catch (e) {
    if (isCalicoError(e, 'NOT_FOUND')) return undefined;
    throw e;
  }
}

/**
 * Creates the resource, or updates it when its spec, labels or annotations differ (the stored
 * object's other metadata kept, as calicoctl apply does).
 */
export async function upsert(client: Client, r: Resource): Promise<Verdict> {
  const { kind } = r;
  const name = r.metadata.name!;
  const ns = r.metadata.namespace;
  const want = applyDefaults(structuredClone(r));
  for (let attempt = 1; ; attempt++) {
    let current = await getOrUndefined(client, kind, name, ns);
    if (!current) {
      try {
        await client.create(structuredClone(r));
        return 'created';
      } catch (e) {
        if (!isCalicoError(e, 'ALREADY_EXISTS')) throw e;
        current = await client.get(kind, name, ns);
      }
    }
    if (
      same(current.spec, want.spec) &&
      same(current.metadata.labels, want.metadata.labels) &&
      same(current.metadata.annotations, want.metadata.annotations)
    ) {
      return 'unchanged';
    }
    const update: Resource = {
      ...structuredClone(r),
      metadata: { ...current.metadata, labels: r.metadata.labels, annotations: r.metadata.annotations },
    };
    if (update.metadata.labels === undefined) delete update.metadata.labels;
    if (update.metadata.annotations === undefined) delete update.metadata.annotations;
    try {
      await client.update(update);
      return 'configured';
    } catch (e) {
      if (!isCalicoError(e, 'UPDATE_CONFLICT') || attempt >= 5) throw e;
    }
  }
}

function asResource<T extends object>(r: { spec?: T } & Omit<Resource, 'spec'>): Resource {
  return r as Resource;
}

/** What kube-controllers writes for each Kubernetes object (Pods aside). */
function converted(o: ManifestObject): { resource: Resource; warning?: string } {
  switch (o.kind) {
    case 'Namespace':
      return { resource: asResource(convertNamespace(o.object)) };
    case 'ServiceAccount':
      return { resource: asResource(convertServiceAccount(o.object)) };
    case 'NetworkPolicy':
      try {
        return { resource: asResource(convertNetworkPolicy(withDefaultPolicyTypes(o.object))) };
      } catch (e) {
        // kube-controllers writes what it could convert and logs the rest.
        if (e instanceof K8sConversionError) return { resource: asResource(e.policy), warning: e.message };
        throw e;
      }
    case 'Calico':
      return { resource: o.resource };
    case 'Pod':
      throw new Error('pods are not converted here');
  }
}

function describe(o: ManifestObject): string {
  return `${kindLabel(o)}/${o.name}`;
}

/** Offline checks of every object (conversion and validation); a LabError listing every failure. */
function precheckAll(objects: ManifestObject[]): void {
  const problems: string[] = [];
  for (const o of objects) {
    try {
      if (o.kind === 'Pod') {
        convertPod({ ...o.object, spec: { ...(o.object.spec ?? {}), nodeName: 'check' } });
        continue;
      }
      const { resource } = converted(o);
      const bad = precheck([o.kind === 'Calico' ? resource : structuredClone(resource)], {});
      for (const b of bad) problems.push(`${o.where}: ${describe(o)}: ${b.error ?? 'invalid'}`);
    } catch (e) {
      problems.push(`${o.where}: ${describe(o)}: ${errorText(e)}`);
    }
  }
  if (problems.length > 0) {
    throw new LabError(problems.join('\n'), 'nothing was changed: fix the input and run the command again');
  }
}

/** kubectl's order for a file that creates its own dependencies: namespaces first, pods last. */
const APPLY_RANK: Record<ManifestObject['kind'], number> = {
  Namespace: 0,
  ServiceAccount: 1,
  Calico: 2,
  NetworkPolicy: 3,
  Pod: 4,
};

function sorted(objects: ManifestObject[], reverse: boolean): ManifestObject[] {
  const indexed = objects.map((o, i) => ({ o, i }));
  indexed.sort((a, b) =>
    reverse
      ? APPLY_RANK[b.o.kind] - APPLY_RANK[a.o.kind] || b.i - a.i
      : APPLY_RANK[a.o.kind] - APPLY_RANK[b.o.kind] || a.i - b.i,
  );
  return indexed.map((x) => x.o);
}

function statePod(state: LabState, ns: string, name: string): PodState | undefined {
  return state.pods.find((p) => p.name === podKey(ns, name));
}

type PodObject = Extract<ManifestObject, { kind: 'Pod' }>;

/** Checks against what exists (hosts, service accounts, immutable pod fields) before any write. */
async function precheckPods(client: Client, state: LabState, objects: ManifestObject[]): Promise<void> {
  const problems: string[] = [];
  const saInFile = new Set(
    objects.filter((o) => o.kind === 'ServiceAccount').map((o) => `${o.namespace}/${o.name}`),
  );
  for (const o of objects) {
    if (o.kind !== 'Pod') continue;
    const where = `${o.where}: pod/${o.name}`;
    const host = o.pod.nodeName ? findHost(state, o.pod.nodeName) : undefined;
    if (o.pod.nodeName && !host) {
      problems.push(
        `${where}: spec.nodeName '${o.pod.nodeName}' is not a host of lab '${state.name}' (hosts: ${state.hosts.map((h) => `${h.index} or ${h.name}`).join(', ')})`,
      );
    }
    const sa = o.pod.serviceAccount;
    if (
      sa !== 'default' &&
      !saInFile.has(`${o.namespace}/${sa}`) &&
      !(await getOrUndefined(client, 'Profile', serviceAccountProfileName(o.namespace, sa)))
    ) {
      problems.push(
        `${where}: error looking up service account ${o.namespace}/${sa}: serviceaccount "${sa}" not found`,
      );
    }
    const existing = statePod(state, o.namespace, o.name);
    if (existing?.k8s) {
      const before = podSummary(existing.k8s.manifest, where);
      const movedTo = host?.name ?? existing.host;
      if (
        movedTo !== existing.host ||
        before.serviceAccount !== o.pod.serviceAccount ||
        !same(before.ports, o.pod.ports)
      ) {
        problems.push(
          `${where}: pod updates may not change fields other than labels (node, service account, ports): delete the pod first`,
        );
      }
    }
  }
  if (problems.length > 0) {
    throw new LabError(problems.join('\n'), 'nothing was changed: fix the input and run the command again');
  }
}

/** The namespace's profile and its default service account's profile. */
async function applyNamespace(client: Client, ns: K8sNamespace): Promise<Verdict> {
  const verdict = await upsert(client, asResource(convertNamespace(ns)));
  const sa = asResource(
    convertServiceAccount({ metadata: { name: 'default', namespace: ns.metadata.name, labels: {} } }),
  );
  if (!(await getOrUndefined(client, 'Profile', sa.metadata.name!))) await upsert(client, sa);
  return verdict;
}

function nsObject(name: string): K8sNamespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
  };
}

export async function applyManifest(
  names: LabNames,
  objects: ManifestObject[],
  io: ApplyIO,
): Promise<number> {
  precheckAll(objects);
  const state = requireState(names);
  const client = await labClient(names);
  let status = 0;
  const fail = (o: ManifestObject, e: unknown): void => {
    status = 1;
    io.stderr.write(`Error from server (${describe(o)}): ${errorText(e)}\n`);
  };
  try {
    await precheckPods(client, state, objects);
    const order = sorted(objects, false);
    // Namespaces the file names but does not define: created as `kubectl create ns` would.
    const defined = new Set(order.filter((o) => o.kind === 'Namespace').map((o) => o.name));
    const used = new Set<string>();
    for (const o of order) if (o.kind !== 'Namespace' && o.kind !== 'Calico') used.add(o.namespace);
    let implicitDone = false;
    for (const o of order) {
      if (o.kind !== 'Namespace' && !implicitDone) {
        implicitDone = true;
        for (const ns of used) {
          if (defined.has(ns) || (await getOrUndefined(client, 'Profile', namespaceProfileName(ns))))
            continue;
          await applyNamespace(client, nsObject(ns));
          io.stdout.write(`namespace/${ns} created (implicitly: the input uses it and does not define it)\n`);
        }
      }
      if (o.kind === 'Pod') continue;
      try {
        let verdict: Verdict;
        if (o.kind === 'Namespace') verdict = await applyNamespace(client, o.object);
        else {
          const { resource, warning } = converted(o);
          if (warning) io.stderr.write(`Warning: ${warning}\n`);
          verdict = await upsert(client, resource);
        }
        io.stdout.write(`${describe(o)} ${verdict}\n`);
      } catch (e) {
        fail(o, e);
      }
    }
    const pods = order.filter((o): o is PodObject => o.kind === 'Pod');
    const results = await Promise.allSettled(pods.map((o) => applyPod(names, client, o)));
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') io.stdout.write(`${describe(pods[i])} ${r.value}\n`);
      else fail(pods[i], r.reason);
    });
  } finally {
    await client.close();
  }
  return status;
}

async function applyPod(names: LabNames, client: Client, o: PodObject): Promise<string> {
  const manifest = o.object as unknown as Record<string, unknown>;
  let existing = statePod(requireState(names), o.namespace, o.name);
  if (existing && !netnsExists(existing.netns)) {
    // Its sandbox is gone (removed by hand): kubelet would make a new one.
    await removePod(names, requireState(names), existing).catch(() => undefined);
    existing = undefined;
  }
  if (!existing) {
    const pod = await createK8sPod(names, client, o.namespace, o.name, manifest, o.pod);
    return `created (${pod.ip} on ${pod.host})`;
  }
  const before = podSummary(existing.k8s!.manifest, o.name);
  if (same(before.labels, o.pod.labels)) {
    // Reconciled all the same, as kube-controllers does: the endpoint may have been edited.
    await syncEndpoint(client, existing, requireHost(requireState(names), existing.host));
    return 'unchanged';
  }
  // Label sync: the endpoint follows the pod's new labels; the pod itself stays as it is.
  const updated = await withStateLock(names, async () => {
    const s = requireState(names);
    const p = s.pods.find((x) => x.name === existing.name);
    if (!p?.k8s) throw new LabError(`pod ${existing.name} disappeared`);
    p.k8s.manifest = manifest;
    writeState(names, s);
    return { pod: p, host: s.hosts.find((h) => h.name === p.host)! };
  });
  await syncEndpoint(client, updated.pod, updated.host);
  return 'configured';
}

/** NotFound in kubectl's words. */
function notFound(o: ManifestObject): string {
  const [kind, group] = kindLabel(o).split(/\.(.*)/);
  const plural = kind.endsWith('y') ? `${kind.slice(0, -1)}ies` : `${kind}s`;
  return `Error from server (NotFound): ${plural}${group ? `.${group}` : ''} "${o.name}" not found`;
}

export async function deleteManifest(
  names: LabNames,
  objects: ManifestObject[],
  io: ApplyIO,
): Promise<number> {
  precheckAll(objects);
  const client = await labClient(names);
  let status = 0;
  try {
    const order = sorted(objects, true);
    const report = (o: ManifestObject, r: PromiseSettledResult<boolean>): void => {
      if (r.status === 'fulfilled' && r.value) io.stdout.write(`${kindLabel(o)} "${o.name}" deleted\n`);
      else {
        status = 1;
        io.stderr.write(
          r.status === 'fulfilled'
            ? `${notFound(o)}\n`
            : `Error from server (${describe(o)}): ${errorText(r.reason)}\n`,
        );
      }
    };
    // Pods first and all at once (each is a server stop, a CNI DEL and a namespace removal).
    const pods = order.filter((o) => o.kind === 'Pod');
    const podResults = await Promise.allSettled(pods.map((o) => deleteOne(names, client, o)));
    pods.forEach((o, i) => report(o, podResults[i]));
    for (const o of order.filter((x) => x.kind !== 'Pod')) {
      const [r] = await Promise.allSettled([deleteOne(names, client, o)]);
      report(o, r);
    }
  } finally {
    await client.close();
  }
  return status;
}

async function deleteIfPresent(client: Client, kind: string, name: string, ns?: string): Promise<boolean> {
  try {
    await client.delete(kind, name, ns);
    return true;
  } catch (e) {
    if (isCalicoError(e, 'NOT_FOUND')) return false;
    throw e;
  }
}

/** Deletes one object (a namespace with everything in it); false when it did not exist. */
async function deleteOne(names: LabNames, client: Client, o: ManifestObject): Promise<boolean> {
  switch (o.kind) {
    case 'Pod': {
      const state = requireState(names);
      const pod = statePod(state, o.namespace, o.name);
      if (!pod) return false;
      await removePod(names, state, pod);
      return true;
    }
    case 'NetworkPolicy':
      return deleteIfPresent(client, 'NetworkPolicy', networkPolicyName(o.name), o.namespace);
    case 'ServiceAccount':
      return deleteIfPresent(client, 'Profile', serviceAccountProfileName(o.namespace, o.name));
    case 'Calico': {
      const r = converted(o).resource;
      precheck([r], {}); // fills the namespace of a namespaced kind (default)
      return deleteIfPresent(client, r.kind, r.metadata.name!, r.metadata.namespace);
    }
    case 'Namespace':
      return deleteNamespace(names, client, o.name);
  }
}

/** A namespace goes with its pods, its Kubernetes policies and its service accounts. */
async function deleteNamespace(names: LabNames, client: Client, ns: string): Promise<boolean> {
  const state = requireState(names);
  const pods = state.pods.filter((p) => p.k8s?.namespace === ns);
  await Promise.all(pods.map((p) => removePod(names, state, p)));
  const policies = await client.list('NetworkPolicy', { namespace: ns });
  for (const p of policies.items) {
    if (p.metadata.name?.startsWith(K8S_POLICY_NAME_PREFIX))
      await deleteIfPresent(client, 'NetworkPolicy', p.metadata.name, ns);
  }
  const profiles = await client.list('Profile');
  const saPrefix = serviceAccountProfileName(ns, '');
  for (const p of profiles.items) {
    if (p.metadata.name?.startsWith(saPrefix)) await deleteIfPresent(client, 'Profile', p.metadata.name);
  }
  const existed = await deleteIfPresent(client, 'Profile', namespaceProfileName(ns));
  return existed || pods.length > 0;
}

/**
 * What the Kubernetes API server does on write: a NetworkPolicy without policyTypes gets
 * `[Ingress]`, plus `Egress` when it has egress rules. Calico's converter relies on it (its own
 * fallback for a missing list is `[Ingress]` only), and the lab plays the API server.
 */
function withDefaultPolicyTypes(np: K8sNetworkPolicy): K8sNetworkPolicy {
  const spec = np.spec ?? {};
  if (spec.policyTypes && spec.policyTypes.length > 0) return np;
  const types = ['Ingress', ...(spec.egress && spec.egress.length > 0 ? ['Egress'] : [])];
  return { ...np, spec: { ...spec, policyTypes: types } };
}
