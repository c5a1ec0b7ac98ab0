/**
 * The pure core of IP autodetection: given the host's interfaces (as `ip -j addr show` lists
 * them), a method and a family, pick the address Calico would pick and say why.
 */
import { cidrContainsIP, formatCIDR, formatIP, tryParseIP, type IPFamily } from '../../../net/index.js';
import { DEFAULT_EXCLUDE_PATTERNS, matchesAny } from './excludes.js';
import {
  addressesOf,
  findAddress,
  hostCIDR,
  isGlobalUnicast,
  reverseIndexOrder,
  type HostAddress,
  type Iface,
} from './iface.js';
import { describeMethod, type AutodetectMethod } from './method.js';

export interface Detected {
  ok: true;
  /** The host address alone, e.g. `10.0.0.5`. */
  address: string;
  prefix: number;
  /** Address with the interface's prefix, e.g. `10.0.0.5/24` (what Node.spec.bgp stores). */
  cidr: string;
  iface: string;
  /** The method as configured, e.g. `interface=eth.*`. */
  method: string;
  /** Why this address, for the log line. */
  reason: string;
}

export interface NotDetected {
  ok: false;
  method: string;
  reason: string;
}

export type DetectResult = Detected | NotDetected;

/** What the kernel's route lookup answered for can-reach (the source address it would use). */
export interface RouteAnswer {
  destination: string;
  source?: string;
}

function found(a: HostAddress, method: string, reason: string): Detected {
  return {
    ok: true,
    address: formatIP(a.ip),
    prefix: a.prefix,
    cidr: hostCIDR(a),
    iface: a.iface,
    method,
    reason,
  };
}

/** First global unicast address of the family on the first accepted interface, highest ifindex first. */
function scan(
  ifaces: readonly Iface[],
  family: IPFamily,
  acceptIface: (i: Iface) => boolean,
  acceptAddr: (a: HostAddress) => boolean = () => true,
): { hit?: HostAddress; considered: string[] } {
  const considered: string[] = [];
  for (const iface of reverseIndexOrder(ifaces)) {
    if (!acceptIface(iface)) continue;
    considered.push(iface.ifname);
    for (const a of addressesOf(iface, family)) {
      if (isGlobalUnicast(a.ip) && acceptAddr(a)) return { hit: a, considered };
    }
  }
  return { considered };
}

function listed(names: string[]): string {
  return names.length ? names.join(', ') : 'none';
}

export function selectAddress(
  ifaces: readonly Iface[],
  method: AutodetectMethod,
  family: IPFamily,
  route?: RouteAnswer,
): DetectResult {
  const m = describeMethod(method);
  const v = `IPv${family}`;
  const fail = (reason: string): NotDetected => ({ ok: false, method: m, reason });
  switch (method.kind) {
    case 'first-found': {
      const r = scan(ifaces, family, (i) => !matchesAny(i.ifname, DEFAULT_EXCLUDE_PATTERNS));
      if (!r.hit) {
        return fail(
          `no global unicast ${v} address on any interface outside the default exclude list (interfaces considered: ${listed(r.considered)})`,
        );
      }
      return found(
        r.hit,
        m,
        `first global unicast ${v} address on ${r.hit.iface}, scanning interfaces from the highest ifindex and skipping the default exclude list`,
      );
    }
    case 'interface': {
      const pats = method.patterns.map((p) => p.source).join(',');
      // Calico applies no default excludes here: `interface=lo` may pick loopback-named devices.
      const r = scan(ifaces, family, (i) => matchesAny(i.ifname, method.patterns) !== undefined);
      if (!r.hit) {
        return fail(
          `no interface matching ${pats} has a global unicast ${v} address (matching interfaces: ${listed(r.considered)})`,
        );
      }
      return found(
        r.hit,
        m,
        `first global unicast ${v} address on ${r.hit.iface}, the first interface matching ${pats} that has one (highest ifindex first)`,
      );
    }
    case 'skip-interface': {
      const pats = method.patterns.map((p) => p.source).join(',');
      const r = scan(
        ifaces,
        family,
        (i) => !matchesAny(i.ifname, DEFAULT_EXCLUDE_PATTERNS) && !matchesAny(i.ifname, method.patterns),
      );
      if (!r.hit) {
        return fail(
          `no global unicast ${v} address on any interface outside the default exclude list and ${pats} (interfaces considered: ${listed(r.considered)})`,
        );
      }
      return found(
        r.hit,
        m,
        `first global unicast ${v} address on ${r.hit.iface}, scanning interfaces from the highest ifindex and skipping the default exclude list and ${pats}`,
      );
    }
    case 'cidr': {
      const within = method.cidrs.map(formatCIDR).join(',');
      const r = scan(
        ifaces,
        family,
        () => true,
        (a) => method.cidrs.some((c) => cidrContainsIP(c, a.ip)),
      );
      if (!r.hit) return fail(`no global unicast ${v} address inside ${within} on any interface`);
      const inside = method.cidrs.find((c) => cidrContainsIP(c, r.hit!.ip))!;
      return found(
        r.hit,
        m,
        `${formatIP(r.hit.ip)} on ${r.hit.iface} is the first global unicast ${v} address inside ${formatCIDR(inside)} (all interfaces, highest ifindex first)`,
      );
    }
    case 'can-reach': {
      if (!route?.source) return fail(`the kernel has no route to ${method.destination}`);
      const src = tryParseIP(route.source);
      if (!src || src.family !== family) {
        return fail(`the route to ${method.destination} uses source ${route.source}, not an ${v} address`);
      }
      const a = findAddress(ifaces, src);
      if (!a) {
        return fail(
          `the kernel routes to ${method.destination} from ${route.source}, but no interface carries it`,
        );
      }
      return found(
        a,
        m,
        `the kernel routes to ${method.destination}${route.destination !== method.destination ? ` (${route.destination})` : ''} from ${route.source}, which ${a.iface} carries`,
      );
    }
  }
}
