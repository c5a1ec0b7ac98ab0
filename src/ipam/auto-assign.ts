/**
 * AutoAssign for one address family (ipam.md §4–§5): affine blocks first, then claim a new block
 * (up to the per-host cap), then — without strict affinity — borrow from existing blocks.
 * Cost: an allocation from an affine block with free space reads the host's affinities and one
 * block; only claiming a new block or borrowing lists the blocks.
 */
import { formatCIDR, formatIP, parseCIDR, type CIDR, type IPAddr } from '../net/index.js';
import { isCalicoError } from '../errors/index.js';
import { affinityString, type AffinityRef } from './core/affinity.js';
import {
  autoAssignFromBlock,
  freeCount,
  isEmpty,
  parseBlockAffinity,
  type AffinityCheck,
  type HostReservedAttr,
} from './core/block.js';
import { BlockWalk, candidateSeed } from './core/candidates.js';
import { effectiveMaxBlocks } from './core/config.js';
import { choosePools, enabledPools, poolContaining, selects, type PoolInfo } from './core/pools.js';
import type { Reservations } from './core/reservations.js';
import { getBlockFromAffinity, getPendingAffinity, refFor, releaseBlockAffinity } from './claim.js';
import { IPAMError, isIPAMError, maxRetriesError } from './errors.js';
import type { Assignment, IntendedUse } from './ipam-interface.js';
import type { AffinityType } from './model.js';
import type { Session } from './session.js';
import type { KV } from '../datastore/backend.js';
import { CommitConflict, isCASConflict, type AffinityKV, type BlockKV } from './store/ipam-store.js';

/** A claimed block unused for this long may be reclaimed by another host if it is empty. */
export const EMPTY_BLOCK_MIN_RECLAIM_AGE_MS = 60_000;

export interface FamilyRequest {
  family: 4 | 6;
  num: number;
  handleId: string;
  attrs?: Record<string, string>;
  host: string;
  affinityType: AffinityType;
  requestedPools: CIDR[];
  maxBlocksPerHost?: number;
  reserved?: HostReservedAttr;
  use: IntendedUse;
  namespaceLabels: Record<string, string>;
  nodeLabels: Record<string, string>;
  pools: PoolInfo[];
  reservations: Reservations;
  /**
   * The affine block this client last allocated from for this host and family, tried before the
   * others (which follow in key order, as in Calico). A long-lived client then reads one block per
   * allocation instead of re-reading every full block ahead of it in key order; a fresh client (the
   * CNI plugin's process) has no hint and scans exactly as Calico.
   */
  hint?: BlockHint;
}

export interface BlockHint {
  get(): string | undefined;
  set(cidr: string): void;
  /** The hinted block, read while the request's other reads were in flight. */
  prefetched?: Promise<BlockKV | undefined>;
}

/** Calico's maxPrefixLen: pools whose blocks cannot hold the host-reserved edges are skipped. */
export function maxPrefixLen(family: 4 | 6, reserved?: HostReservedAttr): number {
  const bits = family === 4 ? 32 : 128;
  const n = reserved ? reserved.startOfBlock + reserved.endOfBlock : 0;
  if (n <= 0) return bits;
  return bits - n.toString(2).length;
}

class FamilyAssigner {
  readonly ips: string[] = [];
  readonly msgs: string[] = [];
  private readonly check: AffinityCheck;
  private readonly mine: string;
  private allowed: PoolInfo[] = [];
  private remainingAffine: AffinityKV[] = [];

  constructor(
    private readonly s: Session,
    private readonly r: FamilyRequest,
  ) {
    this.mine = affinityString(r.affinityType, r.host);
    this.check = { strict: s.cfg.strictAffinity, affinity: this.mine, host: r.host, type: r.affinityType };
  }

  addMsg(m: string): void {
    if (!this.msgs.includes(m)) this.msgs.push(m);
  }

  result(): Assignment {
    return { ips: this.ips, numRequested: this.r.num, msgs: this.msgs };
  }

  async run(): Promise<Assignment> {
    const { s, r } = this;
    if (!r.use) throw new IPAMError('useRequired', 'must specify the intended use when assigning an IP');
    const enabled = enabledPools(r.pools, r.family, maxPrefixLen(r.family, r.reserved));
    const choice = choosePools({
      enabled,
      requested: r.requestedPools,
      nodeLabels: r.nodeLabels,
      namespaceLabels: r.namespaceLabels,
      host: r.host,
      use: r.use,
    });
    this.allowed = choice.allowed;
    if (await this.fromHintedBlock()) return this.result();
    await this.prepareAffineBlocks(choice.selecting);
    const hinted = r.hint?.get();
    const at = hinted === undefined ? -1 : this.remainingAffine.findIndex((a) => a.ref.cidr === hinted);
    if (at > 0) this.remainingAffine.unshift(...this.remainingAffine.splice(at, 1));

    const maxBlocks = effectiveMaxBlocks(r.maxBlocksPerHost, s.cfg.maxBlocksPerHost);
    let owned = this.remainingAffine.length;
    while (this.ips.length < r.num) {
      s.checkAbort();
      let found: { b: BlockKV; claimed: boolean };
      try {
        found = await this.findOrClaimBlock(owned < maxBlocks);
      } catch (e) {
        if (isIPAMError(e, 'noFreeBlocks')) {
          if (s.cfg.strictAffinity) this.addMsg('No more free affine blocks and strict affinity enabled');
          break;
        }
        if (isIPAMError(e, 'blockLimit')) {
          this.addMsg(
            `Need to allocate an IPAM block but could not - limit of ${maxBlocks} blocks reached for this node`,
          );
          throw new IPAMError('blockLimit', e.message, { partial: this.partial() });
        }
        throw this.withPartial(e);
      }
      if (found.claimed) owned++;
      try {
        if ((await this.assignFrom(found.b, s.cfg.strictAffinity)) > 0) r.hint?.set(formatCIDR(found.b.cidr));
      } catch (e) {
        if (!(e instanceof IPAMError)) throw this.withPartial(e);
        this.addMsg('Failed to assign IPs in newly allocated block');
      }
    }

    if (!s.cfg.strictAffinity && this.ips.length < r.num) await this.borrow();
    return this.result();
  }

  /**
   * Fast path of a long-lived client: the block it last allocated from, if it is still ours, in an
   * allowed pool and has free space, serves the request without listing the host's affinities.
   * Ownership is the block's own `affinity` field, and the allocation is a CAS on the block, so a
   * concurrent release of the affinity either sees our allocation or makes our write fail.
   * Returns true when the request is complete.
   */
  private async fromHintedBlock(): Promise<boolean> {
    const { s, r } = this;
    const hinted = r.hint?.get();
    if (!hinted) return false;
    const cidr = parseCIDR(hinted);
    if (!poolContaining(this.allowed, ipOf(cidr)) || r.reservations.matchesWholeCIDR(cidr)) return false;
    let b: BlockKV | undefined;
    try {
      b = r.hint?.prefetched ? await r.hint.prefetched : await s.store.getBlock(cidr);
    } catch {
      return false;
    }
    if (!b || b.block.affinity !== this.mine) return false;
    s.gc(b);
    if (freeCount(b.block, r.reservations) < 1) return false;
    try {
      // Strict: if the block changed hands since (a cached copy), fall back rather than borrow.
      await this.assignFrom(b, true);
    } catch (e) {
      if (!(e instanceof IPAMError)) throw this.withPartial(e);
    }
    return this.ips.length >= r.num;
  }

  private partial() {
    const empty: Assignment = { ips: [], numRequested: 0, msgs: [] };
    return this.r.family === 4 ? { ipv4: this.result(), ipv6: empty } : { ipv4: empty, ipv6: this.result() };
  }

  private withPartial(e: unknown): unknown {
    if (this.ips.length === 0 || !(e instanceof Error)) return e;
    return new IPAMError(isIPAMError(e) ? e.reason : 'interrupted', e.message, {
      code: isCalicoError(e) ? e.code : 'IPAM',
      cause: e,
      partial: this.partial(),
    });
  }

  /**
   * The host's affinities in allowed pools, in key order. Affinities in pools that no longer select
   * the node are released when their block is empty (best effort).
   */
  private async prepareAffineBlocks(selecting: PoolInfo[]): Promise<void> {
    const { s, r } = this;
    const all = await s.store.listHostAffinities(r.affinityType, r.host, r.family);
    for (const a of all) {
      const cidr = cidrOf(a.ref);
      if (poolContaining(this.allowed, ipOf(cidr))) {
        this.remainingAffine.push(a);
        continue;
      }
      if (poolContaining(selecting, ipOf(cidr))) continue;
      const pool = poolContaining(r.pools, ipOf(cidr));
      if (!pool || selects(pool.nodeSelector, r.nodeLabels)) continue;
      for (let i = 0; i < s.retries; i++) {
        try {
          await releaseBlockAffinity(s, a.ref, cidr, { requireEmpty: true });
          break;
        } catch (e) {
          if (isCASConflict(e)) continue;
          break;
        }
      }
    }
  }

  private async findOrClaimBlock(allowNewClaim: boolean): Promise<{ b: BlockKV; claimed: boolean }> {
    const { s, r } = this;
    while (this.remainingAffine.length) {
      const first = this.remainingAffine.shift()!;
      const cidr = cidrOf(first.ref);
      if (r.reservations.matchesWholeCIDR(cidr)) continue;
      let aff: AffinityKV | undefined = first;
      for (let i = 0; i < s.retries; i++) {
        if (i > 0) aff = await s.store.getAffinity(first.ref);
        if (!aff) break;
        let b: BlockKV;
        try {
          b = await getBlockFromAffinity(s, aff, cidr, r.reserved);
        } catch (e) {
          if (isCASConflict(e)) continue;
          if (isCalicoError(e, 'DATASTORE') || isCalicoError(e, 'DATASTORE_TIMEOUT')) throw e;
          break;
        }
        if (freeCount(b.block, r.reservations) >= 1) return { b, claimed: false };
        break;
      }
    }
    if (!allowNewClaim)
      throw new IPAMError('blockLimit', 'cannot allocate new block due to per host block limit');
    if (!s.cfg.autoAllocateBlocks)
      throw new IPAMError('autoAllocateDisabled', 'failed to find or claim a block');
    for (let i = 0; i < s.retries; i++) {
      const subnet = await this.findUsableBlock();
      const ref = refFor(r.affinityType, r.host, subnet);
      for (let j = 0; j < s.retries; j++) {
        s.checkAbort();
        let pending: AffinityKV;
        try {
          pending = await getPendingAffinity(s, ref);
        } catch (e) {
          // A concurrent claimer may delete the affinity we just saw (its claim lost): start over.
          if (isCASConflict(e) || isCalicoError(e, 'NOT_FOUND')) continue;
          throw e;
        }
        let b: BlockKV;
        try {
          b = await getBlockFromAffinity(s, pending, subnet, r.reserved);
        } catch (e) {
          if (isCASConflict(e) || isCalicoError(e, 'NOT_FOUND')) continue;
          if (isIPAMError(e, 'blockClaimConflict') || isIPAMError(e, 'staleAffinity')) break;
          throw e;
        }
        const free = freeCount(b.block, r.reservations);
        if (free >= 1) return { b, claimed: true };
        throw new IPAMError(
          'noFreeBlocks',
          `Block '${formatCIDR(subnet)}' has ${free} free ips which is less than 1 ips required.`,
        );
      }
    }
    throw maxRetriesError();
  }

  /**
   * A block CIDR to claim: the first candidate (host-seeded walk over each allowed pool) with no
   * block, or one of ours with space; else reclaim another host's empty block claimed over a minute
   * ago, if its sequence number has not moved since we listed it.
   */
  private async findUsableBlock(): Promise<CIDR> {
    const { s, r } = this;
    interface Info {
      cidr: CIDR;
      numFree: number;
      affinity: string | null;
      empty: boolean;
      claimTime: number;
      seq: bigint;
    }
    // Keyed by network address (bigint): the walk may visit 262,144 candidates of a /8 pool.
    const listed = new Map<bigint, { kv: KV; cidr: CIDR }[]>();
    for (const e of await s.store.listBlockKVs(r.family)) {
      if (!poolContaining(this.allowed, ipOf(e.cidr))) continue;
      const at = listed.get(e.cidr.addr);
      if (at) at.push(e);
      else listed.set(e.cidr.addr, [e]);
    }
    // Decoded only when the walk reaches them (usually none: the walk stops at the first free
    // candidate); per address, the last listed block that decodes, undecodable ones skipped.
    const infos = new Map<bigint, Info | null>();
    const infoAt = (addr: bigint): Info | undefined => {
      const entries = listed.get(addr);
      if (!entries) return undefined;
      let info = infos.get(addr);
      if (info === undefined) {
        info = null;
        for (let i = entries.length - 1; i >= 0 && !info; i--) {
          let b: BlockKV;
          try {
            b = s.fromKV(entries[i].kv);
          } catch {
            continue;
          }
          info = {
            cidr: entries[i].cidr,
            numFree: freeCount(b.block, r.reservations),
            affinity: b.block.affinity,
            empty: isEmpty(b.block),
            claimTime: b.block.affinity_claim_time ? Date.parse(b.block.affinity_claim_time) || 0 : 0,
            seq: b.block.sequenceNumber,
          };
        }
        infos.set(addr, info);
      }
      return info ?? undefined;
    };
    const emptyBlocks: Info[] = [];
    for (const pool of this.allowed) {
      const walk = new BlockWalk(pool.cidr, pool.blockSize, this.seed(pool));
      for (const addr of walk) {
        const cidr: CIDR = { family: pool.cidr.family, addr, prefix: pool.blockSize };
        if (r.reservations.matchesWholeCIDR(cidr)) continue;
        const found = infoAt(addr);
        const info = found && found.cidr.prefix === cidr.prefix ? found : undefined;
        if (!info) return cidr;
        if (info.affinity === this.mine && info.numFree !== 0) return cidr;
        if (info.empty && info.numFree !== 0 && info.affinity !== this.mine) emptyBlocks.push(info);
      }
    }
    for (const info of emptyBlocks) {
      if (s.now.getTime() - info.claimTime < EMPTY_BLOCK_MIN_RECLAIM_AGE_MS) continue;
      const owner = parseBlockAffinity(info.affinity);
      if (!owner) continue;
      s.checkAbort();
      try {
        await releaseBlockAffinity(s, refFor(owner.type, owner.host, info.cidr), info.cidr, {
          requireEmpty: true,
          requiredSequenceNumber: info.seq,
        });
        return info.cidr;
      } catch {
        // Someone changed or took it: try the next one.
      }
    }
    throw new IPAMError('noFreeBlocks', 'No Free Blocks');
  }

  private seed(pool: PoolInfo): number {
    const ms = this.s.now.getTime();
    return candidateSeed(this.r.host, pool.blockSize, pool.cidr.family, (ms ^ (ms / 2 ** 32)) >>> 0);
  }

  /**
   * Takes what it can from one block (all remaining, or as many as are free), with CAS retries.
   * Returns how many it got; 0 when the block is full.
   */
  private async assignFrom(start: BlockKV, affinityCheck: boolean): Promise<number> {
    const { s, r } = this;
    let b: BlockKV | undefined = start;
    for (let i = 0; i < s.retries && b; i++) {
      const rem = r.num - this.ips.length;
      const ordinals = autoAssignFromBlock(
        b.block,
        rem,
        r.handleId,
        r.attrs,
        { ...this.check, strict: affinityCheck },
        r.reservations,
      );
      if (ordinals.length === 0) return 0;
      try {
        s.committed(
          b.cidr,
          await s.store.commitBlock(b, 'update', new Map([[r.handleId, ordinals.length]]), s.handles),
        );
      } catch (e) {
        if (!(e instanceof CommitConflict)) throw e;
        b = s.afterConflict(b, e.block);
        continue;
      }
      const prefix = b.cidr.prefix;
      for (const o of ordinals) {
        this.ips.push(`${formatIP({ family: b.cidr.family, value: b.cidr.addr + BigInt(o) })}/${prefix}`);
      }
      return ordinals.length;
    }
    if (b) throw maxRetriesError();
    return 0;
  }

  /** Non-strict: any existing block of the allowed pools, in the host's walk order. */
  private async borrow(): Promise<void> {
    const { s, r } = this;
    const exhausted: string[] = [];
    const listed = await s.store.listBlockKVs(r.family);
    for (const pool of this.allowed) {
      if (this.ips.length >= r.num) break;
      const walk = new BlockWalk(pool.cidr, pool.blockSize, this.seed(pool));
      const candidates = listed
        .filter((x) => x.cidr.prefix === pool.blockSize && walk.contains(x.cidr.addr))
        .filter((x) => !r.reservations.matchesWholeCIDR(x.cidr))
        .map((x) => ({ ...x, rank: walk.rank(x.cidr.addr) }))
        .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
      for (const c of candidates) {
        if (this.ips.length >= r.num) break;
        s.checkAbort();
        let b: BlockKV;
        try {
          b = s.fromKV(c.kv);
        } catch {
          continue;
        }
        try {
          await this.assignFrom(b, false);
        } catch (e) {
          if (isCalicoError(e, 'DATASTORE') || isCalicoError(e, 'DATASTORE_TIMEOUT'))
            throw this.withPartial(e);
          // Calico moves on to the next block on any other error.
        }
      }
      if (this.ips.length < r.num) exhausted.push(pool.cidrText);
    }
    if (exhausted.length) this.addMsg(`No IPs available in pools: [${exhausted.join(' ')}]`);
  }
}

function cidrOf(ref: AffinityRef): CIDR {
  return parseCIDR(ref.cidr);
}

function ipOf(c: CIDR): IPAddr {
  return { family: c.family, value: c.addr };
}

export async function autoAssignFamily(s: Session, r: FamilyRequest): Promise<Assignment> {
  return new FamilyAssigner(s, r).run();
}
