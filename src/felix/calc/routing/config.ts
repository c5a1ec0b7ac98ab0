/**
 * The FelixConfiguration fields routing reads, with Felix's defaults, merged the way Felix layers
 * them: the global `default` resource, then `node.<nodeName>`, then the caller's overrides (Felix's
 * environment variables / config file). Pure.
 */
import { parseDuration, type Resource } from '../../../api/index.js';

export type ProgramClusterRoutes = 'Enabled' | 'Disabled' | 'EnabledIPIPOnly' | 'EnabledNoEncapOnly';
export type NatOutgoingExclusions = 'IPPoolsOnly' | 'IPPoolsAndHostIPs';

export interface RoutingConfig {
  vxlanVNI: number;
  vxlanPort: number;
  /** 0 = host MTU − 50. */
  vxlanMTU: number;
  /** 0 = host MTU − 20. */
  ipipMTU: number;
  /** undefined = on when some pool uses the encapsulation (Felix's auto-detection). */
  vxlanEnabled?: boolean;
  ipipEnabled?: boolean;
  /** Protocol of workload and VXLAN routes; 3 (boot) means "use 80 for blackhole/IPIP/same-subnet". */
  deviceRouteProtocol: number;
  programClusterRoutes: ProgramClusterRoutes;
  ipForwarding: 'Enabled' | 'Disabled';
  /** Workload interface prefixes (Felix's InterfacePrefix, comma-separated there). */
  interfacePrefixes: string[];
  /** Delete routes on workload interfaces whatever their protocol (after the grace period). */
  removeExternalRoutes: boolean;
  natOutgoingAddress?: string;
  /** `[first, last]` source ports for masquerade. */
  natPortRange?: [number, number];
  natOutgoingExclusions: NatOutgoingExclusions;
  /** Interfaces whose MTU counts for the host MTU (Felix's MTUIfacePattern). */
  mtuIfacePattern: RegExp;
  /** How often the dataplane is re-read and drift repaired (Felix: RouteRefreshInterval). */
  routeRefreshMs: number;
}

export const DEFAULT_MTU_IFACE_PATTERN = /^((en|wl|ww|sl|ib)[Pcopsvx].*|(eth|wlan|wwan).*)/;

/**
 * Felix's defaults, except the refresh: Felix re-reads routes every 90 s; we re-read every 5 s so
 * a route or FDB entry deleted by hand is back within 10 s (reads are one `ip` call per kind).
 */
export const DEFAULT_ROUTING_CONFIG: Readonly<RoutingConfig> = Object.freeze({
  vxlanVNI: 4096,
  vxlanPort: 4789,
  vxlanMTU: 0,
  ipipMTU: 0,
  deviceRouteProtocol: 3,
  programClusterRoutes: 'EnabledIPIPOnly',
  ipForwarding: 'Enabled',
  interfacePrefixes: ['cali'],
  removeExternalRoutes: true,
  natOutgoingExclusions: 'IPPoolsOnly',
  mtuIfacePattern: DEFAULT_MTU_IFACE_PATTERN,
  routeRefreshMs: 5000,
});

type Spec = Record<string, unknown>;

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Applies the fields one FelixConfiguration spec sets on top of `cfg`. */
function layer(cfg: RoutingConfig, spec: Spec): void {
  const n = (k: string) => num(spec[k]);
  cfg.vxlanVNI = n('vxlanVNI') ?? cfg.vxlanVNI;
  cfg.vxlanPort = n('vxlanPort') ?? cfg.vxlanPort;
  cfg.vxlanMTU = n('vxlanMTU') ?? cfg.vxlanMTU;
  cfg.ipipMTU = n('ipipMTU') ?? cfg.ipipMTU;
  cfg.vxlanEnabled = bool(spec.vxlanEnabled) ?? cfg.vxlanEnabled;
  cfg.ipipEnabled = bool(spec.ipipEnabled) ?? cfg.ipipEnabled;
  cfg.deviceRouteProtocol = n('deviceRouteProtocol') ?? cfg.deviceRouteProtocol;
  const pcr = str(spec.programClusterRoutes);
  if (pcr === 'Enabled' || pcr === 'Disabled' || pcr === 'EnabledIPIPOnly' || pcr === 'EnabledNoEncapOnly')
    cfg.programClusterRoutes = pcr;
  const fwd = str(spec.ipForwarding);
  if (fwd === 'Enabled' || fwd === 'Disabled') cfg.ipForwarding = fwd;
  const prefix = str(spec.interfacePrefix);
  if (prefix)
    cfg.interfacePrefixes = prefix
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
  cfg.removeExternalRoutes = bool(spec.removeExternalRoutes) ?? cfg.removeExternalRoutes;
  cfg.natOutgoingAddress = str(spec.natOutgoingAddress) ?? cfg.natOutgoingAddress;
  const range = spec.natPortRange;
  if (typeof range === 'string' || typeof range === 'number') {
    const m = /^(\d+)(?::(\d+))?$/.exec(String(range));
    if (m) cfg.natPortRange = [Number(m[1]), Number(m[2] ?? m[1])];
  }
  const excl = str(spec.natOutgoingExclusions);
  if (excl === 'IPPoolsOnly' || excl === 'IPPoolsAndHostIPs') cfg.natOutgoingExclusions = excl;
  const pattern = str(spec.mtuIfacePattern);
  if (pattern) {
    try {
      cfg.mtuIfacePattern = new RegExp(pattern);
    } catch {
      // Validation rejects bad patterns on write; a stored bad one keeps the previous value.
    }
  }
  const refresh = str(spec.routeRefreshInterval);
  const ms = refresh === undefined ? undefined : parseDuration(refresh);
  if (ms !== undefined && ms > 0) cfg.routeRefreshMs = ms;
}

/**
 * The effective routing configuration for `nodeName` from the stored FelixConfigurations
 * (`default` first, then `node.<nodeName>`; other resources are ignored) and the caller's overrides.
 */
export function resolveRoutingConfig(
  nodeName: string,
  felixConfigs: Iterable<Resource>,
  overrides: Partial<RoutingConfig> = {},
): RoutingConfig {
  const cfg: RoutingConfig = {
    ...DEFAULT_ROUTING_CONFIG,
    interfacePrefixes: [...DEFAULT_ROUTING_CONFIG.interfacePrefixes],
  };
  let global: Resource | undefined;
  let perNode: Resource | undefined;
  for (const r of felixConfigs) {
    if (r.metadata.name === 'default') global = r;
    else if (r.metadata.name === `node.${nodeName}`) perNode = r;
  }
  if (global?.spec) layer(cfg, global.spec);
  if (perNode?.spec) layer(cfg, perNode.spec);
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (cfg as unknown as Record<string, unknown>)[k] = v;
  }
  return cfg;
}
