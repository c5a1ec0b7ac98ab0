/** BGPConfiguration (cluster-scoped): `default` holds cluster-wide BGP settings, `node.<name>` per-node ones. */
import type { Checker } from '../check.js';
import { checkASNumber, normaliseASNumber } from '../common/asnumber.js';
import { checkDuration } from '../common/duration.js';
import { checkEnum, checkIntRange, checkNameRef } from '../common/fields.js';
import { checkCIDR, checkIP } from '../common/ip-fields.js';
import { isSet, specOf, withSpec } from '../common/resource.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';

const Z = S.omitZero;
import type { Resource } from '../types.js';
import { checkBGPPassword, SECRET_KEY_SELECTOR, type BGPPassword } from './bgppeer.js';

export const LOG_SEVERITIES = ['Trace', 'Debug', 'Info', 'Warning', 'Error', 'Fatal'] as const;
export const ENABLED_DISABLED = ['Enabled', 'Disabled'] as const;
export const BIND_MODES = ['None', 'NodeIP'] as const;
export const PROGRAM_CLUSTER_ROUTES = [
  'Enabled',
  'Disabled',
  'EnabledIPIPOnly',
  'EnabledNoEncapOnly',
] as const;

export interface Community {
  name: string;
  /** `aa:nn` (standard, 16-bit parts) or `aa:nn:mm` (large, 32-bit parts). */
  value: string;
}

export interface PrefixAdvertisement {
  cidr: string;
  /** Community names defined in `communities`, or literal values. */
  communities: string[];
}

export interface BGPConfigurationSpec {
  logSeverityScreen?: string;
  nodeToNodeMeshEnabled?: boolean;
  asNumber?: number | string;
  serviceLoadBalancerIPs?: { cidr?: string }[];
  serviceExternalIPs?: { cidr?: string }[];
  serviceClusterIPs?: { cidr?: string }[];
  serviceLoadBalancerAggregation?: (typeof ENABLED_DISABLED)[number];
  communities?: Community[];
  prefixAdvertisements?: PrefixAdvertisement[];
  listenPort?: number;
  nodeMeshPassword?: BGPPassword;
  nodeMeshMaxRestartTime?: string;
  bindMode?: (typeof BIND_MODES)[number];
  ignoredInterfaces?: string[];
  localWorkloadPeeringIPV4?: string;
  localWorkloadPeeringIPV6?: string;
  programClusterRoutes?: (typeof PROGRAM_CLUSTER_ROUTES)[number];
  ipv4NormalRoutePriority?: number;
  ipv6NormalRoutePriority?: number;
}
export type BGPConfiguration = Resource<BGPConfigurationSpec>;

export const DEFAULT_AS_NUMBER = 64512;
const MAX_COMMUNITIES = 500;
const MAX_PREFIX_COMMUNITIES = 50;
const STANDARD_COMMUNITY = /^(\d+):(\d+)$/;
const LARGE_COMMUNITY = /^(\d+):(\d+):(\d+)$/;
const IGNORED_INTERFACE = /^[a-zA-Z0-9_.*-]{1,15}$/;

/** Fields only the `default` configuration may set, with the name Calico uses in its message. */
const DEFAULT_ONLY: [keyof BGPConfigurationSpec, string][] = [
  ['nodeToNodeMeshEnabled', 'nodeToNodeMeshEnabled'],
  ['asNumber', 'ASNumber'],
  ['serviceLoadBalancerIPs', 'ServiceLoadBalancerIPs'],
  ['serviceExternalIPs', 'ServiceExternalIPs'],
  ['serviceClusterIPs', 'ServiceClusterIPs'],
  ['nodeMeshPassword', 'nodeMeshPassword'],
  ['nodeMeshMaxRestartTime', 'nodeMeshMaxRestartTime'],
];

/** Why a community value is malformed, or undefined when it is a valid literal. */
export function communityValueProblem(value: string): string | undefined {
  const std = STANDARD_COMMUNITY.exec(value);
  const large = std ? undefined : LARGE_COMMUNITY.exec(value);
  if (!std && !large) return 'invalid community value or format used.';
  const bits = std ? 16 : 32;
  const max = 2 ** bits - 1;
  const parts = (std ?? large)!.slice(1);
  if (parts.some((p) => p.length > 10 || Number(p) > max))
    return `invalid community value, expected ${bits} bit value`;
  return undefined;
}

function defaults(r: Resource): Resource {
  const spec = specOf<BGPConfigurationSpec>(r);
  // CRD defaults (filled only when absent), as Calico's etcd mode applies them client-side.
  if (spec.logSeverityScreen === undefined) spec.logSeverityScreen = 'Info';
  if (spec.serviceLoadBalancerAggregation === undefined) spec.serviceLoadBalancerAggregation = 'Enabled';
  if (spec.asNumber !== undefined) spec.asNumber = normaliseASNumber(spec.asNumber);
  return withSpec(r, spec);
}

function checkServiceCIDRs(c: Checker, field: string, blocks: { cidr?: string }[] | undefined): void {
  (blocks ?? []).forEach((b, i) => checkCIDR(c, `spec.${field}[${i}].cidr`, b.cidr, { strict: true }));
}

function validate(r: Resource, c: Checker): void {
  const spec = specOf<BGPConfigurationSpec>(r);
  if (r.metadata.name !== 'default') {
    for (const [field, label] of DEFAULT_ONLY) {
      // Pointer fields count when present at all, lists when non-empty.
      const v = spec[field];
      if (Array.isArray(v) ? v.length > 0 : v !== undefined) {
        c.fail(`spec.${field}`, spec[field], `Cannot set ${label} on a non default BGP Configuration.`);
      }
    }
  }
  checkEnum(c, 'spec.logSeverityScreen', spec.logSeverityScreen, LOG_SEVERITIES, { caseInsensitive: true });
  checkASNumber(c, 'spec.asNumber', spec.asNumber);
  checkServiceCIDRs(c, 'serviceLoadBalancerIPs', spec.serviceLoadBalancerIPs);
  checkServiceCIDRs(c, 'serviceExternalIPs', spec.serviceExternalIPs);
  checkServiceCIDRs(c, 'serviceClusterIPs', spec.serviceClusterIPs);
  checkEnum(c, 'spec.serviceLoadBalancerAggregation', spec.serviceLoadBalancerAggregation, ENABLED_DISABLED);

  const communities = spec.communities ?? [];
  if (communities.length > MAX_COMMUNITIES) {
    c.fail('spec.communities', undefined, `must have at most ${MAX_COMMUNITIES} items`);
  }
  communities.forEach((cm, i) => {
    const at = `spec.communities[${i}]`;
    if (!isSet(cm.name)) c.fail(`${at}.name`, cm.name, 'community name must be specified');
    else checkNameRef(c, `${at}.name`, cm.name);
    if (!isSet(cm.value)) c.fail(`${at}.value`, cm.value, 'community value must be specified');
    else {
      const problem = communityValueProblem(cm.value);
      if (problem) c.fail(`${at}.value`, cm.value, problem);
    }
  });
  const prefixes = spec.prefixAdvertisements ?? [];
  if (prefixes.length > MAX_COMMUNITIES) {
    c.fail('spec.prefixAdvertisements', undefined, `must have at most ${MAX_COMMUNITIES} items`);
  }
  if (communities.length > 0 && prefixes.length === 0) {
    c.fail('spec.communities', undefined, 'communities are defined but not used in prefixAdvertisements');
  }
  const defined = new Set(communities.map((cm) => cm.name));
  prefixes.forEach((pa, i) => {
    const at = `spec.prefixAdvertisements[${i}]`;
    if (!isSet(pa.cidr)) c.fail(`${at}.cidr`, pa.cidr, 'CIDR must be specified');
    else checkCIDR(c, `${at}.cidr`, pa.cidr, { strict: true });
    if (pa.communities === undefined) c.fail(`${at}.communities`, undefined, 'communities must be specified');
    const list = pa.communities ?? [];
    if (list.length > MAX_PREFIX_COMMUNITIES) {
      c.fail(`${at}.communities`, undefined, `must have at most ${MAX_PREFIX_COMMUNITIES} items`);
    }
    list.forEach((v, j) => {
      const literal = STANDARD_COMMUNITY.test(v) || LARGE_COMMUNITY.test(v);
      if (literal) {
        const problem = communityValueProblem(v);
        if (problem) c.fail(`${at}.communities[${j}]`, v, problem);
      } else if (!defined.has(v)) {
        c.fail(`${at}.communities[${j}]`, v, 'community used is invalid or not defined.');
      }
    });
  });

  checkIntRange(c, 'spec.listenPort', spec.listenPort, 1, 65535);
  const meshOff = spec.nodeToNodeMeshEnabled === false;
  if (spec.nodeMeshPassword !== undefined) {
    checkBGPPassword(c, 'spec.nodeMeshPassword', spec.nodeMeshPassword);
    if (meshOff) {
      c.fail(
        'spec.nodeMeshPassword',
        undefined,
        'nodeMeshPassword cannot be set when nodeToNodeMeshEnabled is false',
      );
    }
  }
  if (spec.nodeMeshMaxRestartTime !== undefined) {
    checkDuration(c, 'spec.nodeMeshMaxRestartTime', spec.nodeMeshMaxRestartTime);
    if (meshOff) {
      c.fail(
        'spec.nodeMeshMaxRestartTime',
        spec.nodeMeshMaxRestartTime,
        'nodeMeshMaxRestartTime cannot be set when nodeToNodeMeshEnabled is false',
      );
    }
  }
  checkEnum(c, 'spec.bindMode', spec.bindMode, BIND_MODES);
  (spec.ignoredInterfaces ?? []).forEach((name, i) => {
    c.expect(
      name !== '*' && IGNORED_INTERFACE.test(name),
      `spec.ignoredInterfaces[${i}]`,
      name,
      `must be an interface name or pattern matching ${IGNORED_INTERFACE.source}, and not '*'`,
    );
  });
  checkIP(c, 'spec.localWorkloadPeeringIPV4', spec.localWorkloadPeeringIPV4, { family: 4 });
  checkIP(c, 'spec.localWorkloadPeeringIPV6', spec.localWorkloadPeeringIPV6, { family: 6 });
  checkEnum(c, 'spec.programClusterRoutes', spec.programClusterRoutes, PROGRAM_CLUSTER_ROUTES);
  checkIntRange(c, 'spec.ipv4NormalRoutePriority', spec.ipv4NormalRoutePriority, 1, 2147483646);
  checkIntRange(c, 'spec.ipv6NormalRoutePriority', spec.ipv6NormalRoutePriority, 1, 2147483646);
}

const CIDR_BLOCK = S.array(S.object({ cidr: S.string }));

export const bgpConfigurationKind: KindDef = {
  kind: 'BGPConfiguration',
  plural: 'bgpconfigurations',
  namespaced: false,
  aliases: ['bgpconfiguration', 'bgpconfigurations', 'bgpconfig', 'bgpconfigs'],
  spec: S.object({
    // Non-pointer Go fields with omitempty: zero values are not printed.
    logSeverityScreen: Z(S.string),
    nodeToNodeMeshEnabled: S.bool,
    asNumber: S.intOrString,
    serviceLoadBalancerIPs: Z(CIDR_BLOCK),
    serviceExternalIPs: Z(CIDR_BLOCK),
    serviceClusterIPs: Z(CIDR_BLOCK),
    serviceLoadBalancerAggregation: S.string,
    communities: Z(S.array(S.object({ name: S.string, value: S.string }))),
    prefixAdvertisements: Z(S.array(S.object({ cidr: S.string, communities: S.stringList }))),
    listenPort: Z(S.int),
    nodeMeshPassword: S.object({ secretKeyRef: SECRET_KEY_SELECTOR }),
    nodeMeshMaxRestartTime: S.string,
    bindMode: S.string,
    ignoredInterfaces: Z(S.stringList),
    localWorkloadPeeringIPV4: Z(S.string),
    localWorkloadPeeringIPV6: Z(S.string),
    programClusterRoutes: S.string,
    ipv4NormalRoutePriority: S.int,
    ipv6NormalRoutePriority: S.int,
  }),
  defaults,
  validate,
};
