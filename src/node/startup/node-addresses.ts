/**
 * Node IP addresses and interfaces (Calico's configureIPsAndSubnets): from `IP`/`IP6`, the Node's
 * current values and the host's interfaces, work out `spec.bgp.ipv4Address`/`ipv6Address` and
 * `spec.interfaces`, logging which address was chosen and why.
 */
import type { NodeSpec } from '../../api/index.js';
import { formatIP, tryParseCIDR, type IPFamily } from '../../net/index.js';
import type { AddressSetting, NodeConfig } from '../config.js';
import { autodetectAddress, type AutodetectIO } from './autodetect/autodetect.js';
import { DEFAULT_EXCLUDE_PATTERNS, matchesAny } from './autodetect/excludes.js';
import { familyName, findAddress, type Iface } from './autodetect/iface.js';
import { describeMethod, type AutodetectMethod } from './autodetect/method.js';
import { StartupError } from './errors.js';
import type { StartupLog } from './log.js';

export type NodeInterface = NonNullable<NodeSpec['interfaces']>[number];

export interface AddressOutcome {
  ipv4Address?: string;
  ipv6Address?: string;
  interfaces?: NodeInterface[];
  /** Whether each address came from autodetection this run (a conflict then clears it). */
  autodetected: { 4: boolean; 6: boolean };
}

/** The IP part of a stored `IP/prefix` (or bare IP), normalised; undefined if it does not parse. */
export function ipOf(cidrOrIP: string | undefined): string | undefined {
  if (!cidrOrIP) return undefined;
  const c = tryParseCIDR(cidrOrIP, { allowBareIP: true });
  return c ? formatIP({ family: c.family, value: c.addr }) : undefined;
}

/** Calico's validateIP: an address the host does not carry is only worth a warning. */
function confirmOnHost(ifaces: Iface[], cidr: string, log: StartupLog): void {
  const c = tryParseCIDR(cidr, { allowBareIP: true });
  if (!c) return;
  if (!findAddress(ifaces, { family: c.family, value: c.addr })) {
    log.warn(
      `Unable to confirm IPv${c.family} address ${formatIP({ family: c.family, value: c.addr })} is assigned to this host`,
      {
        family: c.family,
        address: cidr,
      },
    );
  }
}

async function decide(
  family: IPFamily,
  setting: AddressSetting,
  method: AutodetectMethod,
  current: string | undefined,
  io: AutodetectIO,
  log: StartupLog,
): Promise<{ address?: string; autodetected: boolean }> {
  const v = `IPv${family}`;
  const envName = family === 4 ? 'IP' : 'IP6';
  const ifaces = await io.interfaces();
  // IPv4 is detected when asked, or when unset and the Node has none; IPv6 only when asked.
  const detect = setting.mode === 'autodetect' || (family === 4 && setting.mode === 'unset' && !current);
  if (detect) {
    const r = await autodetectAddress(method, family, io);
    if (r.ok) {
      log.info(`Using autodetected ${v} address ${r.cidr} on interface ${r.iface}`, {
        family,
        address: r.cidr,
        interface: r.iface,
        method: r.method,
        reason: r.reason,
      });
      return { address: r.cidr, autodetected: true };
    }
    if (!current) {
      const methodVar = family === 4 ? 'IP_AUTODETECTION_METHOD' : 'IP6_AUTODETECTION_METHOD';
      throw new StartupError('autodetectFailed', `failed to autodetect an ${v} address: ${r.reason}`, {
        hint: `choose a different ${methodVar} (now ${describeMethod(method)}) or set ${envName} to this host's address`,
      });
    }
    log.warn(`Autodetection of ${v} address failed, keeping existing value: ${current}`, {
      family,
      address: current,
      method: r.method,
      reason: r.reason,
    });
    confirmOnHost(ifaces, current, log);
    return { address: current, autodetected: false };
  }
  if (setting.mode === 'explicit') {
    let prefix = setting.prefix;
    let reason = `${envName}=${setting.address}/${prefix} from the environment`;
    if (prefix === undefined) {
      const carrier = findAddress(ifaces, {
        family,
        value: tryParseCIDR(setting.address, { allowBareIP: true })!.addr,
      });
      prefix = carrier ? carrier.prefix : family === 4 ? 32 : 128;
      reason = carrier
        ? `${envName}=${setting.address} from the environment, prefix length from interface ${carrier.iface}`
        : `${envName}=${setting.address} from the environment; no interface carries it, so /${prefix}`;
    }
    const address = `${setting.address}/${prefix}`;
    log.info(`Using ${v} address ${address} from the environment`, { family, address, reason });
    confirmOnHost(ifaces, address, log);
    return { address, autodetected: false };
  }
  if (current) {
    log.info(`Keeping the Node's existing ${v} address ${current}`, {
      family,
      address: current,
      reason: setting.mode === 'none' ? `${envName}=none` : `${envName} is not set`,
    });
    confirmOnHost(ifaces, current, log);
  }
  return { address: current, autodetected: false };
}

/** Interfaces Calico records on the Node: all but the default excludes, sorted by name. */
export function nodeInterfaces(ifaces: readonly Iface[], families: IPFamily[]): NodeInterface[] | undefined {
  if (families.length === 0) return undefined;
  const wanted: string[] = families.map(familyName);
  const out: NodeInterface[] = [];
  for (const iface of [...ifaces].sort((a, b) => a.ifindex - b.ifindex)) {
    if (matchesAny(iface.ifname, DEFAULT_EXCLUDE_PATTERNS)) continue;
    const addrs = (iface.addr_info ?? [])
      .filter((a) => wanted.includes(a.family))
      .map((a) => ipOf(a.local))
      .filter((a): a is string => a !== undefined);
    out.push(addrs.length ? { name: iface.ifname, addresses: addrs } : { name: iface.ifname });
  }
  return out.sort((a, b) => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0));
}

function requested(s: AddressSetting): boolean {
  return s.mode === 'autodetect' || s.mode === 'explicit';
}

export async function configureAddresses(
  cfg: NodeConfig,
  current: NodeSpec,
  io: AutodetectIO,
  log: StartupLog,
): Promise<AddressOutcome> {
  const v4 = await decide(4, cfg.ipv4, cfg.ipv4Autodetection, current.bgp?.ipv4Address, io, log);
  const v6 = await decide(6, cfg.ipv6, cfg.ipv6Autodetection, current.bgp?.ipv6Address, io, log);
  if (!v4.address && !v6.address) {
    throw new StartupError(
      'noAddress',
      'no IPv4 or IPv6 addresses configured or detected, required for Calico networking',
      {
        hint: 'set IP (or IP=autodetect with a working IP_AUTODETECTION_METHOD), or CALICO_NETWORKING_BACKEND=none',
      },
    );
  }
  const families: IPFamily[] = [];
  if (requested(cfg.ipv4)) families.push(4);
  if (requested(cfg.ipv6)) families.push(6);
  return {
    ipv4Address: v4.address,
    ipv6Address: v6.address,
    interfaces: nodeInterfaces(await io.interfaces(), families),
    autodetected: { 4: v4.autodetected, 6: v6.autodetected },
  };
}
