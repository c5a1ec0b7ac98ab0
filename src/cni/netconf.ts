/**
 * The network configuration a runtime passes on stdin (Calico's NetConf keys), parsed strictly:
 * known keys must have the right JSON type and a sensible value; unknown keys are ignored, as CNI
 * configs routinely carry keys for other plugins and runtimes.
 */
import { CniCode, CniError } from './cni-error.js';
import { resolveVersion } from './versions.js';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

/** Where and how to reach the datastore (netconf keys, falling back to ETCD_* in the environment). */
export interface DatastoreSettings {
  datastoreType: 'etcdv3';
  /** Comma-separated, as written (normalised by the datastore layer). */
  etcdEndpoints?: string;
  etcdDiscoverySrv?: string;
  etcdKeyFile?: string;
  etcdCertFile?: string;
  etcdCACertFile?: string;
  etcdUsername?: string;
  etcdPassword?: string;
}

export interface IpamConf {
  type: string;
  assignIPv4: boolean;
  assignIPv6: boolean;
  ipv4Pools: string[];
  ipv6Pools: string[];
  /** The `ipam` object as written, for delegated (non-Calico) IPAM plugins. */
  raw: Record<string, unknown>;
}

export interface NetConf {
  cniVersion: string;
  name: string;
  type: string;
  ipam: IpamConf;
  datastore: DatastoreSettings;
  nodename?: string;
  nodenameFile: string;
  nodenameFileOptional: boolean;
  hostname?: string;
  /** 0 ⇒ the MTU file Felix writes, else the kernel's default. */
  mtu: number;
  requireMtuFile: boolean;
  numQueues: number;
  deviceType: 'veth' | 'netkit';
  ipamLockFile: string;
  logLevel: LogLevel;
  logFilePath?: string;
  policyType: '' | 'k8s';
  allowIpForwarding: boolean;
  /** CHECK's (and optionally DEL's) previous result, still in its own version's shape. */
  prevResult?: unknown;
  /** GC: attachments the runtime still uses. */
  validAttachments?: { containerID: string; ifname: string }[];
  /** The whole object as parsed. */
  raw: Record<string, unknown>;
}

export const DEFAULT_NODENAME_FILE = '/var/lib/calico/nodename';
export const DEFAULT_IPAM_LOCK_FILE = '/var/run/calico/ipam.lock';
export const MTU_FILE = '/var/lib/calico/mtu';

const NAME_RE = /^[a-zA-Z0-9_.-]+$/;

function invalid(msg: string, details?: string): CniError {
  return new CniError(CniCode.INVALID_NETCONF, msg, details);
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'object' : typeof v;
}

class Reader {
  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly at: string,
  ) {}

  private key(k: string): string {
    return this.at ? `${this.at}.${k}` : k;
  }

  private wrong(k: string, want: string): CniError {
    const v = this.obj[k];
    return invalid(
      `invalid network config: "${this.key(k)}" must be ${want}, got ${jsonType(v)} ${JSON.stringify(v)}`,
    );
  }

  has(k: string): boolean {
    return this.obj[k] !== undefined && this.obj[k] !== null;
  }

  str(k: string): string | undefined {
    const v = this.obj[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw this.wrong(k, 'a string');
    return v;
  }

  bool(k: string, dflt: boolean): boolean {
    const v = this.obj[k];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') throw this.wrong(k, 'true or false');
    return v;
  }

  /** Calico writes some switches as strings ("true"/"false"); booleans are accepted too. */
  flag(k: string, dflt: boolean): boolean {
    const v = this.obj[k];
    if (v === undefined || v === null || v === '') return dflt;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    throw this.wrong(k, '"true" or "false"');
  }

  int(k: string, dflt: number, min = 0): number {
    const v = this.obj[k];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw this.wrong(k, 'a whole number');
    if (v < min) throw invalid(`invalid network config: "${this.key(k)}" must be at least ${min}, got ${v}`);
    return v;
  }

  strList(k: string): string[] {
    const v = this.obj[k];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw this.wrong(k, 'a list of strings');
    return v as string[];
  }

  object(k: string): Reader | undefined {
    const v = this.obj[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw this.wrong(k, 'an object');
    return new Reader(v as Record<string, unknown>, this.key(k));
  }

  rawObject(): Record<string, unknown> {
    return this.obj;
  }
}

/** Decodes stdin: invalid JSON or a non-object is error 7, naming what to fix. */
export function decodeStdin(stdin: string): Record<string, unknown> {
  if (stdin.trim() === '') {
    throw invalid(
      'no network configuration on stdin',
      'the container runtime passes the network configuration as JSON on stdin; run the plugin through a CNI runtime (or pipe the config in)',
    );
  }
  let v: unknown;
  try {
    v = JSON.parse(stdin);
  } catch (e) {
    throw invalid(
      `failed to load netconf: ${(e as Error).message}`,
      'the network configuration must be JSON',
    );
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    throw invalid(`failed to load netconf: expected a JSON object, got ${jsonType(v)}`);
  }
  return v as Record<string, unknown>;
}

function logLevel(v: string | undefined): LogLevel {
  switch ((v ?? '').toLowerCase()) {
    case 'debug':
      return 'debug';
    case 'error':
      return 'error';
    case 'warn':
    case 'warning':
      return 'warning';
    default:
      return 'info'; // Calico: anything else means info
  }
}

function parseIpam(r: Reader | undefined): IpamConf {
  if (!r || !r.str('type')) {
    throw invalid(
      'invalid network config: "ipam.type" is missing',
      'add "ipam": {"type": "calico-ipam"} to the network configuration',
    );
  }
  return {
    type: r.str('type') as string,
    assignIPv4: r.flag('assign_ipv4', true),
    assignIPv6: r.flag('assign_ipv6', false),
    ipv4Pools: r.strList('ipv4_pools'),
    ipv6Pools: r.strList('ipv6_pools'),
    raw: r.rawObject(),
  };
}

function parseDatastore(r: Reader, env: Record<string, string>): DatastoreSettings {
  // Calico exports the netconf values into its environment and then reads the environment, so
  // netconf wins and ETCD_* (CALICO_ETCD_* first) fills the gaps.
  const fromEnv = (name: string): string | undefined => env[`CALICO_${name}`] || env[name] || undefined;
  const type = r.str('datastore_type') || fromEnv('DATASTORE_TYPE') || 'etcdv3';
  if (type === 'kubernetes') {
    throw invalid(
      'datastore_type "kubernetes" is not supported: calico-ts stores its data in etcd',
      'set "datastore_type": "etcdv3" and "etcd_endpoints" in the network configuration',
    );
  }
  if (type !== 'etcdv3') {
    throw invalid(
      `invalid network config: unknown datastore_type "${type}"`,
      'set "datastore_type": "etcdv3" (the only datastore calico-ts supports)',
    );
  }
  let endpoints = r.str('etcd_endpoints') || undefined;
  const authority = r.str('etcd_authority');
  if (!endpoints && authority) endpoints = `${r.str('etcd_scheme') || 'http'}://${authority}`;
  const s: DatastoreSettings = { datastoreType: 'etcdv3' };
  const set = (k: keyof Omit<DatastoreSettings, 'datastoreType'>, v: string | undefined): void => {
    if (v) s[k] = v;
  };
  set('etcdEndpoints', endpoints || fromEnv('ETCD_ENDPOINTS'));
  set('etcdDiscoverySrv', r.str('etcd_discovery_srv') || fromEnv('ETCD_DISCOVERY_SRV'));
  set('etcdKeyFile', r.str('etcd_key_file') || fromEnv('ETCD_KEY_FILE'));
  set('etcdCertFile', r.str('etcd_cert_file') || fromEnv('ETCD_CERT_FILE'));
  set('etcdCACertFile', r.str('etcd_ca_cert_file') || fromEnv('ETCD_CA_CERT_FILE'));
  set('etcdUsername', fromEnv('ETCD_USERNAME'));
  set('etcdPassword', fromEnv('ETCD_PASSWORD'));
  if (!s.etcdEndpoints && !s.etcdDiscoverySrv) {
    throw invalid(
      'invalid network config: no etcd endpoints specified',
      'set "etcd_endpoints" (e.g. "http://10.0.0.1:2379") in the network configuration, or ETCD_ENDPOINTS in the plugin environment',
    );
  }
  if (s.etcdEndpoints && s.etcdDiscoverySrv) {
    throw invalid(
      'invalid network config: both etcd_endpoints and etcd_discovery_srv are set',
      'use either "etcd_endpoints" or "etcd_discovery_srv"',
    );
  }
  if (!!s.etcdCertFile !== !!s.etcdKeyFile) {
    throw invalid(
      'invalid network config: an etcd client certificate needs its key and a key needs its certificate',
      'set both "etcd_cert_file" and "etcd_key_file", or neither',
    );
  }
  return s;
}

function parseValidAttachments(v: unknown): NetConf['validAttachments'] {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw invalid('invalid network config: "cni.dev/valid-attachments" must be a list');
  return v.map((a: unknown, i) => {
    const o = (a && typeof a === 'object' ? a : {}) as Record<string, unknown>;
    if (typeof o.containerID !== 'string' || typeof o.ifname !== 'string') {
      throw invalid(
        `invalid network config: "cni.dev/valid-attachments"[${i}] needs string "containerID" and "ifname"`,
      );
    }
    return { containerID: o.containerID, ifname: o.ifname };
  });
}

/**
 * Parses the network configuration of the `calico` and `calico-ipam` plugins. `env` supplies the
 * ETCD_* fallbacks; no other environment is read.
 */
export function parseNetConf(raw: Record<string, unknown>, env: Record<string, string> = {}): NetConf {
  const r = new Reader(raw, '');
  const cniVersion = resolveVersion(raw.cniVersion);
  const name = r.str('name');
  if (!name) {
    throw invalid(
      'invalid network config: "name" is missing',
      'give the network a name of letters, digits and _.- (it names the IPAM handles and the profile)',
    );
  }
  if (!NAME_RE.test(name)) {
    throw invalid(
      'invalid characters detected in the given network name. Only letters a-z, numbers 0-9, and symbols _.- are supported',
      `network name was ${JSON.stringify(name)}`,
    );
  }
  const deviceType = r.str('device_type') ?? '';
  if (deviceType !== '' && deviceType !== 'veth' && deviceType !== 'netkit') {
    throw invalid(`unknown device_type "${deviceType}" in CNI config (supported: "veth", "netkit")`);
  }
  const policy = r.object('policy');
  const policyType = policy?.str('type') ?? '';
  if (policyType !== '' && policyType !== 'k8s') {
    throw invalid(
      `invalid network config: unknown policy.type "${policyType}"`,
      'use "k8s" (profiles kns.<namespace>) or leave policy.type out (a profile named after the network)',
    );
  }
  const dataplaneOptions = r.object('dataplane_options');
  const dpType = dataplaneOptions?.str('type');
  if (dpType !== undefined && dpType !== 'linux') {
    throw new CniError(
      CniCode.UNSUPPORTED_FIELD,
      `invalid dataplane type: ${dpType}`,
      'calico-ts wires pods with the Linux dataplane only; remove "dataplane_options"',
    );
  }
  if (r.strList('readiness_gates').length > 0) {
    throw new CniError(
      CniCode.UNSUPPORTED_FIELD,
      'readiness_gates are not supported by calico-ts',
      'remove "readiness_gates" from the network configuration',
    );
  }
  const timeout = r.has('policy_setup_timeout_seconds') ? r.rawObject().policy_setup_timeout_seconds : 0;
  if (typeof timeout !== 'number' || timeout < 0) {
    throw invalid('invalid network config: "policy_setup_timeout_seconds" must be a number of seconds >= 0');
  }
  const mtu = r.int('mtu', 0);
  if (mtu !== 0 && (mtu < 68 || mtu > 65535)) {
    throw invalid(`invalid network config: "mtu" ${mtu} is out of range (68-65535, or 0 for the default)`);
  }
  const numQueues = r.int('num_queues', 1, Number.MIN_SAFE_INTEGER);
  const conf: NetConf = {
    cniVersion,
    name,
    type: r.str('type') ?? '',
    ipam: parseIpam(r.object('ipam')),
    datastore: parseDatastore(r, env),
    nodename: r.str('nodename') || undefined,
    nodenameFile: r.str('nodename_file') || DEFAULT_NODENAME_FILE,
    nodenameFileOptional: r.bool('nodename_file_optional', false),
    hostname: r.str('hostname') || undefined,
    mtu,
    requireMtuFile: r.bool('require_mtu_file', false),
    numQueues: numQueues <= 0 ? 1 : numQueues,
    deviceType: deviceType === 'netkit' ? 'netkit' : 'veth',
    ipamLockFile: r.str('ipam_lock_file') || DEFAULT_IPAM_LOCK_FILE,
    logLevel: logLevel(r.str('log_level')),
    logFilePath: r.str('log_file_path') || undefined,
    policyType: policyType as NetConf['policyType'],
    allowIpForwarding: r.object('container_settings')?.bool('allow_ip_forwarding', false) ?? false,
    prevResult: raw.prevResult ?? undefined,
    validAttachments: parseValidAttachments(raw['cni.dev/valid-attachments']),
    raw,
  };
  r.object('feature_control');
  r.object('kubernetes');
  return conf;
}
