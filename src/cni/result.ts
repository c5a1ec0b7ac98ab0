/**
 * CNI results: one internal shape (the 1.x one) rendered for whichever version the config asked
 * for, and parsed back from any version (CHECK's prevResult).
 */
import { tryParseCIDR } from '../net/index.js';
import { CniCode, CniError } from './cni-error.js';
import { atLeast } from './versions.js';

export interface CniInterface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
}

export interface CniIPConfig {
  /** Index into interfaces. */
  interface?: number;
  /** Address with prefix, e.g. `10.244.0.5/32`. */
  address: string;
  gateway?: string;
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniDNS {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface CniResult {
  interfaces?: CniInterface[];
  ips: CniIPConfig[];
  routes?: CniRoute[];
  dns?: CniDNS;
}

function familyOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** The result JSON for `cniVersion` (field order as the Go types print it). */
export function renderResult(r: CniResult, cniVersion: string): string {
  const dns = r.dns ?? {};
  if (atLeast(cniVersion, '1.0.0')) {
    return JSON.stringify({
      cniVersion,
      interfaces: r.interfaces?.map((i) =>
        compact({ name: i.name, mac: i.mac, mtu: i.mtu, sandbox: i.sandbox }),
      ),
      ips: r.ips.map((ip) => compact({ interface: ip.interface, address: ip.address, gateway: ip.gateway })),
      routes: r.routes?.map((rt) => compact({ dst: rt.dst, gw: rt.gw })),
      dns,
    });
  }
  if (atLeast(cniVersion, '0.3.0')) {
    return JSON.stringify({
      cniVersion,
      interfaces: r.interfaces?.map((i) => compact({ name: i.name, mac: i.mac, sandbox: i.sandbox })),
      ips: r.ips.map((ip) =>
        compact({
          version: String(familyOf(ip.address)),
          interface: ip.interface,
          address: ip.address,
          gateway: ip.gateway,
        }),
      ),
      routes: r.routes?.map((rt) => compact({ dst: rt.dst, gw: rt.gw })),
      dns,
    });
  }
  // 0.1.0 / 0.2.0: one address per family, routes split by family.
  const legacy = (family: 4 | 6) => {
    const ip = r.ips.find((i) => familyOf(i.address) === family);
    if (!ip) return undefined;
    const routes = (r.routes ?? []).filter((rt) => familyOf(rt.dst) === family);
    return compact({
      ip: ip.address,
      gateway: ip.gateway,
      routes: routes.length ? routes.map((rt) => compact({ dst: rt.dst, gw: rt.gw })) : undefined,
    });
  };
  return JSON.stringify(compact({ cniVersion, ip4: legacy(4), ip6: legacy(6), dns }));
}

function bad(what: string): CniError {
  return new CniError(CniCode.INVALID_NETCONF, `invalid prevResult: ${what}`);
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw bad(`${what} must be a string`);
  return v;
}

function optStr(v: unknown, what: string): string | undefined {
  return v === undefined || v === null ? undefined : str(v, what);
}

function address(v: unknown, what: string): string {
  const s = str(v, what);
  if (!tryParseCIDR(s, { allowBareIP: false })) throw bad(`${what} "${s}" is not an address with a prefix`);
  return s;
}

function routes(v: unknown, what: string): CniRoute[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad(`${what} must be a list`);
  return v.map((rt: unknown, i) => {
    if (!rt || typeof rt !== 'object') throw bad(`${what}[${i}] must be an object`);
    const o = rt as Record<string, unknown>;
    return compact({ dst: str(o.dst, `${what}[${i}].dst`), gw: optStr(o.gw, `${what}[${i}].gw`) });
  });
}

/** Reads a result of any supported version (CHECK's prevResult) into the internal shape. */
export function parseResult(raw: unknown): CniResult {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad('must be an object');
  const o = raw as Record<string, unknown>;
  if (o.ip4 !== undefined || o.ip6 !== undefined) {
    const ips: CniIPConfig[] = [];
    const rts: CniRoute[] = [];
    for (const key of ['ip4', 'ip6'] as const) {
      const fam = o[key];
      if (fam === undefined || fam === null) continue;
      if (typeof fam !== 'object') throw bad(`${key} must be an object`);
      const f = fam as Record<string, unknown>;
      ips.push(
        compact({ address: address(f.ip, `${key}.ip`), gateway: optStr(f.gateway, `${key}.gateway`) }),
      );
      rts.push(...routes(f.routes, `${key}.routes`));
    }
    return { ips, routes: rts, dns: (o.dns as CniDNS) ?? {} };
  }
  const interfaces: CniInterface[] = [];
  if (o.interfaces !== undefined && o.interfaces !== null) {
    if (!Array.isArray(o.interfaces)) throw bad('interfaces must be a list');
    o.interfaces.forEach((i: unknown, n) => {
      if (!i || typeof i !== 'object') throw bad(`interfaces[${n}] must be an object`);
      const x = i as Record<string, unknown>;
      interfaces.push(
        compact({
          name: str(x.name, `interfaces[${n}].name`),
          mac: optStr(x.mac, `interfaces[${n}].mac`),
          mtu: typeof x.mtu === 'number' ? x.mtu : undefined,
          sandbox: optStr(x.sandbox, `interfaces[${n}].sandbox`),
        }),
      );
    });
  }
  if (o.ips !== undefined && o.ips !== null && !Array.isArray(o.ips)) throw bad('ips must be a list');
  const ips = ((o.ips as unknown[] | undefined) ?? []).map((ip: unknown, n) => {
    if (!ip || typeof ip !== 'object') throw bad(`ips[${n}] must be an object`);
    const x = ip as Record<string, unknown>;
    if (x.interface !== undefined && typeof x.interface !== 'number') {
      throw bad(`ips[${n}].interface must be a number`);
    }
    return compact({
      interface: x.interface as number | undefined,
      address: address(x.address, `ips[${n}].address`),
      gateway: optStr(x.gateway, `ips[${n}].gateway`),
    });
  });
  return { interfaces, ips, routes: routes(o.routes, 'routes'), dns: (o.dns as CniDNS) ?? {} };
}
