/**
 * Datastore configuration, as calicoctl and calico-node read it: a CalicoAPIConfig file (YAML or
 * JSON, strict) when one exists, otherwise the environment, where every name may carry a `CALICO_`
 * prefix that wins over the bare name.
 */
import { promises as dns } from 'node:dns';
import { readFileSync, statSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { CalicoError } from '../errors/index.js';
import type { Backend } from './backend.js';
// The HTTP/JSON gateway client loads in ~15 ms where the gRPC one takes ~400 ms (every calicoctl
// command and CNI call pays that); it switches itself to gRPC when etcd's gateway cannot serve.
import { FallbackEtcdBackend } from './etcd-http/fallback-backend.js';

export const DEFAULT_CONFIG_FILE = '/etc/calico/calicoctl.cfg';

export interface DatastoreConfig {
  datastoreType: 'etcdv3';
  /** Normalised endpoint URLs (from etcdEndpoints, or discovered through etcdDiscoverySrv). */
  etcdEndpoints: string[];
  etcdDiscoverySrv?: string;
  etcdUsername?: string;
  etcdPassword?: string;
  etcdKeyFile?: string;
  etcdCertFile?: string;
  etcdCACertFile?: string;
  /** Inline PEM (config file only: there are no environment variables for these). */
  etcdKey?: string;
  etcdCert?: string;
  etcdCACert?: string;
  /** Where the configuration came from, for messages. */
  source: { kind: 'file'; path: string } | { kind: 'environment' };
}

export interface SrvTarget {
  name: string;
  port: number;
}

export interface LoadDatastoreConfigOptions {
  /** Defaults to /etc/calico/calicoctl.cfg, which is used only if it exists. */
  configFile?: string;
  /** A missing file is an error (calicoctl -c <path>). Defaults to "path given and not the default". */
  explicitConfigFile?: boolean;
  env?: NodeJS.ProcessEnv;
  /** SRV lookup for etcdDiscoverySrv (tests inject one). */
  resolveSrv?: (name: string) => Promise<SrvTarget[]>;
}

/** The spec fields of a CalicoAPIConfig and their JSON types (Calico's apiconfig.CalicoAPIConfigSpec). */
const SPEC_FIELDS: Record<string, 'string' | 'boolean' | 'number'> = {
  datastoreType: 'string',
  etcdEndpoints: 'string',
  etcdDiscoverySrv: 'string',
  etcdUsername: 'string',
  etcdPassword: 'string',
  etcdKeyFile: 'string',
  etcdCertFile: 'string',
  etcdCACertFile: 'string',
  etcdKey: 'string',
  etcdCert: 'string',
  etcdCACert: 'string',
  kubeconfig: 'string',
  k8sAPIEndpoint: 'string',
  k8sKeyFile: 'string',
  k8sCertFile: 'string',
  k8sCAFile: 'string',
  k8sAPIToken: 'string',
  k8sInsecureSkipTLSVerify: 'boolean',
  k8sDisableNodePoll: 'boolean',
  usePodCIDR: 'boolean',
  kubeconfigInline: 'string',
  k8sClientQPS: 'number',
  k8sCurrentContext: 'string',
  calicoAPIGroup: 'string',
};

const METADATA_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

/** Environment names (each also read as CALICO_<name>, which wins) for the spec fields we use. */
const ENV_FIELDS: Record<string, string> = {
  datastoreType: 'DATASTORE_TYPE',
  etcdEndpoints: 'ETCD_ENDPOINTS',
  etcdDiscoverySrv: 'ETCD_DISCOVERY_SRV',
  etcdUsername: 'ETCD_USERNAME',
  etcdPassword: 'ETCD_PASSWORD',
  etcdKeyFile: 'ETCD_KEY_FILE',
  etcdCertFile: 'ETCD_CERT_FILE',
  etcdCACertFile: 'ETCD_CA_CERT_FILE',
  kubeconfig: 'KUBECONFIG',
  k8sAPIEndpoint: 'K8S_API_ENDPOINT',
};

type Spec = Partial<Record<string, string | boolean | number>>;

function configError(message: string, hint?: string): CalicoError {
  return new CalicoError('CONFIG', message, hint);
}

const CONFIG_HINT =
  'configure etcd with ETCD_ENDPOINTS (and ETCD_CA_CERT_FILE, ETCD_CERT_FILE, ETCD_KEY_FILE for TLS) ' +
  `or a CalicoAPIConfig file (${DEFAULT_CONFIG_FILE} or -c <file>) with spec.datastoreType: etcdv3 and spec.etcdEndpoints`;

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** Parses and strictly checks a CalicoAPIConfig document; errors use Calico's wording. */
export function parseConfigFile(text: string): Spec {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new Error(
      `failed to parse config as YAML/JSON: error converting YAML to JSON: ${doc.errors[0].message}`,
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const strict = (detail: string) =>
    new Error(
      `failed to parse config as YAML/JSON: error unmarshaling JSON: while decoding JSON: json: ${detail}`,
    );
  if (jsonType(raw) !== 'object') {
    throw strict(`cannot unmarshal ${jsonType(raw)} into Go value of type apiconfig.CalicoAPIConfig`);
  }
  const top = raw as Record<string, unknown>;
  for (const k of Object.keys(top)) {
    if (!['apiVersion', 'kind', 'metadata', 'spec'].includes(k)) throw strict(`unknown field "${k}"`);
  }
  for (const k of ['apiVersion', 'kind']) {
    if (top[k] !== undefined && top[k] !== null && typeof top[k] !== 'string') {
      throw strict(
        `cannot unmarshal ${jsonType(top[k])} into Go struct field CalicoAPIConfig.${k} of type string`,
      );
    }
  }
  const meta = top.metadata;
  if (meta !== undefined && meta !== null) {
    if (jsonType(meta) !== 'object') {
      throw strict(
        `cannot unmarshal ${jsonType(meta)} into Go struct field CalicoAPIConfig.metadata of type v1.ObjectMeta`,
      );
    }
    for (const k of Object.keys(meta as object))
      if (!METADATA_FIELDS.has(k)) throw strict(`unknown field "${k}"`);
  }
  const spec: Spec = {};
  const rawSpec = top.spec;
  if (rawSpec !== undefined && rawSpec !== null) {
    if (jsonType(rawSpec) !== 'object') {
      throw strict(
        `cannot unmarshal ${jsonType(rawSpec)} into Go struct field CalicoAPIConfig.spec of type apiconfig.CalicoAPIConfigSpec`,
      );
    }
    for (const [k, v] of Object.entries(rawSpec as Record<string, unknown>)) {
      const want = SPEC_FIELDS[k];
      if (!want) throw strict(`unknown field "${k}"`);
      if (v === null) continue;
      if (typeof v !== want) {
        const goType = want === 'boolean' ? 'bool' : want === 'number' ? 'float32' : 'string';
        throw strict(
          `cannot unmarshal ${jsonType(v)} into Go struct field CalicoAPIConfigSpec.spec.${k} of type ${goType}`,
        );
      }
      spec[k] = v as string | boolean | number;
    }
  }
  if (top.apiVersion !== 'projectcalico.org/v3') {
    throw new Error(
      `invalid config file: unknown APIVersion '${typeof top.apiVersion === 'string' ? top.apiVersion : ''}'`,
    );
  }
  if (top.kind !== 'CalicoAPIConfig') {
    throw new Error(
      `invalid config file: expected kind 'CalicoAPIConfig', got '${typeof top.kind === 'string' ? top.kind : ''}'`,
    );
  }
  return spec;
}

function specFromEnv(env: NodeJS.ProcessEnv): Spec {
  const spec: Spec = {};
  for (const [field, name] of Object.entries(ENV_FIELDS)) {
    // Set-but-empty CALICO_X still wins over X, as with Calico's envconfig.
    const v = env[`CALICO_${name}`] ?? env[name];
    if (v !== undefined) spec[field] = v;
  }
  return spec;
}

function str(spec: Spec, k: string): string | undefined {
  const v = spec[k];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** `a, b` → normalised URLs; a bare `host:port` means http. */
export function parseEndpoints(list: string): string[] {
  const out: string[] = [];
  for (const part of list.split(',')) {
    const e = part.trim();
    if (!e) continue;
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(e) ? e : `http://${e}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw configError(`invalid etcd endpoint '${e}'`, 'endpoints look like https://10.0.0.1:2379');
    }
    if (url.protocol === 'unix:') {
      // A unix socket reaches etcd from any network namespace (the lab's hosts use this).
      if (!url.pathname.startsWith('/'))
        throw configError(`invalid etcd endpoint '${e}': use unix:///absolute/path`);
      out.push(withScheme);
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw configError(`invalid etcd endpoint '${e}': scheme must be http, https or unix`);
    }
    out.push(withScheme.replace(/\/+$/, ''));
  }
  const schemes = new Set(out.filter((u) => !u.startsWith('unix:')).map((u) => u.slice(0, u.indexOf(':'))));
  if (schemes.size > 1) {
    throw configError(
      `etcd endpoints mix http and https: ${out.join(',')}`,
      'use https for every endpoint or for none',
    );
  }
  return out;
}

async function systemResolveSrv(name: string): Promise<SrvTarget[]> {
  const r = new dns.Resolver({ timeout: 2000, tries: 2 });
  return r.resolveSrv(name);
}

/** etcd's client discovery: _etcd-client-ssl._tcp.<domain> (https) and _etcd-client._tcp.<domain> (http). */
async function discoverEndpoints(
  domain: string,
  resolve: (name: string) => Promise<SrvTarget[]>,
): Promise<string[]> {
  const out: string[] = [];
  const errors: string[] = [];
  for (const [service, scheme] of [
    ['_etcd-client-ssl', 'https'],
    ['_etcd-client', 'http'],
  ] as const) {
    try {
      for (const t of await resolve(`${service}._tcp.${domain}`)) {
        out.push(`${scheme}://${t.name.replace(/\.$/, '')}:${t.port}`);
      }
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (out.length === 0) {
    throw configError(
      `failed to discover etcd endpoints through SRV discovery: ${errors.join('; ') || `no SRV records for ${domain}`}`,
      `check the _etcd-client._tcp.${domain} / _etcd-client-ssl._tcp.${domain} DNS records, or set ETCD_ENDPOINTS`,
    );
  }
  return out;
}

export async function loadDatastoreConfig(opts: LoadDatastoreConfigOptions = {}): Promise<DatastoreConfig> {
  const env = opts.env ?? process.env;
  const path = opts.configFile ?? DEFAULT_CONFIG_FILE;
  const explicit =
    opts.explicitConfigFile ?? (opts.configFile !== undefined && opts.configFile !== DEFAULT_CONFIG_FILE);

  let spec: Spec;
  let source: DatastoreConfig['source'];
  let exists = false;
  try {
    exists = statSync(path).isFile();
  } catch {
    exists = false;
  }
  if (exists) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw configError(`Error reading config file: ${path}: ${(e as Error).message}`);
    }
    try {
      spec = parseConfigFile(text);
    } catch (e) {
      throw configError(`syntax error in ${path}: ${(e as Error).message}`);
    }
    source = { kind: 'file', path };
  } else if (explicit) {
    throw configError(`Error reading config file: ${path}`);
  } else {
    spec = specFromEnv(env);
    source = { kind: 'environment' };
  }

  const where = source.kind === 'file' ? `config file ${source.path}` : 'environment';
  const endpoints = str(spec, 'etcdEndpoints');
  const srv = str(spec, 'etcdDiscoverySrv');
  let type = str(spec, 'datastoreType');
  if (!type) {
    // Calico picks etcdv3 when endpoints are set and kubernetes otherwise. calico-ts has no kubernetes
    // datastore, so without any kubernetes setting we say what etcd needs instead.
    const k8sConfigured = str(spec, 'kubeconfig') || str(spec, 'k8sAPIEndpoint');
    type = endpoints || srv || !k8sConfigured ? 'etcdv3' : 'kubernetes';
  }
  if (type === 'kubernetes') {
    throw configError(
      `datastore type 'kubernetes' (from ${where}) is not supported: calico-ts supports only the etcdv3 datastore for now`,
      CONFIG_HINT,
    );
  }
  if (type !== 'etcdv3') throw configError(`Unknown datastore type: ${type}`, CONFIG_HINT);

  if (endpoints && srv) {
    throw configError(
      'multiple discovery or bootstrap options specified, use either "etcdEndpoints" or "etcdDiscoverySrv"',
    );
  }
  if (!endpoints && !srv) throw configError('no etcd endpoints specified', CONFIG_HINT);
  const inline = ['etcdKey', 'etcdCert', 'etcdCACert'].some((k) => str(spec, k));
  const files = ['etcdKeyFile', 'etcdCertFile', 'etcdCACertFile'].some((k) => str(spec, k));
  if (inline && files) throw configError('Cannot mix inline certificate-key and certificate / key files');

  const cfg: DatastoreConfig = {
    datastoreType: 'etcdv3',
    etcdEndpoints: endpoints
      ? parseEndpoints(endpoints)
      : await discoverEndpoints(srv as string, opts.resolveSrv ?? systemResolveSrv),
    source,
  };
  if (cfg.etcdEndpoints.length === 0) throw configError('no etcd endpoints specified', CONFIG_HINT);
  for (const k of [
    'etcdDiscoverySrv',
    'etcdUsername',
    'etcdPassword',
    'etcdKeyFile',
    'etcdCertFile',
    'etcdCACertFile',
    'etcdKey',
    'etcdCert',
    'etcdCACert',
  ] as const) {
    const v = str(spec, k);
    if (v !== undefined) cfg[k] = v;
  }
  return cfg;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw configError(
      `could not read the etcd ${what} file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      'check ETCD_CA_CERT_FILE / ETCD_CERT_FILE / ETCD_KEY_FILE (etcdCACertFile / etcdCertFile / etcdKeyFile)',
    );
  }
}

export interface BackendTimeouts {
  dialTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** The Backend a configuration describes (reads the TLS files now, so a bad path fails early). */
export function createBackend(cfg: DatastoreConfig, timeouts: BackendTimeouts = {}): Backend {
  const tls = {
    ca: cfg.etcdCACert ?? (cfg.etcdCACertFile ? readPem(cfg.etcdCACertFile, 'CA certificate') : undefined),
    cert: cfg.etcdCert ?? (cfg.etcdCertFile ? readPem(cfg.etcdCertFile, 'client certificate') : undefined),
    key: cfg.etcdKey ?? (cfg.etcdKeyFile ? readPem(cfg.etcdKeyFile, 'client key') : undefined),
  };
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw configError(
      'an etcd client certificate needs its key and a key needs its certificate',
      'set both ETCD_CERT_FILE and ETCD_KEY_FILE (etcdCertFile and etcdKeyFile), or neither',
    );
  }
  return new FallbackEtcdBackend({
    endpoints: cfg.etcdEndpoints,
    tls: tls.ca || tls.cert || tls.key ? tls : undefined,
    username: cfg.etcdUsername,
    password: cfg.etcdPassword,
    ...timeouts,
  });
}
