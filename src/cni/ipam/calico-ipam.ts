/**
 * The `calico-ipam` plugin's work (spec cni.md §8), callable in-process by the `calico` plugin:
 * assign addresses to the handle `<network>.<containerID>` (reusing what the handle already holds,
 * so a repeated ADD does not leak), release them by handle.
 */
import { isCalicoError } from '../../errors/index.js';
import { partialFulfillmentError, type AutoAssignResult } from '../../ipam/ipam-interface.js';
import { handleKey } from '../../ipam/model.js';
import type { IPPoolSpec } from '../../api/kinds/ippool.js';
import type { Resource } from '../../api/types.js';
import { canonicalCIDR, tryParseCIDR, tryParseIP } from '../../net/index.js';
import { CniCode, CniError } from '../cni-error.js';
import type { WorkloadIdentity } from '../identity.js';
import type { CniLogger } from '../logger.js';
import type { NetConf } from '../netconf.js';
import type { CniResult } from '../result.js';
import type { CniDatastore } from '../types.js';
import { withHostLock } from './host-lock.js';
import { exhaustedError, ipamCniError, noPoolError } from './ipam-errors.js';

/** Calico's budget for one allocation, counted after the host lock is taken. */
const IPAM_TIMEOUT_MS = 90_000;

export interface IpamRequest {
  conf: NetConf;
  ids: WorkloadIdentity;
  ds: CniDatastore;
  log: CniLogger;
  now: Date;
  /** `IP=` from CNI_ARGS: this exact address. */
  requestedIP?: string;
}

/** Go's time.Time.String() for a UTC time, as Calico stores the allocation timestamp. */
export function goTimeString(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const frac = d.getUTCMilliseconds() ? `.${p(d.getUTCMilliseconds(), 3)}`.replace(/0+$/, '') : '';
  return (
    `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${frac} +0000 UTC`
  );
}

function attrsFor(req: IpamRequest): Record<string, string> {
  const a: Record<string, string> = { node: req.ids.node, timestamp: goTimeString(req.now) };
  if (req.ids.orchestrator === 'k8s') {
    a.namespace = req.ids.namespace;
    a.pod = req.ids.pod as string;
  }
  return a;
}

const familyOf = (addr: string): 4 | 6 => (addr.includes(':') ? 6 : 4);

/** The result calico-ipam prints: addresses with their block's prefix, one route per address. */
function ipamResult(addrs: string[]): CniResult {
  return { ips: addrs.map((address) => ({ address })), routes: addrs.map((dst) => ({ dst })), dns: {} };
}

/** ipv4_pools / ipv6_pools entries are CIDRs or pool names; names are looked up. */
async function resolvePools(req: IpamRequest, entries: string[], family: 4 | 6): Promise<string[]> {
  if (entries.length === 0) return [];
  let pools: Resource[] | undefined;
  const out: string[] = [];
  for (const p of entries) {
    let cidr = tryParseCIDR(p) ? p : undefined;
    if (!cidr) {
      pools ??= (await req.ds.client.list('IPPool')).items;
      const pool = pools.find((x) => x.metadata.name === p);
      const poolCidr = (pool?.spec as Partial<IPPoolSpec> | undefined)?.cidr;
      if (!poolCidr) {
        throw noPoolError(`error parsing pool "${p}": no IPPool with that name or CIDR exists`);
      }
      cidr = poolCidr;
    }
    const parsed = tryParseCIDR(cidr);
    if (!parsed || parsed.family !== family) {
      throw noPoolError(
        `"${cidr.split('/')[0]}" isn't a IPv${family} address (from ipv${family}_pools entry "${p}")`,
      );
    }
    out.push(canonicalCIDR(cidr));
  }
  return out;
}

/** What the handle already holds, with block prefixes; undefined when it holds nothing. */
async function heldAddresses(req: IpamRequest): Promise<string[] | undefined> {
  // One read answers the common case (a fresh container: no handle) without an IPAM session.
  if (!(await req.ds.client.backend.get(handleKey(req.ids.handleId)))) return undefined;
  let ips: string[];
  try {
    ips = await req.ds.ipam.ipsByHandle(req.ids.handleId);
  } catch (e) {
    if (isCalicoError(e, 'NOT_FOUND')) return undefined;
    throw e;
  }
  if (ips.length === 0) return undefined;
  const out: string[] = [];
  for (const ip of ips) {
    const bareIP = ip.split('/')[0];
    const info = await req.ds.ipam.getAssignmentAttributes(bareIP);
    const prefix = info?.block ? info.block.split('/')[1] : familyOf(bareIP) === 4 ? '32' : '128';
    out.push(`${bareIP}/${prefix}`);
  }
  return out;
}

async function releaseHandle(req: IpamRequest, handle: string): Promise<void> {
  try {
    await req.ds.ipam.releaseByHandle(handle);
  } catch (e) {
    if (!isCalicoError(e, 'NOT_FOUND')) throw e;
  }
}

/** calico-ipam ADD: the addresses (block prefix) and one route per address. */
export async function calicoIpamAdd(req: IpamRequest): Promise<CniResult> {
  const { conf, ids, log } = req;
  const num4 = conf.ipam.assignIPv4 ? 1 : 0;
  const num6 = conf.ipam.assignIPv6 ? 1 : 0;

  // A repeated ADD (or a retry after a crash) finds the handle holding addresses: reuse them when
  // they are what this request asks for, else start over on the same handle.
  const held = await heldAddresses(req);
  if (held) {
    const want = req.requestedIP
      ? held.length === 1 && held[0].split('/')[0] === req.requestedIP
      : held.filter((a) => familyOf(a) === 4).length === num4 &&
        held.filter((a) => familyOf(a) === 6).length === num6;
    if (want) {
      log.info(`handle ${ids.handleId} already holds ${held.join(', ')}: reusing`);
      return ipamResult(held);
    }
    log.info(`handle ${ids.handleId} holds ${held.join(', ')}, not what is asked for: releasing them first`);
    await releaseHandle(req, ids.handleId);
  }

  if (req.requestedIP) return assignRequested(req);

  if (num4 + num6 === 0) {
    throw new CniError(
      CniCode.INVALID_NETCONF,
      'no addresses requested: both assign_ipv4 and assign_ipv6 are off',
      'set "assign_ipv4": "true" and/or "assign_ipv6": "true" in the ipam section',
    );
  }
  const ipv4Pools = await resolvePools(req, conf.ipam.ipv4Pools, 4);
  const ipv6Pools = await resolvePools(req, conf.ipam.ipv6Pools, 6);
  let res: AutoAssignResult;
  try {
    res = await withHostLock(conf.ipamLockFile, log, () =>
      req.ds.ipam.autoAssign({
        num4,
        num6,
        handleId: ids.handleId,
        attrs: attrsFor(req),
        hostname: ids.node,
        ipv4Pools,
        ipv6Pools,
        intendedUse: 'Workload',
        signal: AbortSignal.timeout(IPAM_TIMEOUT_MS),
      }),
    );
  } catch (e) {
    // Calico's block-limit error still carries what was assigned: give it back.
    const partial = (e as { partial?: AutoAssignResult }).partial;
    if (partial) await releaseQuietly(req, [...partial.ipv4.ips, ...partial.ipv6.ips]);
    throw ipamCniError(e, 'failed to request IP addresses');
  }
  const short4 = partialFulfillmentError(res.ipv4, 4);
  const short6 = num6 ? partialFulfillmentError(res.ipv6, 6) : undefined;
  if (short4 || short6) {
    // Dual-stack is all or nothing: give back the family that did succeed.
    await releaseQuietly(req, [...res.ipv4.ips, ...res.ipv6.ips]);
    const family = short4 ? 4 : 6;
    const text = `failed to request IPv${family} addresses: ${short4 ?? short6}`;
    const got = family === 4 ? res.ipv4 : res.ipv6;
    throw got.ips.length === 0 && /no configured|qualified|not enabled/i.test(got.msgs.join(';'))
      ? noPoolError(text)
      : exhaustedError(text);
  }
  const addrs = [...res.ipv4.ips, ...res.ipv6.ips];
  log.info(`assigned ${addrs.join(', ')} to handle ${ids.handleId}`);
  return ipamResult(addrs);
}

async function assignRequested(req: IpamRequest): Promise<CniResult> {
  const ip = req.requestedIP as string;
  const parsed = tryParseIP(ip);
  if (!parsed) {
    throw new CniError(
      CniCode.INVALID_ENV,
      `invalid IP format: ${ip}`,
      'CNI_ARGS IP= must be a single IPv4 or IPv6 address',
    );
  }
  try {
    await withHostLock(req.conf.ipamLockFile, req.log, () =>
      req.ds.ipam.assignIP({
        ip,
        handleId: req.ids.handleId,
        attrs: attrsFor(req),
        hostname: req.ids.node,
        intendedUse: 'Workload',
      }),
    );
  } catch (e) {
    throw ipamCniError(e, `failed to assign IP ${ip}`);
  }
  const addr = `${ip}/${parsed.family === 4 ? 32 : 128}`;
  req.log.info(`assigned requested ${addr} to handle ${req.ids.handleId}`);
  return ipamResult([addr]);
}

async function releaseQuietly(req: IpamRequest, addrs: string[]): Promise<void> {
  if (addrs.length === 0) return;
  try {
    await req.ds.ipam.releaseIPs(
      addrs.map((a) => ({ address: a.split('/')[0], handleId: req.ids.handleId })),
    );
    req.log.info(`released ${addrs.join(', ')} after a partial allocation`);
  } catch (e) {
    req.log.error(
      `failed to release ${addrs.join(', ')} after a partial allocation: ${(e as Error).message}`,
    );
  }
}

/** calico-ipam DEL: release the handle and the legacy one; a missing handle is success. */
export async function calicoIpamDel(req: IpamRequest): Promise<void> {
  for (const h of [req.ids.handleId, req.ids.legacyHandleId]) {
    try {
      await releaseHandle(req, h);
    } catch (e) {
      throw ipamCniError(e, `failed to release addresses of handle ${h}`);
    }
  }
  req.log.info(`released handle ${req.ids.handleId}`);
}
