/**
 * What `calico-lab apply -f` and `delete -f` read: multi-document YAML or JSON holding Kubernetes
 * objects (v1 Namespace, ServiceAccount, Pod; networking.k8s.io/v1 NetworkPolicy) and any Calico
 * v3 kind, also as arrays or `List`s. Everything is checked here, before anything is written: one
 * bad document and the command writes nothing.
 */
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import {
  API_VERSION,
  decodeObject,
  labelNameProblem,
  labelValueProblems,
  qualifiedNameProblems,
  type Resource,
} from '../api/index.js';
import type {
  K8sContainerPort,
  K8sNamespace,
  K8sNetworkPolicy,
  K8sPod,
  K8sServiceAccount,
} from '../k8s/types.js';
import { errorText, LabError } from './lab-error.js';

export type K8sKind = 'Namespace' | 'ServiceAccount' | 'Pod' | 'NetworkPolicy';

export type ManifestObject =
  | { kind: 'Namespace'; name: string; object: K8sNamespace; where: string }
  | { kind: 'ServiceAccount'; name: string; namespace: string; object: K8sServiceAccount; where: string }
  | { kind: 'Pod'; name: string; namespace: string; object: K8sPod; pod: PodSpecSummary; where: string }
  | { kind: 'NetworkPolicy'; name: string; namespace: string; object: K8sNetworkPolicy; where: string }
  | { kind: 'Calico'; name: string; namespace?: string; resource: Resource; where: string };

/** What the lab runs for a pod. */
export interface PodSpecSummary {
  nodeName?: string;
  serviceAccount: string;
  labels: Record<string, string>;
  ports: K8sContainerPort[];
  tcp: number[];
  udp: number[];
}

const K8S_KINDS: Record<string, K8sKind> = {
  'v1/Namespace': 'Namespace',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/Pod': 'Pod',
  'networking.k8s.io/v1/NetworkPolicy': 'NetworkPolicy',
};

/** kubectl's name for a kind in `pod/x created` lines. */
export function kindLabel(o: ManifestObject): string {
  switch (o.kind) {
    case 'Namespace':
      return 'namespace';
    case 'ServiceAccount':
      return 'serviceaccount';
    case 'Pod':
      return 'pod';
    case 'NetworkPolicy':
      return 'networkpolicy.networking.k8s.io';
    case 'Calico':
      return `${o.resource.kind.toLowerCase()}.projectcalico.org`;
  }
}

/** Reads `-f FILE` (`-` for stdin). */
export async function readManifestText(file: string, stdin: () => Promise<string>): Promise<string> {
  if (file === '-') return stdin();
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LabError(
      code === 'ENOENT' ? `the file ${file} does not exist` : `cannot read ${file}: ${errorText(e)}`,
    );
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every document's objects, Lists and arrays expanded, each with where it came from. */
function documents(text: string, source: string): { value: unknown; where: string }[] {
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true });
  const out: { value: unknown; where: string }[] = [];
  docs.forEach((doc, i) => {
    const where = `${source}, document ${i + 1}`;
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      throw new LabError(`${where}: syntax error: ${e.message.split('\n')[0]}`);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) return;
    const items = Array.isArray(value)
      ? value
      : isObject(value) && typeof value.kind === 'string' && value.kind.endsWith('List')
        ? Array.isArray(value.items)
          ? value.items
          : []
        : [value];
    items.forEach((item: unknown, j: number) =>
      out.push({ value: item, where: items.length > 1 || item !== value ? `${where}, item ${j}` : where }),
    );
  });
  return out;
}

function labelsOf(o: Record<string, unknown>, what: string): Record<string, string> {
  const meta = isObject(o.metadata) ? o.metadata : {};
  const labels = meta.labels;
  if (labels === undefined || labels === null) return {};
  if (!isObject(labels)) throw new Error(`${what}: metadata.labels must be a map of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    if (typeof v !== 'string') throw new Error(`${what}: label ${k} must be a string (quote it)`);
    const problems = [...qualifiedNameProblems(k), ...labelValueProblems(v)];
    if (problems.length) throw new Error(`${what}: invalid label ${k}=${v}: ${problems.join('; ')}`);
    out[k] = v;
  }
  return out;
}

function nameOf(o: Record<string, unknown>, kind: string): string {
  const meta = o.metadata;
  const name = isObject(meta) ? meta.name : undefined;
  if (typeof name !== 'string' || name === '') throw new Error(`${kind} has no metadata.name`);
  const p = labelNameProblem(name);
  if (p) throw new Error(`${kind} '${name}': invalid metadata.name: ${p}`);
  return name;
}

function namespaceOf(o: Record<string, unknown>, kind: string, name: string): string {
  const ns = isObject(o.metadata) ? o.metadata.namespace : undefined;
  if (ns === undefined || ns === null || ns === '') return 'default';
  if (typeof ns !== 'string' || labelNameProblem(ns)) {
    throw new Error(`${kind} '${name}': invalid metadata.namespace ${JSON.stringify(ns)}`);
  }
  return ns;
}

export function podSummary(o: Record<string, unknown>, what: string): PodSpecSummary {
  const spec = o.spec;
  if (spec !== undefined && spec !== null && !isObject(spec))
    throw new Error(`${what}: spec must be an object`);
  const s = (spec ?? {}) as Record<string, unknown>;
  const containers = s.containers ?? [];
  if (!Array.isArray(containers)) throw new Error(`${what}: spec.containers must be a list`);
  const ports: K8sContainerPort[] = [];
  const tcp = new Set<number>();
  const udp = new Set<number>();
  containers.forEach((c: unknown, i) => {
    const list = isObject(c) ? (c.ports ?? []) : [];
    if (!Array.isArray(list)) throw new Error(`${what}: spec.containers[${i}].ports must be a list`);
    list.forEach((p: unknown, j) => {
      const at = `${what}: spec.containers[${i}].ports[${j}]`;
      if (!isObject(p)) throw new Error(`${at} must be an object`);
      const port = p.containerPort;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`${at}.containerPort must be a port number (1-65535)`);
      }
      const protocol = p.protocol ?? 'TCP';
      if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP') {
        throw new Error(`${at}.protocol must be TCP, UDP or SCTP`);
      }
      if (
        p.name !== undefined &&
        (typeof p.name !== 'string' || p.name.length > 15 || labelNameProblem(p.name))
      ) {
        throw new Error(`${at}.name must be a port name (at most 15 lower-case letters, digits and dashes)`);
      }
      ports.push({ ...(p.name ? { name: p.name as string } : {}), containerPort: port, protocol });
      // The pod serves TCP and UDP on every declared port: probes of either protocol find it.
      tcp.add(port);
      udp.add(port);
    });
  });
  const sa = s.serviceAccountName ?? s.serviceAccount ?? 'default';
  if (typeof sa !== 'string' || labelNameProblem(sa)) {
    throw new Error(`${what}: invalid spec.serviceAccountName ${JSON.stringify(sa)}`);
  }
  const node = s.nodeName;
  if (node !== undefined && node !== null && typeof node !== 'string' && typeof node !== 'number') {
    throw new Error(`${what}: spec.nodeName must be a host name or number`);
  }
  return {
    ...(node !== undefined && node !== null && node !== '' ? { nodeName: String(node) } : {}),
    serviceAccount: sa,
    labels: labelsOf(o, what),
    ports,
    tcp: [...tcp].sort((a, b) => a - b),
    udp: [...udp].sort((a, b) => a - b),
  };
}

/** A Kubernetes object as the converters take it: metadata trimmed to what they read. */
function k8sObject(
  o: Record<string, unknown>,
  name: string,
  namespace: string | undefined,
  labels: Record<string, string>,
) {
  const meta = isObject(o.metadata) ? o.metadata : {};
  return {
    ...o,
    metadata: {
      ...meta,
      name,
      ...(namespace ? { namespace } : {}),
      labels,
    },
  };
}

function classify(value: unknown, where: string): ManifestObject {
  if (!isObject(value)) throw new Error('not an object with apiVersion and kind');
  const { apiVersion, kind } = value;
  if (typeof kind !== 'string' || kind === '') throw new Error('the object has no kind');
  if (typeof apiVersion !== 'string' || apiVersion === '') throw new Error(`${kind} has no apiVersion`);
  if (apiVersion === API_VERSION) {
    const resource = decodeObject(value, { source: where });
    return {
      kind: 'Calico',
      name: resource.metadata.name ?? '',
      ...(resource.metadata.namespace ? { namespace: resource.metadata.namespace } : {}),
      resource,
      where,
    };
  }
  const k8sKind = K8S_KINDS[`${apiVersion}/${kind}`];
  if (!k8sKind) {
    throw new Error(
      `no matches for kind "${kind}" in version "${apiVersion}" (calico-lab takes v1 Namespace, ServiceAccount, Pod, networking.k8s.io/v1 NetworkPolicy and ${API_VERSION} kinds)`,
    );
  }
  const name = nameOf(value, kind);
  const what = `${kind} '${name}'`;
  switch (k8sKind) {
    case 'Namespace': {
      // The API server labels every namespace with its own name.
      const labels = { ...labelsOf(value, what), 'kubernetes.io/metadata.name': name };
      return {
        kind: 'Namespace',
        name,
        object: k8sObject(value, name, undefined, labels) as K8sNamespace,
        where,
      };
    }
    case 'ServiceAccount': {
      const ns = namespaceOf(value, kind, name);
      const object = k8sObject(value, name, ns, labelsOf(value, what)) as K8sServiceAccount;
      return { kind: 'ServiceAccount', name, namespace: ns, object, where };
    }
    case 'Pod': {
      const ns = namespaceOf(value, kind, name);
      const pod = podSummary(value, what);
      const object = k8sObject(value, name, ns, pod.labels) as unknown as K8sPod;
      return { kind: 'Pod', name, namespace: ns, object, pod, where };
    }
    case 'NetworkPolicy': {
      const ns = namespaceOf(value, kind, name);
      const object = k8sObject(value, name, ns, labelsOf(value, what)) as unknown as K8sNetworkPolicy;
      return { kind: 'NetworkPolicy', name, namespace: ns, object, where };
    }
  }
}

/** The objects of a manifest, all checked; a LabError naming every bad document otherwise. */
export function parseManifest(text: string, source: string): ManifestObject[] {
  const out: ManifestObject[] = [];
  const problems: string[] = [];
  for (const d of documents(text, source)) {
    try {
      out.push(classify(d.value, d.where));
    } catch (e) {
      const msg = errorText(e);
      problems.push(msg.includes(source) ? msg : `${d.where}: ${msg}`);
    }
  }
  const seen = new Set<string>();
  for (const o of out) {
    const id = `${o.kind === 'Calico' ? o.resource.kind : o.kind}/${'namespace' in o ? (o.namespace ?? '') : ''}/${o.name}`;
    if (seen.has(id)) problems.push(`${o.where}: ${kindLabel(o)}/${o.name} appears twice`);
    seen.add(id);
  }
  if (problems.length > 0) {
    throw new LabError(
      `${problems.join('\n')}`,
      'nothing was changed: fix the input and run the command again',
    );
  }
  if (out.length === 0) throw new LabError(`no objects in ${source}`);
  return out;
}
