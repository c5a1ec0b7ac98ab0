/**
 * Releasing addresses (ipam.md §7.1–§7.2): by address, grouped per block, or by handle. Released
 * ordinals go into cooldown (freed at once when the cooldown is 0); an empty unaffine block is
 * deleted; the block write and the handle decrements are one transaction.
 */
import { NotFoundError, isCalicoError } from '../errors/index.js';
import {
  blockContaining,
  cidrContainsIP,
  formatCIDR,
  formatIP,
  parseCIDR,
  tryParseIP,
  type CIDR,
  type IPAddr,
} from '../net/index.js';
import {
  isEmpty,
  ordinalOf,
  parseBlockAffinity,
  releaseByHandleInBlock,
  releaseFromBlock,
  sanitizeHandle,
  type ReleaseRequest,
} from './core/block.js';
import { enabledPools, poolContaining, selects, type PoolInfo } from './core/pools.js';
import { refFor, releaseBlockAffinity } from './claim.js';
import { IPAMError, maxRetriesError } from './errors.js';
import type { ReleaseOptions } from './ipam-interface.js';
import type { AllocationBlock } from './model.js';
import type { Session } from './session.js';
import { CommitConflict, type BlockKV } from './store/ipam-store.js';

/** Node labels by name, read at most once per operation (null = no such node). */
export type NodeLabelCache = Map<string, Record<string, string> | null>;

async function nodeLabels(
  s: Session,
  cache: NodeLabelCache,
  host: string,
): Promise<Record<string, string> | null> {
  if (cache.has(host)) return cache.get(host)!;
  if (s.nodeLabelsOf) {
    const cached = await s.nodeLabelsOf(host);
    cache.set(host, cached);
    return cached;
  }
  let labels: Record<string, string> | null = null;
  try {
    labels = (await s.client.get('Node', host)).metadata.labels ?? {};
  } catch (e) {
    if (!isCalicoError(e, 'NOT_FOUND')) throw e;
  }
  cache.set(host, labels);
  return labels;
}

/**
 * If the block's pool no longer selects its host, release the affinity when the block is empty
 * (best effort: the release already happened).
 */
export async function ensureConsistentAffinity(
  s: Session,
  block: AllocationBlock,
  cidr: CIDR,
  pools: readonly PoolInfo[],
  nodes: NodeLabelCache,
): Promise<void> {
  const owner = parseBlockAffinity(block.affinity);
  if (!owner || !owner.host) return;
  try {
    const labels = await nodeLabels(s, nodes, owner.host);
    if (labels === null) return;
    const pool = poolContaining(enabledPools(pools, cidr.family), { family: cidr.family, value: cidr.addr });
    if (!pool || selects(pool.nodeSelector, labels)) return;
    await releaseBlockAffinity(s, refFor(owner.type, owner.host, cidr), cidr, { requireEmpty: true });
  } catch {
    // Calico logs and carries on: the addresses are released either way.
  }
}

interface BlockRequest {
  cidr: CIDR;
  opts: { address: string; ip: IPAddr; handleId?: string; sequenceNumber?: bigint }[];
}

/** Returns the requested addresses that were not allocated; throws the first per-block error. */
export async function releaseIPs(
  s: Session,
  options: readonly ReleaseOptions[],
  allPools: readonly PoolInfo[],
): Promise<string[]> {
  const parsed = options.map((o) => {
    if (!o.address) {
      throw new IPAMError(
        'invalidArgument',
        `No IP address specified in options: ${JSON.stringify(o, bigintText)}`,
      );
    }
    const ip = tryParseIP(o.address);
    if (!ip) throw new IPAMError('invalidArgument', `failed to parse the given IP: ${o.address}`);
    return {
      address: formatIP(ip),
      ip,
      handleId: o.handleId ? sanitizeHandle(o.handleId) : undefined,
      sequenceNumber: o.sequenceNumber,
    };
  });
  const unallocated: string[] = [];
  const byBlock = new Map<string, BlockRequest>();
  const scanned = new Map<4 | 6, CIDR[]>();
  for (const p of parsed) {
    let cidr: CIDR | undefined;
    const pool = poolContaining(allPools, p.ip);
    if (pool) cidr = blockContaining(p.ip, pool.blockSize);
    else {
      // Not in any pool (deleted pool): find the block by scanning the block list once.
      let list = scanned.get(p.ip.family);
      if (!list) {
        list = (await s.store.listBlockKVs(p.ip.family)).map((x) => x.cidr);
        scanned.set(p.ip.family, list);
      }
      cidr = list.find((c) => cidrContainsIP(c, p.ip));
    }
    if (!cidr) {
      unallocated.push(p.address);
      continue;
    }
    const key = formatCIDR(cidr);
    let entry = byBlock.get(key);
    if (!entry) byBlock.set(key, (entry = { cidr, opts: [] }));
    entry.opts.push(p);
  }

  const nodes: NodeLabelCache = new Map();
  let firstError: unknown;
  const queue = [...byBlock.values()];
  // Blocks rarely contend with each other: a few at a time, as Calico runs GOMAXPROCS in parallel.
  const worker = async () => {
    for (let req = queue.shift(); req; req = queue.shift()) {
      try {
        unallocated.push(...(await releaseInBlock(s, req, allPools, nodes)));
      } catch (e) {
        firstError ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, queue.length) }, worker));
  if (firstError !== undefined) throw firstError;
  return unallocated;
}

async function releaseInBlock(
  s: Session,
  req: BlockRequest,
  pools: readonly PoolInfo[],
  nodes: NodeLabelCache,
): Promise<string[]> {
  const all = req.opts.map((o) => o.address);
  let b = await s.readBlock(req.cidr);
  for (let i = 0; i < s.retries; i++) {
    if (!b) return all;
    const requests: ReleaseRequest[] = [];
    const outside: string[] = [];
    for (const o of req.opts) {
      const ordinal = ordinalOf(b.block, o.ip);
      if (ordinal === undefined) outside.push(o.address);
      else
        requests.push({
          address: o.address,
          ordinal,
          handleId: o.handleId,
          sequenceNumber: o.sequenceNumber,
        });
    }
    const outcome = releaseFromBlock(b.block, requests, s.now, s.cfg.ipCooldownSeconds);
    if (outcome.released === 0) return [...outside, ...outcome.unallocated];
    const deltas = new Map([...outcome.countByHandle].map(([h, n]) => [h, -n] as const));
    const mode = isEmpty(b.block) && b.block.affinity === null ? 'delete' : 'update';
    try {
      s.committed(b.cidr, await s.store.commitBlock(b, mode, deltas, s.handles));
    } catch (e) {
      if (!(e instanceof CommitConflict)) throw e;
      b = s.afterConflict(b, e.block);
      continue;
    }
    await ensureConsistentAffinity(s, b.block, b.cidr, pools, nodes);
    return [...outside, ...outcome.unallocated];
  }
  throw maxRetriesError();
}

/** Releases every address of the handle; NOT_FOUND when the handle does not exist. */
export async function releaseByHandle(
  s: Session,
  handleId: string,
  pools: readonly PoolInfo[],
): Promise<void> {
  const id = sanitizeHandle(handleId);
  const h = await s.store.getHandle(id);
  if (!h) throw new NotFoundError({ kind: 'IPAMHandle', name: id });
  // The commit's handle CAS starts from this read: no second read of the handle.
  s.handles.set(id, h);
  const nodes: NodeLabelCache = new Map();
  for (const cidrText of Object.keys(h.handle.block)) {
    let cidr: CIDR;
    try {
      cidr = parseCIDR(cidrText);
    } catch {
      continue;
    }
    await releaseHandleInBlock(s, id, cidr, pools, nodes);
  }
}

async function releaseHandleInBlock(
  s: Session,
  handleId: string,
  cidr: CIDR,
  pools: readonly PoolInfo[],
  nodes: NodeLabelCache,
): Promise<void> {
  // A cached copy may be stale: it may only lead to a CAS (which fails if it is), never to "nothing
  // to release".
  const copy = s.blockCopy?.(cidr);
  let b: BlockKV | undefined =
    copy && releaseByHandleInBlock(copy.block, handleId, s.now, s.cfg.ipCooldownSeconds) > 0
      ? s.gc(s.store.redecode(copy))
      : await s.readBlock(cidr);
  for (let i = 0; i < s.retries; i++) {
    // Missing block or no addresses of the handle: nothing to release (Calico leaves the handle).
    if (!b) return;
    const n = releaseByHandleInBlock(b.block, handleId, s.now, s.cfg.ipCooldownSeconds);
    if (n === 0) return;
    const mode = isEmpty(b.block) && b.block.affinity === null ? 'delete' : 'update';
    try {
      s.committed(b.cidr, await s.store.commitBlock(b, mode, new Map([[handleId, -n]]), s.handles));
    } catch (e) {
      if (!(e instanceof CommitConflict)) throw e;
      b = s.afterConflict(b, e.block);
      continue;
    }
    await ensureConsistentAffinity(s, b.block, b.cidr, pools, nodes);
    return;
  }
  throw maxRetriesError();
}

function bigintText(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}
