/** Field validators for IP addresses and CIDRs, on top of src/net. */
import { tryParseCIDR, tryParseIP, type CIDR, type IPAddr, type IPFamily } from '../../net/index.js';
import type { Checker } from '../check.js';

export interface IPFieldOptions {
  /** Require this address family. */
  family?: IPFamily;
}

export interface CIDRFieldOptions extends IPFieldOptions {
  /** Host bits must be zero (Calico's `net` validators); default false (`cidr` validators). */
  strict?: boolean;
  /** Accept a bare address as a full-length prefix; default true (Calico's ParseCIDROrIP). */
  allowBareIP?: boolean;
}

function familyName(f: IPFamily): string {
  return f === 4 ? 'IPv4' : 'IPv6';
}

/** Checks an optional IP address field; returns the parsed address when valid. */
export function checkIP(
  c: Checker,
  path: string,
  value: unknown,
  opts: IPFieldOptions = {},
): IPAddr | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ip = typeof value === 'string' ? tryParseIP(value) : undefined;
  if (!ip) {
    c.fail(
      path,
      value,
      opts.family ? `must be a valid ${familyName(opts.family)} address` : 'invalid IP address',
    );
    return undefined;
  }
  if (opts.family && ip.family !== opts.family) {
    c.fail(path, value, `must be a valid ${familyName(opts.family)} address`);
    return undefined;
  }
  return ip;
}

/** Parses a CIDR with the options' rules; undefined when invalid (no error recorded). */
export function parseCIDRField(value: string, opts: CIDRFieldOptions = {}): CIDR | undefined {
  const cidr = tryParseCIDR(value, { allowBareIP: opts.allowBareIP ?? true });
  if (!cidr) return undefined;
  if (opts.family && cidr.family !== opts.family) return undefined;
  if (
    opts.strict &&
    tryParseCIDR(value, { allowBareIP: opts.allowBareIP ?? true, strict: true }) === undefined
  ) {
    return undefined;
  }
  return cidr;
}

/** Checks an optional CIDR field; returns the parsed CIDR when valid. */
export function checkCIDR(
  c: Checker,
  path: string,
  value: unknown,
  opts: CIDRFieldOptions = {},
): CIDR | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const family = opts.family ? `${familyName(opts.family)} ` : '';
  const cidr =
    typeof value === 'string' ? tryParseCIDR(value, { allowBareIP: opts.allowBareIP ?? true }) : undefined;
  if (!cidr) {
    c.fail(path, value, `invalid ${family}CIDR`);
    return undefined;
  }
  if (opts.family && cidr.family !== opts.family) {
    c.fail(path, value, `must be an ${family}CIDR`);
    return undefined;
  }
  if (opts.strict && parseCIDRField(value as string, opts) === undefined) {
    c.fail(path, value, 'network is not strictly masked (host bits are set)');
    return undefined;
  }
  return cidr;
}

/** Checks each entry of an optional list of CIDRs. */
export function checkCIDRList(
  c: Checker,
  path: string,
  values: unknown,
  opts: CIDRFieldOptions = {},
): CIDR[] {
  if (!Array.isArray(values)) return [];
  const out: CIDR[] = [];
  values.forEach((v, i) => {
    const cidr = checkCIDR(c, `${path}[${i}]`, v, opts);
    if (cidr) out.push(cidr);
  });
  return out;
}

/**
 * `IP`, `IPv4:port` or `[IPv6]:port` (BGPPeer peerIP). Returns the address text and the port (0
 * when absent), or undefined when malformed or the port is not 1-65535.
 */
export function parseIPPort(text: string): { ip: string; addr: IPAddr; port: number } | undefined {
  let host = text;
  let port = 0;
  const v4 = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(text);
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text);
  const m = v4 ?? v6;
  if (m) {
    host = m[1];
    if (m[2].length > 5) return undefined;
    port = Number(m[2]);
    if (port < 1 || port > 65535) return undefined;
  }
  const addr = tryParseIP(host);
  if (!addr) return undefined;
  // A bracketed address must be IPv6 and an unbracketed host:port must be IPv4.
  if ((v6 && addr.family !== 6) || (v4 && addr.family !== 4)) return undefined;
  return { ip: host, addr, port };
}
