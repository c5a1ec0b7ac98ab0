/**
 * The main routing table as `ip -4 -N -j route show table main` prints it (-N: numbers for type,
 * protocol and scope, so no /etc/iproute2 name tables are involved), and which routes are ours.
 */
import { formatCIDR, maskCIDR, tryParseCIDR } from '../../net/index.js';
import type { DesiredRoute } from '../calc/routing/index.js';

export interface KernelRoute {
  /** Canonical CIDR. */
  dst: string;
  /** RTN_* number: 1 unicast, 6 blackhole, ... */
  type: number;
  dev?: string;
  gateway?: string;
  onlink: boolean;
  /** RT_SCOPE_* number: 0 universe, 253 link. */
  scope: number;
  protocol: number;
  metric: number;
}

export const RTN_UNICAST = 1;
export const RTN_BLACKHOLE = 6;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RTPROT_KERNEL = 2;
export const RTPROT_BOOT = 3;

interface IpRouteJSON {
  dst?: string;
  type?: string;
  dev?: string;
  gateway?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
  flags?: string[];
}

function int(v: string | number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  return Number.isInteger(n) ? n : dflt;
}

/** Parses the JSON; fields iproute2 leaves out are its defaults (unicast, boot, universe, metric 0). */
export function parseRoutes(json: unknown): KernelRoute[] {
  if (!Array.isArray(json)) return [];
  const out: KernelRoute[] = [];
  for (const r of json as IpRouteJSON[]) {
    if (!r || typeof r.dst !== 'string') continue;
    const c = tryParseCIDR(r.dst === 'default' ? '0.0.0.0/0' : r.dst, { allowBareIP: true });
    if (!c || c.family !== 4) continue;
    const route: KernelRoute = {
      dst: formatCIDR(maskCIDR(c)),
      type: int(r.type, RTN_UNICAST),
      onlink: (r.flags ?? []).includes('onlink'),
      scope: int(r.scope, RT_SCOPE_UNIVERSE),
      protocol: int(r.protocol, RTPROT_BOOT),
      metric: int(r.metric, 0),
    };
    if (r.dev) route.dev = r.dev;
    if (r.gateway) route.gateway = r.gateway;
    out.push(route);
  }
  return out;
}

export interface RouteOwnership {
  /** Workload interface prefixes (`cali`). */
  workloadPrefixes: readonly string[];
  /** Own any route on a workload interface, not only those with the device protocol. */
  removeExternalRoutes: boolean;
  deviceProtocol: number;
  /** The protocol only Felix uses (80 unless configured otherwise). */
  exclusiveProtocol: number;
  /** Devices Felix owns outright (vxlan.calico). */
  devices: readonly string[];
}

export function isWorkloadDevice(dev: string | undefined, own: RouteOwnership): boolean {
  return dev !== undefined && own.workloadPrefixes.some((p) => dev.startsWith(p));
}

/**
 * A route is ours if it is on a workload interface or on our tunnel device, or carries Felix's
 * exclusive protocol. Kernel routes (from addresses) are never ours; nor is anything else.
 */
export function isOwnedRoute(r: KernelRoute, own: RouteOwnership): boolean {
  if (r.protocol === RTPROT_KERNEL) return false;
  if (isWorkloadDevice(r.dev, own)) return own.removeExternalRoutes || r.protocol === own.deviceProtocol;
  if (r.dev !== undefined && own.devices.includes(r.dev)) return true;
  return own.exclusiveProtocol !== RTPROT_BOOT && r.protocol === own.exclusiveProtocol;
}

/** Whether the kernel route is exactly the desired one. */
export function routeMatches(d: DesiredRoute, k: KernelRoute): boolean {
  return (
    k.dst === d.dst &&
    k.metric === 0 &&
    k.type === (d.type === 'blackhole' ? RTN_BLACKHOLE : RTN_UNICAST) &&
    (k.dev ?? '') === (d.dev ?? '') &&
    (k.gateway ?? '') === (d.gateway ?? '') &&
    k.onlink === (d.onlink === true) &&
    k.scope === (d.scope === 'link' ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE) &&
    k.protocol === d.protocol
  );
}

/** `ip -batch` line that makes the desired route (replace: also takes over a route with the same key). */
export function replaceRouteLine(d: DesiredRoute): string {
  if (d.type === 'blackhole') return `route replace blackhole ${d.dst} proto ${d.protocol}`;
  let s = `route replace ${d.dst}`;
  if (d.gateway) s += ` via ${d.gateway}`;
  if (d.dev) s += ` dev ${d.dev}`;
  if (d.onlink) s += ' onlink';
  s += ` scope ${d.scope === 'link' ? 'link' : 'global'} proto ${d.protocol}`;
  return s;
}

/** `ip -batch` line that deletes exactly this kernel route. */
export function deleteRouteLine(k: KernelRoute): string {
  let s = `route del ${k.type === RTN_BLACKHOLE ? 'blackhole ' : ''}${k.dst}`;
  if (k.gateway) s += ` via ${k.gateway}`;
  if (k.dev) s += ` dev ${k.dev}`;
  return `${s} proto ${k.protocol} metric ${k.metric}`;
}
