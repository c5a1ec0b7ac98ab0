/**
 * Default IP pools (Calico's configureIPPools): one per family, and only when no pool of that
 * family exists at all, so a cluster's own pools are never second-guessed.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { API_VERSION, type IPPoolSpec, type Resource } from '../../api/index.js';
import type { Client } from '../../client/index.js';
import { isCalicoError } from '../../errors/index.js';
import {
  cidrContainsIP,
  formatCIDR,
  formatIP,
  parseCIDR,
  tryParseCIDR,
  type CIDR,
  type IPAddr,
} from '../../net/index.js';
import { DEFAULT_IPV4_POOL_CIDR, type NodeConfig, type PoolSettings } from '../config.js';
import { StartupError } from './errors.js';
import type { StartupLog } from './log.js';

export const DEFAULT_IPV4_POOL_NAME = 'default-ipv4-ippool';
export const DEFAULT_IPV6_POOL_NAME = 'default-ipv6-ippool';

/**
 * 192.168.0.0/16 unless a host address is inside it; then the first of 172.16.0.0/16 …
 * 172.31.0.0/16 that holds no host address (all taken ⇒ 192.168.0.0/16 after all).
 */
export function chooseDefaultIPv4Pool(hostAddresses: readonly IPAddr[]): { cidr: string; reason: string } {
  const preferred = parseCIDR(DEFAULT_IPV4_POOL_CIDR);
  const holds = (c: CIDR) => hostAddresses.find((a) => a.family === 4 && cidrContainsIP(c, a));
  const clash = holds(preferred);
  if (!clash) return { cidr: DEFAULT_IPV4_POOL_CIDR, reason: 'the default' };
  for (let n = 16; n <= 31; n++) {
    const c: CIDR = { family: 4, addr: (172n << 24n) | (BigInt(n) << 16n), prefix: 16 };
    if (!holds(c)) {
      return {
        cidr: formatCIDR(c),
        reason: `host address ${formatIP(clash)} is inside ${DEFAULT_IPV4_POOL_CIDR}; first free 172.16-31.0.0/16`,
      };
    }
  }
  return { cidr: DEFAULT_IPV4_POOL_CIDR, reason: 'every 172.16-31.0.0/16 holds a host address' };
}

/** A random RFC 4193 ULA /48: `fd` then 5 random bytes. */
export function randomULAPrefix(random: (n: number) => Uint8Array = cryptoRandomBytes): string {
  const bytes = random(5);
  let v = 0xfdn;
  for (let i = 0; i < 5; i++) v = (v << 8n) | BigInt(bytes[i]);
  return formatCIDR({ family: 6, addr: v << 80n, prefix: 48 });
}

export interface PoolDeps {
  client: Client;
  log: StartupLog;
  hostAddresses(): Promise<IPAddr[]>;
  ipv6Supported(): Promise<boolean>;
  randomBytes?: (n: number) => Uint8Array;
}

function poolResource(name: string, cidr: string, p: PoolSettings): Resource {
  const spec = {
    cidr,
    ipipMode: p.ipipMode,
    vxlanMode: p.vxlanMode,
    natOutgoing: p.natOutgoing,
    disableBGPExport: p.disableBGPExport,
    blockSize: p.blockSize,
    nodeSelector: p.nodeSelector,
  } satisfies IPPoolSpec;
  return { apiVersion: API_VERSION, kind: 'IPPool', metadata: { name }, spec };
}

async function create(
  deps: PoolDeps,
  name: string,
  cidr: string,
  p: PoolSettings,
  reason: string,
): Promise<boolean> {
  const family = p.family;
  try {
    await deps.client.create(poolResource(name, cidr, p));
  } catch (e) {
    if (isCalicoError(e, 'ALREADY_EXISTS')) {
      deps.log.info(`Default IPv${family} pool ${name} already exists (another node created it)`, {
        pool: name,
      });
      return false;
    }
    throw new StartupError(
      'poolCreate',
      `failed to create the default IPv${family} pool ${name} (${cidr}): ${(e as Error).message}`,
      {
        cause: e,
        hint: `fix CALICO_IPV${family}POOL_* or create a pool of that family yourself`,
      },
    );
  }
  deps.log.info(`Created default IPv${family} pool ${name} ${cidr}`, {
    pool: name,
    cidr,
    ipipMode: p.ipipMode,
    vxlanMode: p.vxlanMode,
    natOutgoing: p.natOutgoing,
    blockSize: p.blockSize,
    nodeSelector: p.nodeSelector,
    reason,
  });
  return true;
}

/** Returns the names of the pools it created. */
export async function ensureDefaultPools(cfg: NodeConfig, deps: PoolDeps): Promise<string[]> {
  if (cfg.noDefaultPools) {
    deps.log.info('Skipping IP pool configuration', { reason: 'NO_DEFAULT_POOLS=true' });
    return [];
  }
  const present = { 4: false, 6: false };
  for (const p of (await deps.client.list('IPPool')).items) {
    const c = tryParseCIDR(String((p.spec as { cidr?: unknown } | undefined)?.cidr ?? ''));
    if (c) present[c.family] = true;
  }
  const created: string[] = [];

  const v4 = cfg.ipv4Pool;
  if (!v4) deps.log.info('Skipping IPv4 pool configuration', { reason: 'CALICO_IPV4POOL_CIDR=none' });
  else if (present[4]) deps.log.debug('An IPv4 pool exists: no default IPv4 pool');
  else {
    const chosen = v4.cidr
      ? { cidr: v4.cidr, reason: 'CALICO_IPV4POOL_CIDR' }
      : chooseDefaultIPv4Pool(await deps.hostAddresses());
    if (await create(deps, DEFAULT_IPV4_POOL_NAME, chosen.cidr, v4, chosen.reason))
      created.push(DEFAULT_IPV4_POOL_NAME);
  }

  const v6 = cfg.ipv6Pool;
  if (!v6) deps.log.info('Skipping IPv6 pool configuration', { reason: 'CALICO_IPV6POOL_CIDR=none' });
  else if (present[6]) deps.log.debug('An IPv6 pool exists: no default IPv6 pool');
  else if (!cfg.ipv6Support)
    deps.log.info('Skipping IPv6 pool configuration', { reason: 'FELIX_IPV6SUPPORT=false' });
  else if (!(await deps.ipv6Supported())) {
    deps.log.info('Skipping IPv6 pool configuration', {
      reason: 'the kernel has no IPv6 (/proc/sys/net/ipv6 missing)',
    });
  } else {
    const cidr = v6.cidr ?? randomULAPrefix(deps.randomBytes);
    const reason = v6.cidr ? 'CALICO_IPV6POOL_CIDR' : 'random unique local /48';
    if (await create(deps, DEFAULT_IPV6_POOL_NAME, cidr, v6, reason)) created.push(DEFAULT_IPV6_POOL_NAME);
  }
  return created;
}
