/**
 * calico-node's environment, parsed once into a typed NodeConfig. A bad value is a CONFIG error that
 * names the variable, repeats the value and says what is accepted, before anything is written.
 */
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { parseASNumber, parseDuration, subdomainNameProblem, type EncapMode } from '../api/index.js';
import { formatCIDR, formatIP, maskCIDR, tryParseCIDR, type IPFamily } from '../net/index.js';
import { validateSelector } from '../selector/index.js';
import { EnvConfigError, parseAutodetectMethod, type AutodetectMethod } from './startup/autodetect/method.js';

export { EnvConfigError } from './startup/autodetect/method.js';

export type NetworkingBackend = 'bird' | 'vxlan' | 'none';
export type StartupLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What `IP` / `IP6` ask for. */
export type AddressSetting =
  /** Empty: IPv4 is autodetected only if the Node has no address yet; IPv6 keeps what the Node has. */
  | { mode: 'unset' }
  | { mode: 'autodetect' }
  /** No detection; an address already on the Node is kept. */
  | { mode: 'none' }
  /** `prefix` is absent for a bare IPv4 address: startup takes it from the interface carrying it. */
  | { mode: 'explicit'; address: string; prefix?: number };

/** The default pool of one family, from `CALICO_IPV4POOL_*` / `CALICO_IPV6POOL_*`. */
export interface PoolSettings {
  family: IPFamily;
  /** Masked CIDR from the environment; absent ⇒ 192.168.0.0/16 (with fallback) or a random ULA /48. */
  cidr?: string;
  ipipMode: EncapMode;
  vxlanMode: EncapMode;
  natOutgoing: boolean;
  disableBGPExport: boolean;
  blockSize: number;
  nodeSelector: string;
}

export interface NodeConfig {
  nodeName: string;
  /** Where the name came from, for the log. */
  nodeNameSource: 'NODENAME' | 'nodename file' | 'HOSTNAME' | 'hostname';
  /** CALICO_NODENAME_FILE: read for the name, written after startup. */
  nodenameFile: string;
  networkingBackend: NetworkingBackend;
  ipv4: AddressSetting;
  ipv6: AddressSetting;
  ipv4Autodetection: AutodetectMethod;
  ipv6Autodetection: AutodetectMethod;
  /** `AS`, numeric (dotted `A.B` converted). */
  asNumber?: number;
  k8sNodeRef?: string;
  disableNodeIPCheck: boolean;
  noDefaultPools: boolean;
  /** Undefined when that family's default pool is disabled (`none`, or NO_DEFAULT_POOLS). */
  ipv4Pool?: PoolSettings;
  ipv6Pool?: PoolSettings;
  clusterType: string;
  /** CALICO_ROUTER_ID: `hash` or an IPv4 address; absent ⇒ the node's IPv4 address. */
  routerId?: string;
  /** Every FELIX_<param> variable: lower-cased param name → value (Felix matches names case-insensitively). */
  felix: Record<string, string>;
  /** FELIX_IPV6SUPPORT (default true). */
  ipv6Support: boolean;
  /** FELIX_WIREGUARDHOSTENCRYPTIONENABLED: WireGuard tunnel addresses are then not allocated. */
  wireguardHostEncryption: boolean;
  disableFileLogging: boolean;
  disableFelix: boolean;
  waitForDatastore: boolean;
  autodetectPollIntervalMs: number;
  startupLogLevel: StartupLogLevel;
  /** Deprecations and other things worth one warning line at startup. */
  warnings: string[];
}

export interface ConfigSources {
  /** Reads a file, undefined when it does not exist (default: the real filesystem). */
  readFile?: (path: string) => string | undefined;
  /** The OS hostname (default: os.hostname()). */
  hostname?: () => string;
}

export const DEFAULT_NODENAME_FILE = '/var/lib/calico/nodename';
export const DEFAULT_IPV4_POOL_CIDR = '192.168.0.0/16';
export const DEFAULT_AUTODETECT_POLL_MS = 60_000;

const FALSE_WORDS = new Set(['false', '0', 'no', 'n', 'f']);

/** Calico's evaluateENVBool: unset ⇒ default; false/0/no/n/f (any case) ⇒ false; anything else ⇒ true. */
export function envBool(env: NodeJS.ProcessEnv, name: string, dflt: boolean): boolean {
  const v = env[name];
  if (v === undefined) return dflt;
  return !FALSE_WORDS.has(v.toLowerCase());
}

/** Only the literal `true` (any case) counts, as for NO_DEFAULT_POOLS and friends. */
function envTrue(env: NodeJS.ProcessEnv, name: string): boolean {
  return (env[name] ?? '').toLowerCase() === 'true';
}

function readFileDefault(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function resolveNodeName(
  env: NodeJS.ProcessEnv,
  nodenameFile: string,
  sources: ConfigSources,
): { name: string; source: NodeConfig['nodeNameSource']; variable: string } {
  const fromEnv = (env.NODENAME ?? '').trim();
  if (fromEnv) return { name: fromEnv, source: 'NODENAME', variable: 'NODENAME' };
  const fromFile = (sources.readFile ?? readFileDefault)(nodenameFile)?.trim();
  if (fromFile) return { name: fromFile, source: 'nodename file', variable: nodenameFile };
  const host = (env.HOSTNAME ?? '').trim().toLowerCase();
  if (host) return { name: host, source: 'HOSTNAME', variable: 'HOSTNAME' };
  const os = (sources.hostname ?? osHostname)().trim().toLowerCase();
  return { name: os, source: 'hostname', variable: 'the OS hostname' };
}

function parseAddress(env: NodeJS.ProcessEnv, variable: 'IP' | 'IP6', family: IPFamily): AddressSetting {
  const raw = env[variable] ?? '';
  const v = raw.trim();
  if (v === '') return { mode: 'unset' };
  if (v === 'autodetect') return { mode: 'autodetect' };
  if (v === 'none') return { mode: 'none' };
  const c = tryParseCIDR(v, { allowBareIP: true });
  if (!c || c.family !== family) {
    const eg = family === 4 ? '10.0.0.5 or 10.0.0.5/24' : 'fd00::5 or fd00::5/64';
    throw new EnvConfigError(
      variable,
      raw,
      `autodetect, none, or an IPv${family} address with an optional prefix length (${eg})`,
      `Environment does not contain a valid IPv${family} address`,
    );
  }
  const address = formatIP({ family, value: c.addr });
  if (v.includes('/')) return { mode: 'explicit', address, prefix: c.prefix };
  // A bare IPv6 address is a /128; a bare IPv4 one takes its interface's prefix later.
  return family === 6 ? { mode: 'explicit', address, prefix: 128 } : { mode: 'explicit', address };
}

function parseEncap(env: NodeJS.ProcessEnv, variable: string): EncapMode {
  const raw = env[variable] ?? '';
  switch (raw.toLowerCase()) {
    case '':
    case 'off':
    case 'never':
      return 'Never';
    case 'crosssubnet':
    case 'cross-subnet':
      return 'CrossSubnet';
    case 'always':
      return 'Always';
    default:
      throw new EnvConfigError(variable, raw, 'Never (or off), Always, or CrossSubnet (any case)');
  }
}

function parsePool(env: NodeJS.ProcessEnv, family: IPFamily): PoolSettings | undefined {
  const p = family === 4 ? 'CALICO_IPV4POOL' : 'CALICO_IPV6POOL';
  const rawCidr = env[`${p}_CIDR`] ?? '';
  if (rawCidr === 'none') return undefined;
  const [min, max, dflt] = family === 4 ? [20, 32, 26] : [116, 128, 122];

  const rawBlock = env[`${p}_BLOCK_SIZE`] ?? '';
  let blockSize = dflt;
  if (rawBlock !== '') {
    blockSize = /^[+-]?\d+$/.test(rawBlock) ? Number(rawBlock) : NaN;
    if (!(blockSize >= min && blockSize <= max)) {
      throw new EnvConfigError(`${p}_BLOCK_SIZE`, rawBlock, `an integer from ${min} to ${max}`);
    }
  }

  const nodeSelector = env[`${p}_NODE_SELECTOR`] ?? '';
  if (nodeSelector !== '') {
    try {
      validateSelector(nodeSelector);
    } catch (e) {
      throw new EnvConfigError(
        `${p}_NODE_SELECTOR`,
        nodeSelector,
        `a Calico selector such as all() or zone == "a" (${(e as Error).message})`,
      );
    }
  }

  let cidr: string | undefined;
  if (rawCidr !== '') {
    const c = tryParseCIDR(rawCidr);
    if (!c || c.family !== family) {
      throw new EnvConfigError(
        `${p}_CIDR`,
        rawCidr,
        `an IPv${family} CIDR such as ${family === 4 ? '10.244.0.0/16' : 'fd00:10:244::/48'}, or none`,
      );
    }
    cidr = formatCIDR(maskCIDR(c));
  }

  const ipipMode = family === 4 ? parseEncap(env, `${p}_IPIP`) : 'Never';
  const vxlanMode = parseEncap(env, `${p}_VXLAN`);
  if (ipipMode !== 'Never' && vxlanMode !== 'Never') {
    throw new EnvConfigError(
      `${p}_VXLAN`,
      env[`${p}_VXLAN`] ?? '',
      `Never while ${p}_IPIP is ${ipipMode} (a pool cannot use IPIP and VXLAN at once)`,
    );
  }
  return {
    family,
    cidr,
    ipipMode,
    vxlanMode,
    natOutgoing: envBool(env, `${p}_NAT_OUTGOING`, family === 4),
    disableBGPExport: envBool(env, `${p}_DISABLE_BGP_EXPORT`, false),
    blockSize,
    nodeSelector: nodeSelector || 'all()',
  };
}

function parseBackend(env: NodeJS.ProcessEnv, warnings: string[]): NetworkingBackend {
  // The legacy switch still wins, as in calico/node's rc.local.
  const legacy = env.CALICO_NETWORKING ?? '';
  if (legacy !== '') {
    warnings.push('CALICO_NETWORKING is deprecated: use CALICO_NETWORKING_BACKEND instead');
    return legacy === 'false' ? 'none' : 'bird';
  }
  const raw = env.CALICO_NETWORKING_BACKEND ?? '';
  if (raw === '') return 'bird';
  if (raw === 'bird' || raw === 'vxlan' || raw === 'none') return raw;
  throw new EnvConfigError('CALICO_NETWORKING_BACKEND', raw, 'bird (the default), vxlan or none');
}

function parseLogLevel(env: NodeJS.ProcessEnv): StartupLogLevel {
  const raw = env.CALICO_STARTUP_LOGLEVEL ?? '';
  switch (raw.toLowerCase()) {
    case '':
    case 'info':
      return 'info';
    case 'trace':
    case 'debug':
      return 'debug';
    case 'warn':
    case 'warning':
      return 'warn';
    case 'error':
    case 'fatal':
    case 'panic':
      return 'error';
    default:
      throw new EnvConfigError(
        'CALICO_STARTUP_LOGLEVEL',
        raw,
        'trace, debug, info, warning, error, fatal or panic',
      );
  }
}

function collectFelix(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || k.length <= 6 || k.slice(0, 6).toLowerCase() !== 'felix_') continue;
    out[k.slice(6).toLowerCase()] = v;
  }
  return out;
}

/** Parses calico-node's environment. Throws EnvConfigError (code CONFIG) on the first bad value. */
export function parseNodeConfig(
  env: NodeJS.ProcessEnv = process.env,
  sources: ConfigSources = {},
): NodeConfig {
  const warnings: string[] = [];
  const nodenameFile = env.CALICO_NODENAME_FILE || DEFAULT_NODENAME_FILE;
  const node = resolveNodeName(env, nodenameFile, sources);
  if (node.name === '') {
    throw new EnvConfigError(
      'NODENAME',
      '',
      'a node name (NODENAME, the nodename file, HOSTNAME or the OS hostname)',
    );
  }
  const nameProblem = subdomainNameProblem(node.name);
  if (nameProblem) {
    throw new EnvConfigError(
      node.variable,
      node.name,
      `a valid node name: ${nameProblem}`,
      node.source === 'NODENAME' ? undefined : 'set NODENAME to a DNS-1123 name for this host',
    );
  }

  const networkingBackend = parseBackend(env, warnings);
  const ipv4 = parseAddress(env, 'IP', 4);
  const ipv6 = parseAddress(env, 'IP6', 6);
  const ipv4Autodetection = parseAutodetectMethod(
    'IP_AUTODETECTION_METHOD',
    env.IP_AUTODETECTION_METHOD ?? '',
    4,
  );
  const ipv6Autodetection = parseAutodetectMethod(
    'IP6_AUTODETECTION_METHOD',
    env.IP6_AUTODETECTION_METHOD ?? '',
    6,
  );

  let asNumber: number | undefined;
  const rawAS = env.AS ?? '';
  if (rawAS !== '') {
    asNumber = parseASNumber(rawAS);
    if (asNumber === undefined) {
      throw new EnvConfigError('AS', rawAS, 'an AS number 0-4294967295, or dotted A.B with 16-bit halves');
    }
  }

  const noDefaultPools = envTrue(env, 'NO_DEFAULT_POOLS');
  let ipv4Pool: PoolSettings | undefined;
  let ipv6Pool: PoolSettings | undefined;
  if (noDefaultPools) {
    for (const v of ['CALICO_IPV4POOL_CIDR', 'CALICO_IPV6POOL_CIDR']) {
      if (env[v]) {
        throw new EnvConfigError(
          v,
          env[v]!,
          'no value while NO_DEFAULT_POOLS=true (they contradict each other)',
        );
      }
    }
  } else {
    ipv4Pool = parsePool(env, 4);
    ipv6Pool = parsePool(env, 6);
  }

  const rawRouterId = env.CALICO_ROUTER_ID ?? '';
  let routerId: string | undefined;
  if (rawRouterId !== '') {
    const c = rawRouterId === 'hash' ? undefined : tryParseCIDR(rawRouterId, { allowBareIP: true });
    if (rawRouterId !== 'hash' && (!c || c.family !== 4 || rawRouterId.includes('/'))) {
      throw new EnvConfigError('CALICO_ROUTER_ID', rawRouterId, 'hash, or an IPv4 address such as 10.0.0.1');
    }
    routerId = rawRouterId;
  }

  let autodetectPollIntervalMs = DEFAULT_AUTODETECT_POLL_MS;
  const rawPoll = env.AUTODETECT_POLL_INTERVAL ?? '';
  if (rawPoll !== '') {
    const ms = parseDuration(rawPoll);
    if (ms === undefined) {
      throw new EnvConfigError('AUTODETECT_POLL_INTERVAL', rawPoll, 'a duration such as 60s, 5m or 1h30m');
    }
    autodetectPollIntervalMs = ms;
  }

  const felix = collectFelix(env);
  return {
    nodeName: node.name,
    nodeNameSource: node.source,
    nodenameFile,
    networkingBackend,
    ipv4,
    ipv6,
    ipv4Autodetection,
    ipv6Autodetection,
    asNumber,
    k8sNodeRef: env.CALICO_K8S_NODE_REF || undefined,
    disableNodeIPCheck: env.DISABLE_NODE_IP_CHECK === 'true',
    noDefaultPools,
    ipv4Pool,
    ipv6Pool,
    clusterType: (env.CLUSTER_TYPE ?? '').trim(),
    routerId,
    felix,
    ipv6Support: felix.ipv6support === undefined ? true : !FALSE_WORDS.has(felix.ipv6support.toLowerCase()),
    wireguardHostEncryption: (felix.wireguardhostencryptionenabled ?? '').toLowerCase() === 'true',
    disableFileLogging: env.CALICO_DISABLE_FILE_LOGGING === 'true',
    disableFelix: (env.CALICO_DISABLE_FELIX ?? '') !== '',
    waitForDatastore: env.WAIT_FOR_DATASTORE === 'true',
    autodetectPollIntervalMs,
    startupLogLevel: parseLogLevel(env),
    warnings,
  };
}
