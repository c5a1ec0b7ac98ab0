/**
 * FelixConfiguration (cluster-scoped): `default` (global), `node.<name>` (one node) or any other
 * name with a nodeSelector (selector-scoped). Every field is optional; absent means Felix's default.
 */
import { tryParseCIDR } from '../../net/index.js';
import type { Checker } from '../check.js';
import { checkDuration } from '../common/duration.js';
import {
  checkEnum,
  checkIntRange,
  checkInterfaceName,
  checkKeyValueList,
  checkRegexp,
} from '../common/fields.js';
import { checkCIDRList, checkIP } from '../common/ip-fields.js';
import { isDNS1123Label } from '../common/names.js';
import { parsePort, validatePort } from '../common/ports.js';
import { isSet, specOf, withSpec } from '../common/resource.js';
import { checkSelector } from '../common/selector-field.js';
import type { KindDef } from '../kind.js';
import { S, type Schema } from '../schema.js';
import type { Resource } from '../types.js';
import { LOG_SEVERITIES, PROGRAM_CLUSTER_ROUTES } from './bgpconfiguration.js';

type Check = (c: Checker, path: string, v: unknown) => void;
interface Field {
  schema: Schema;
  check?: Check;
}

const bool: Field = { schema: S.bool };
const str: Field = { schema: S.string };
const dur: Field = { schema: S.string, check: checkDuration };
const regexp: Field = { schema: S.string, check: checkRegexp };
const int = (min?: number, max?: number): Field => ({
  schema: S.int,
  check:
    min === undefined ? undefined : (c, p, v) => checkIntRange(c, p, v, min, max ?? Number.MAX_SAFE_INTEGER),
});
const oneOf = (values: readonly string[], caseInsensitive = false): Field => ({
  schema: S.string,
  check: (c, p, v) => checkEnum(c, p, v, values, { caseInsensitive }),
});
const pattern = (re: RegExp, what: string): Field => ({
  schema: S.string,
  check: (c, p, v) => {
    if (isSet(v)) c.expect(typeof v === 'string' && re.test(v), p, v, what);
  },
});
const ipOf = (family: 4 | 6): Field => ({
  schema: S.string,
  check: (c, p, v) => {
    if (isSet(v)) checkIP(c, p, v, { family });
  },
});
const cidrList: Field = { schema: S.stringList, check: (c, p, v) => checkCIDRList(c, p, v) };
const iface: Field = { schema: S.string, check: (c, p, v) => checkInterfaceName(c, p, v) };
const IFACE_FILTER = /^[a-zA-Z0-9:._+-]{1,15}$/;
const ifaceFilter = pattern(
  IFACE_FILTER,
  `must be an interface name or pattern matching ${IFACE_FILTER.source}`,
);
const ENABLED_DISABLED = ['Enabled', 'Disabled'] as const;

/** A single port or a numeric range, as numorstring.Port; named ports only where allowed. */
function checkPortValue(c: Checker, path: string, v: unknown, allowNamed: boolean): void {
  if (v === undefined || v === null) return;
  try {
    const port = parsePort(v);
    const problem = validatePort(port);
    if (problem) c.fail(path, v, problem);
    else if (!allowNamed && port.portName !== '')
      c.fail(path, v, 'must be a port number or range, not a named port');
  } catch (e) {
    c.fail(path, v, (e as Error).message);
  }
}
const portRange: Field = { schema: S.intOrString, check: (c, p, v) => checkPortValue(c, p, v, false) };

const PROTO_PORT: Schema = S.object({ protocol: S.string, port: S.int, net: S.string });
const protoPorts: Field = {
  schema: S.array(PROTO_PORT),
  check: (c, p, v) => {
    if (!Array.isArray(v)) return;
    v.forEach((pp: { protocol?: string; port?: number; net?: string }, i) => {
      const at = `${p}[${i}]`;
      // An empty protocol means TCP to Felix; otherwise the exact names below.
      if (isSet(pp.protocol) && !['TCP', 'UDP', 'SCTP'].includes(pp.protocol!)) {
        c.fail(`${at}.protocol`, pp.protocol, "protocol must be 'TCP' or 'UDP' or 'SCTP'.");
      }
      checkIntRange(c, `${at}.port`, pp.port, 0, 65535);
      if (isSet(pp.net) && !tryParseCIDR(pp.net!, { allowBareIP: true }))
        c.fail(`${at}.net`, pp.net, 'invalid CIDR');
    });
  },
};

const nodePortRanges: Field = {
  schema: S.array(S.intOrString),
  check: (c, p, v) => {
    if (!Array.isArray(v)) return;
    if (v.length > 7) c.fail(p, undefined, 'node port ranges list is too long (max 7)');
    v.forEach((x, i) => {
      if (typeof x === 'string' && !/^\d+(:\d+)?$/.test(x)) {
        c.fail(`${p}[${i}]`, x, 'node port ranges should not contain named ports');
      } else checkPortValue(c, `${p}[${i}]`, x, false);
    });
  },
};

const ROUTE_TABLE_RANGE: Schema = S.object({ min: S.int, max: S.int });
const routeTableRange: Field = {
  schema: ROUTE_TABLE_RANGE,
  check: (c, p, v) => {
    const r = v as { min?: number; max?: number } | undefined;
    if (!r) return;
    const min = r.min ?? 0;
    const max = r.max ?? 0;
    c.expect(
      min >= 1 && max >= min && max <= 250,
      p,
      r,
      'must be a range of route table indices within 1..250',
    );
  },
};
/** Linux route table ids are 32-bit; Calico caps the total number of tables it may own. */
const ROUTE_TABLE_MAX_LINUX = 0xffffffff;
const ROUTE_TABLE_RANGES_MAX_TABLES = 0xffff;
const routeTableRanges: Field = {
  schema: S.array(ROUTE_TABLE_RANGE),
  check: (c, p, v) => {
    if (!Array.isArray(v)) return;
    let total = 0;
    v.forEach((r: { min?: number; max?: number }, i) => {
      const at = `${p}[${i}]`;
      const min = r.min ?? 0;
      const max = r.max ?? 0;
      if (min > max) c.fail(at, r, 'min value cannot be greater than max value');
      if (min <= 0) c.fail(at, r, 'cannot target indices < 1');
      if (max > ROUTE_TABLE_MAX_LINUX) c.fail(at, r, 'max index too high');
      total += max - min + 1;
    });
    if (total > ROUTE_TABLE_RANGES_MAX_TABLES) c.fail(p, undefined, 'targets too many tables');
  },
};

const HTO_NAME = /^[a-zA-Z0-9_ -]+$/;
const healthTimeoutOverrides: Field = {
  schema: S.array(S.object({ name: S.string, timeout: S.string })),
  check: (c, p, v) => {
    if (!Array.isArray(v)) return;
    v.forEach((o: { name?: string; timeout?: string }, i) => {
      c.expect(
        typeof o.name === 'string' && HTO_NAME.test(o.name),
        `${p}[${i}].name`,
        o.name,
        `name should match regex ${HTO_NAME.source}`,
      );
      if (o.timeout === undefined) c.fail(`${p}[${i}].timeout`, undefined, 'timeout must be specified');
      else checkDuration(c, `${p}[${i}].timeout`, o.timeout);
    });
  },
};

const CT_TIMEOUT = /^(([0-9]*(\.[0-9]*)?(ms|s|h|m|us)+)+|Auto)$/;
const ctTimeout = pattern(CT_TIMEOUT, 'must be a duration such as 30s or Auto');
const bpfConntrackTimeouts: Field = {
  schema: S.object({
    creationGracePeriod: S.string,
    tcpSynSent: S.string,
    tcpEstablished: S.string,
    tcpFinsSeen: S.string,
    tcpResetSeen: S.string,
    udpTimeout: S.string,
    genericTimeout: S.string,
    icmpTimeout: S.string,
  }),
  check: (c, p, v) => {
    for (const [k, x] of Object.entries((v ?? {}) as Record<string, unknown>))
      ctTimeout.check!(c, `${p}.${k}`, x);
  },
};

const bpfLogFilters: Field = {
  schema: S.stringMap,
  check: (c, p, v) => {
    for (const k of Object.keys((v ?? {}) as object)) {
      c.expect(IFACE_NAME_OR_ALL(k), `${p}.${k}`, k, 'keys must be interface names or "all"');
    }
  },
};
function IFACE_NAME_OR_ALL(k: string): boolean {
  return k === 'all' || /^[a-zA-Z0-9_.-]{1,15}$/.test(k);
}

const ifaceFilterList: Field = {
  schema: S.stringList,
  check: (c, p, v) => {
    if (Array.isArray(v)) v.forEach((x, i) => ifaceFilter.check!(c, `${p}[${i}]`, x));
  },
};

const externalNodesList: Field = {
  schema: S.stringList,
  check: (c, p, v) => {
    if (!Array.isArray(v)) return;
    v.forEach((x, i) => {
      const cidr = typeof x === 'string' ? tryParseCIDR(x, { allowBareIP: true }) : undefined;
      if (!cidr) c.fail(`${p}[${i}]`, x, 'has invalid CIDR(s)');
      else if (cidr.family !== 4) c.fail(`${p}[${i}]`, x, 'has invalid IPv6 CIDR');
    });
  },
};

/** OpenStack regions become part of a namespace name `openstack-region-<region>` (≤ 63). */
const OPENSTACK_REGION_MAX = 63 - 'openstack-region-'.length;
const openstackRegion: Field = {
  schema: S.string,
  check: (c, p, v) => {
    if (!isSet(v) || typeof v !== 'string') return;
    if (v.length > OPENSTACK_REGION_MAX) c.fail(p, v, 'is too long');
    else if (!isDNS1123Label(v)) c.fail(p, v, 'must be a valid DNS label');
  },
};

const dscp: Field = {
  schema: S.intOrString,
  check: (c, p, v) => {
    if (typeof v === 'number') checkIntRange(c, p, v, 0, 63);
  },
};

const LOG_LEVEL = oneOf(LOG_SEVERITIES, true);
const ACCEPT_RETURN = oneOf(['Accept', 'Return'], true);
const DROP_REJECT = oneOf(['Drop', 'Reject'], true);
const UINT32 = int(0, 0xffffffff);
const PORT = int(0, 65535);
const ROUTE_PRIORITY = int(1, 2147483646);
const GO_RUNTIME = int(-1);

/** Every FelixConfigurationSpec field, in Go struct order (the JSON output order). */
const FIELDS: Record<string, Field> = {
  nodeSelector: str,
  useInternalDataplaneDriver: bool,
  dataplaneDriver: str,
  dataplaneWatchdogTimeout: dur,
  ipv6Support: bool,
  routeRefreshInterval: dur,
  interfaceRefreshInterval: dur,
  iptablesRefreshInterval: dur,
  iptablesPostWriteCheckInterval: dur,
  iptablesLockProbeInterval: dur,
  featureDetectOverride: { schema: S.string, check: checkKeyValueList },
  featureGates: { schema: S.string, check: checkKeyValueList },
  ipsetsRefreshInterval: dur,
  maxIpsetSize: int(),
  iptablesBackend: oneOf(['Auto', 'Legacy', 'NFT'], true),
  xdpRefreshInterval: dur,
  netlinkTimeout: dur,
  metadataAddr: str,
  metadataPort: PORT,
  openstackRegion,
  interfacePrefix: str,
  interfaceExclude: str,
  chainInsertMode: oneOf(['Insert', 'Append'], true),
  defaultEndpointToHostAction: oneOf(['Drop', 'Accept', 'Return'], true),
  iptablesFilterAllowAction: ACCEPT_RETURN,
  iptablesMangleAllowAction: ACCEPT_RETURN,
  iptablesFilterDenyAction: DROP_REJECT,
  logPrefix: pattern(/^([a-zA-Z0-9%: /_-])*$/, 'may contain only letters, digits and % : / _ - and spaces'),
  logActionRateLimit: pattern(
    /^[1-9]\d{0,3}\/(?:second|minute|hour|day)$/,
    'must look like 10/second (per second, minute, hour or day)',
  ),
  logActionRateLimitBurst: int(0, 9999),
  logFilePath: str,
  logSeverityFile: LOG_LEVEL,
  logSeverityScreen: LOG_LEVEL,
  logSeveritySys: LOG_LEVEL,
  logDebugFilenameRegex: regexp,
  ipipEnabled: bool,
  ipipMTU: int(),
  vxlanEnabled: bool,
  vxlanMTU: int(),
  vxlanMTUV6: int(),
  vxlanPort: PORT,
  vxlanVNI: int(0, 0xffffff),
  allowVXLANPacketsFromWorkloads: bool,
  allowIPIPPacketsFromWorkloads: bool,
  reportingInterval: dur,
  reportingTTL: dur,
  endpointReportingEnabled: bool,
  endpointReportingDelay: dur,
  endpointStatusPathPrefix: str,
  iptablesMarkMask: UINT32,
  disableConntrackInvalidCheck: bool,
  healthEnabled: bool,
  healthHost: str,
  healthPort: PORT,
  healthTimeoutOverrides,
  prometheusMetricsEnabled: bool,
  prometheusMetricsHost: pattern(/^[a-zA-Z0-9:._+-]{1,64}$/, 'must be a host name or address'),
  prometheusMetricsPort: PORT,
  prometheusGoMetricsEnabled: bool,
  prometheusProcessMetricsEnabled: bool,
  prometheusWireGuardMetricsEnabled: bool,
  prometheusMetricsCAFile: str,
  prometheusMetricsCertFile: str,
  prometheusMetricsKeyFile: str,
  prometheusMetricsClientAuth: oneOf([
    'RequireAndVerifyClientCert',
    'RequireAnyClientCert',
    'VerifyClientCertIfGiven',
    'NoClientCert',
  ]),
  failsafeInboundHostPorts: protoPorts,
  failsafeOutboundHostPorts: protoPorts,
  kubeNodePortRanges: nodePortRanges,
  policySyncPathPrefix: str,
  usageReportingEnabled: bool,
  usageReportingInitialDelay: dur,
  usageReportingInterval: dur,
  natPortRange: portRange,
  natOutgoingAddress: ipOf(4),
  natOutgoingExclusions: oneOf(['IPPoolsOnly', 'IPPoolsAndHostIPs']),
  deviceRouteSourceAddress: ipOf(4),
  deviceRouteSourceAddressIPv6: ipOf(6),
  deviceRouteProtocol: int(0, 255),
  removeExternalRoutes: bool,
  programClusterRoutes: oneOf(PROGRAM_CLUSTER_ROUTES),
  ipForwarding: oneOf(ENABLED_DISABLED),
  externalNodesList,
  debugMemoryProfilePath: str,
  debugDisableLogDropping: bool,
  debugSimulateCalcGraphHangAfter: dur,
  debugSimulateDataplaneHangAfter: dur,
  debugSimulateDataplaneApplyDelay: dur,
  debugHost: str,
  debugPort: PORT,
  iptablesNATOutgoingInterfaceFilter: ifaceFilter,
  sidecarAccelerationEnabled: bool,
  xdpEnabled: bool,
  genericXDPEnabled: bool,
  nftablesMode: oneOf(['Disabled', 'Enabled', 'Auto']),
  nftablesFlowTableOffload: oneOf(['All', 'Disabled']),
  nftablesFlowTableDataIfacePattern: regexp,
  nftablesRefreshInterval: dur,
  nftablesFilterAllowAction: ACCEPT_RETURN,
  nftablesMangleAllowAction: ACCEPT_RETURN,
  nftablesFilterDenyAction: DROP_REJECT,
  nftablesMarkMask: UINT32,
  bpfEnabled: bool,
  bpfOverlayHostSourceIP: oneOf(['TunnelAddress', 'HostAddress']),
  bpfDisableUnprivileged: bool,
  bpfJITHardening: oneOf(['Auto', 'Strict']),
  bpfLogLevel: oneOf(['Off', 'Info', 'Debug'], true),
  bpfConntrackLogLevel: oneOf(['Off', 'Debug']),
  bpfConntrackMode: oneOf(['Auto', 'Userspace', 'BPFProgram']),
  bpfConntrackTimeouts,
  bpfIPFragTimeout: dur,
  bpfLogFilters,
  bpfCTLBLogFilter: str,
  bpfDataIfacePattern: regexp,
  bpfL3IfacePattern: regexp,
  bpfConnectTimeLoadBalancingEnabled: bool,
  bpfConnectTimeLoadBalancing: oneOf(['TCP', 'Enabled', 'Disabled']),
  bpfHostNetworkedNATWithoutCTLB: oneOf(ENABLED_DISABLED),
  bpfExternalServiceMode: oneOf(['Tunnel', 'DSR'], true),
  bpfDSROptoutCIDRs: cidrList,
  bpfExtToServiceConnmark: UINT32,
  bpfKubeProxyIptablesCleanupEnabled: bool,
  bpfKubeProxyMinSyncPeriod: dur,
  bpfKubeProxyHealthzPort: PORT,
  bpfPSNATPorts: portRange,
  bpfMapSizeNATFrontend: int(),
  bpfMapSizeNATBackend: int(),
  bpfMapSizeNATAffinity: int(),
  bpfMapSizeRoute: int(),
  bpfMapSizeConntrack: int(),
  bpfMapSizePerCpuConntrack: int(),
  bpfMapSizeConntrackScaling: oneOf(['Disabled', 'DoubleIfFull'], true),
  bpfMapSizeConntrackCleanupQueue: int(1),
  bpfMapSizeIPSets: int(),
  bpfMapSizeIfState: int(),
  bpfHostConntrackBypass: bool,
  bpfIPFragmentReassemblyEnabled: bool,
  bpfEnforceRPF: oneOf(['Disabled', 'Strict', 'Loose'], true),
  bpfPolicyDebugEnabled: bool,
  bpfForceTrackPacketsFromIfaces: ifaceFilterList,
  bpfDisableGROForIfaces: regexp,
  bpfExcludeCIDRsFromNAT: cidrList,
  bpfExportBufferSizeMB: int(),
  istioAmbientMode: oneOf(ENABLED_DISABLED),
  istioDSCPMark: dscp,
  cgroupV2Path: str,
  flowLogsPolicyEvaluationMode: oneOf(['None', 'Continuous']),
  bpfRedirectToPeer: oneOf(ENABLED_DISABLED),
  bpfAttachType: oneOf(['TC', 'TCX', 'Netkit']),
  flowLogsFlushInterval: dur,
  flowLogsCollectorDebugTrace: bool,
  flowLogsGoldmaneServer: str,
  flowLogsLocalReporter: oneOf(ENABLED_DISABLED),
  bpfProfiling: oneOf(ENABLED_DISABLED),
  routeSource: oneOf(['WorkloadIPs', 'CalicoIPAM'], true),
  routeTableRanges,
  routeTableRange,
  routeSyncDisabled: bool,
  ipv4NormalRoutePriority: ROUTE_PRIORITY,
  ipv4ElevatedRoutePriority: ROUTE_PRIORITY,
  ipv6NormalRoutePriority: ROUTE_PRIORITY,
  ipv6ElevatedRoutePriority: ROUTE_PRIORITY,
  liveMigrationRouteConvergenceTime: dur,
  wireguardEnabled: bool,
  wireguardEnabledV6: bool,
  wireguardThreadingEnabled: bool,
  wireguardListeningPort: int(1, 65535),
  wireguardListeningPortV6: int(1, 65535),
  wireguardRoutingRulePriority: int(1, 32765),
  wireguardInterfaceName: iface,
  wireguardInterfaceNameV6: iface,
  wireguardMTU: int(),
  wireguardMTUV6: int(),
  wireguardHostEncryptionEnabled: bool,
  wireguardKeepAlive: dur,
  awsSrcDstCheck: oneOf(['DoNothing', 'Enable', 'Disable']),
  serviceLoopPrevention: oneOf(['Drop', 'Reject', 'Disabled']),
  workloadSourceSpoofing: oneOf(['Disabled', 'Any']),
  mtuIfacePattern: regexp,
  floatingIPs: oneOf(ENABLED_DISABLED),
  localSubnetL2Reachability: oneOf(['Disabled', 'PodsAndLoadBalancers']),
  localSubnetL2ReachabilityRefreshInterval: dur,
  windowsManageFirewallRules: oneOf(ENABLED_DISABLED),
  goGCThreshold: GO_RUNTIME,
  goMemoryLimitMB: GO_RUNTIME,
  goMaxProcs: GO_RUNTIME,
  requireMTUFile: bool,
  bpfMaglevMaxEndpointsPerService: int(1, 3000),
  bpfMaglevMaxServices: int(1, 3000),
};

/** The commonly used fields, typed; the schema accepts every field in FIELDS. */
export interface FelixConfigurationSpec {
  nodeSelector?: string;
  ipv6Support?: boolean;
  bpfEnabled?: boolean;
  iptablesBackend?: 'Auto' | 'Legacy' | 'NFT';
  nftablesMode?: 'Enabled' | 'Disabled' | 'Auto';
  nftablesFlowTableOffload?: 'All' | 'Disabled';
  logSeverityScreen?: string;
  logSeverityFile?: string;
  logSeveritySys?: string;
  logFilePath?: string;
  interfacePrefix?: string;
  interfaceExclude?: string;
  chainInsertMode?: string;
  defaultEndpointToHostAction?: string;
  iptablesFilterAllowAction?: string;
  iptablesFilterDenyAction?: string;
  ipipEnabled?: boolean;
  ipipMTU?: number;
  vxlanEnabled?: boolean;
  vxlanPort?: number;
  vxlanVNI?: number;
  vxlanMTU?: number;
  vxlanMTUV6?: number;
  wireguardEnabled?: boolean;
  wireguardEnabledV6?: boolean;
  wireguardListeningPort?: number;
  wireguardInterfaceName?: string;
  wireguardMTU?: number;
  reportingInterval?: string;
  reportingTTL?: string;
  healthEnabled?: boolean;
  healthHost?: string;
  healthPort?: number;
  prometheusMetricsEnabled?: boolean;
  prometheusMetricsPort?: number;
  failsafeInboundHostPorts?: ProtoPort[];
  failsafeOutboundHostPorts?: ProtoPort[];
  routeRefreshInterval?: string;
  iptablesRefreshInterval?: string;
  natOutgoingAddress?: string;
  natPortRange?: number | string;
  mtuIfacePattern?: string;
  deviceRouteProtocol?: number;
  removeExternalRoutes?: boolean;
  routeSource?: 'WorkloadIPs' | 'CalicoIPAM';
  ipForwarding?: 'Enabled' | 'Disabled';
  serviceLoopPrevention?: 'Drop' | 'Reject' | 'Disabled';
  workloadSourceSpoofing?: 'Disabled' | 'Any';
  kubeNodePortRanges?: (number | string)[];
  iptablesMarkMask?: number;
  endpointStatusPathPrefix?: string;
  usageReportingEnabled?: boolean;
  metadataAddr?: string;
  metadataPort?: number;
  floatingIPs?: 'Enabled' | 'Disabled';
  bpfConnectTimeLoadBalancingEnabled?: boolean;
  bpfConnectTimeLoadBalancing?: 'TCP' | 'Enabled' | 'Disabled';
  bpfHostNetworkedNATWithoutCTLB?: 'Enabled' | 'Disabled';
  programClusterRoutes?: string;
  routeTableRange?: { min: number; max: number };
  routeTableRanges?: { min: number; max: number }[];
  externalNodesList?: string[];
  openstackRegion?: string;
  healthTimeoutOverrides?: { name: string; timeout: string }[];
  featureDetectOverride?: string;
  featureGates?: string;
  [field: string]: unknown;
}
export type FelixConfiguration = Resource<FelixConfigurationSpec>;

export interface ProtoPort {
  protocol?: string;
  port: number;
  net?: string;
}

/** Felix's field names, in Go order. */
export const FELIX_CONFIG_FIELDS: readonly string[] = Object.keys(FIELDS);

function defaults(r: Resource): Resource {
  const spec = specOf<FelixConfigurationSpec>(r);
  // What Calico's client and CRD defaulting fill in etcd mode (only absent fields).
  if (spec.floatingIPs === undefined) spec.floatingIPs = 'Disabled';
  if (spec.bpfConnectTimeLoadBalancing === undefined) spec.bpfConnectTimeLoadBalancing = 'TCP';
  if (spec.bpfHostNetworkedNATWithoutCTLB === undefined) spec.bpfHostNetworkedNATWithoutCTLB = 'Enabled';
  // The deprecated boolean, when set, decides both of its replacements.
  if (spec.bpfConnectTimeLoadBalancingEnabled !== undefined) {
    spec.bpfHostNetworkedNATWithoutCTLB = 'Disabled';
    spec.bpfConnectTimeLoadBalancing = spec.bpfConnectTimeLoadBalancingEnabled ? 'Enabled' : 'Disabled';
  }
  if (spec.nftablesMode === undefined) spec.nftablesMode = 'Auto';
  if (spec.nftablesFlowTableOffload === undefined) spec.nftablesFlowTableOffload = 'Disabled';
  return withSpec(r, spec);
}

/** `default` and `node.<name>` apply by name; other names apply through their nodeSelector. */
export function isNamedFelixConfiguration(name: string | undefined): boolean {
  return name === 'default' || (name ?? '').startsWith('node.');
}

function validate(r: Resource, c: Checker): void {
  const spec = specOf<FelixConfigurationSpec>(r);
  for (const [name, field] of Object.entries(FIELDS)) {
    const v = spec[name];
    if (v !== undefined && v !== null && field.check) field.check(c, `spec.${name}`, v);
  }
  if (spec.nodeSelector !== undefined) {
    if (isNamedFelixConfiguration(r.metadata.name)) {
      c.fail(
        'spec.nodeSelector',
        spec.nodeSelector,
        "nodeSelector must not be set on the 'default' or per-node ('node.*') FelixConfiguration",
      );
    } else checkSelector(c, 'spec.nodeSelector', spec.nodeSelector);
  }
  if (spec.routeTableRange !== undefined && spec.routeTableRanges !== undefined) {
    c.fail('spec.routeTableRanges', undefined, 'routeTableRange and routeTableRanges cannot both be set');
  }
}

export const felixConfigurationKind: KindDef = {
  kind: 'FelixConfiguration',
  plural: 'felixconfigurations',
  namespaced: false,
  aliases: ['felixconfiguration', 'felixconfigurations', 'felixconfig', 'felixconfigs'],
  spec: S.object(Object.fromEntries(Object.entries(FIELDS).map(([k, f]) => [k, f.schema]))),
  defaults,
  validate,
};
