/**
 * FELIX_<param> environment variables → Felix's highest-precedence settings (over FelixConfiguration
 * `node.<name>` and `default`), for the routing parameters our Felix reads. The values are decoded
 * as FelixConfiguration fields and run through Felix's own layering, so an env value means exactly
 * what the same field in a FelixConfiguration means. Durations may be bare seconds (Felix's env
 * form, `90`) or Go durations (`90s`). Unknown or badly typed variables are reported, not fatal:
 * Felix logs and ignores them too.
 */
import type { Resource } from '../../api/index.js';
import { resolveRoutingConfig, type RoutingConfig } from '../../felix/calc/routing/index.js';

type Kind = 'int' | 'bool' | 'string' | 'duration';

/** Lower-cased parameter → FelixConfiguration field, its type, and the RoutingConfig field it sets. */
const PARAMS: Record<string, { field: string; kind: Kind; sets: keyof RoutingConfig }> = {
  vxlanvni: { field: 'vxlanVNI', kind: 'int', sets: 'vxlanVNI' },
  vxlanport: { field: 'vxlanPort', kind: 'int', sets: 'vxlanPort' },
  vxlanmtu: { field: 'vxlanMTU', kind: 'int', sets: 'vxlanMTU' },
  ipipmtu: { field: 'ipipMTU', kind: 'int', sets: 'ipipMTU' },
  vxlanenabled: { field: 'vxlanEnabled', kind: 'bool', sets: 'vxlanEnabled' },
  ipipenabled: { field: 'ipipEnabled', kind: 'bool', sets: 'ipipEnabled' },
  devicerouteprotocol: { field: 'deviceRouteProtocol', kind: 'int', sets: 'deviceRouteProtocol' },
  programclusterroutes: { field: 'programClusterRoutes', kind: 'string', sets: 'programClusterRoutes' },
  ipforwarding: { field: 'ipForwarding', kind: 'string', sets: 'ipForwarding' },
  interfaceprefix: { field: 'interfacePrefix', kind: 'string', sets: 'interfacePrefixes' },
  removeexternalroutes: { field: 'removeExternalRoutes', kind: 'bool', sets: 'removeExternalRoutes' },
  natoutgoingaddress: { field: 'natOutgoingAddress', kind: 'string', sets: 'natOutgoingAddress' },
  natportrange: { field: 'natPortRange', kind: 'string', sets: 'natPortRange' },
  natoutgoingexclusions: { field: 'natOutgoingExclusions', kind: 'string', sets: 'natOutgoingExclusions' },
  mtuifacepattern: { field: 'mtuIfacePattern', kind: 'string', sets: 'mtuIfacePattern' },
  routerefreshinterval: { field: 'routeRefreshInterval', kind: 'duration', sets: 'routeRefreshMs' },
};

export interface FelixEnvResult {
  overrides: Partial<RoutingConfig>;
  /** Variables whose value could not be decoded (FELIX_<NAME>=value: reason). */
  problems: string[];
}

function decode(kind: Kind, raw: string): unknown {
  const v = raw.trim();
  switch (kind) {
    case 'int':
      return /^-?\d+$/.test(v) ? Number(v) : undefined;
    case 'bool': {
      const l = v.toLowerCase();
      if (['true', '1', 'yes', 'y', 't'].includes(l)) return true;
      if (['false', '0', 'no', 'n', 'f'].includes(l)) return false;
      return undefined;
    }
    case 'duration':
      return /^\d+(\.\d+)?$/.test(v) ? `${Number(v) * 1000}ms` : v;
    case 'string':
      return v === '' ? undefined : v;
  }
}

/** `felix` is NodeConfig.felix: lower-cased param name → value. */
export function felixOverridesFromEnv(nodeName: string, felix: Record<string, string>): FelixEnvResult {
  const spec: Record<string, unknown> = {};
  const given: { param: string; sets: keyof RoutingConfig }[] = [];
  const problems: string[] = [];
  for (const [param, raw] of Object.entries(felix)) {
    const p = PARAMS[param];
    if (!p) continue;
    const value = decode(p.kind, raw);
    if (value === undefined) {
      problems.push(`FELIX_${param.toUpperCase()}=${raw}: not a valid ${p.kind}`);
      continue;
    }
    spec[p.field] = value;
    given.push({ param, sets: p.sets });
  }
  const base = resolveRoutingConfig(nodeName, []);
  const fake: Resource = {
    apiVersion: 'projectcalico.org/v3',
    kind: 'FelixConfiguration',
    metadata: { name: 'default' },
    spec,
  };
  const layered = resolveRoutingConfig(nodeName, [fake]);
  const overrides: Record<string, unknown> = {};
  for (const g of given) {
    const value = layered[g.sets];
    const raw = felix[g.param].trim();
    // The layering keeps the previous value when it cannot use a word (an unknown enum value).
    if (value === undefined || (typeof value === 'string' && value === base[g.sets] && value !== raw)) {
      problems.push(`FELIX_${g.param.toUpperCase()}=${felix[g.param]}: not accepted`);
      continue;
    }
    overrides[g.sets] = value;
  }
  return { overrides: overrides as Partial<RoutingConfig>, problems };
}

/** Policy parameters: lower-cased env name → FelixConfiguration field and type. */
const POLICY_PARAMS: Record<string, { field: string; kind: Kind }> = {
  ipv6support: { field: 'ipv6Support', kind: 'bool' },
  defaultendpointtohostaction: { field: 'defaultEndpointToHostAction', kind: 'string' },
  logprefix: { field: 'logPrefix', kind: 'string' },
  nftablesmode: { field: 'nftablesMode', kind: 'string' },
  iptablesbackend: { field: 'iptablesBackend', kind: 'string' },
  iptablesrefreshinterval: { field: 'iptablesRefreshInterval', kind: 'duration' },
};

export interface FelixPolicyEnv {
  /** FelixConfiguration spec fields from the env: the policy settings' top layer. */
  spec: Record<string, unknown>;
  problems: string[];
}

/**
 * FELIX_IPV6SUPPORT, FELIX_DEFAULTENDPOINTTOHOSTACTION, FELIX_NFTABLESMODE, ... as FelixConfiguration
 * fields: the top layer of the policy configuration, over `default` and `node.<name>`.
 */
export function felixPolicyEnv(felix: Record<string, string>): FelixPolicyEnv {
  const spec: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [param, raw] of Object.entries(felix)) {
    const p = POLICY_PARAMS[param];
    if (!p) continue;
    const value = decode(p.kind, raw);
    if (value === undefined) problems.push(`FELIX_${param.toUpperCase()}=${raw}: not a valid ${p.kind}`);
    else spec[p.field] = value;
  }
  return { spec, problems };
}
