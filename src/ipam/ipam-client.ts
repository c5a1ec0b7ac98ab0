/**
 * IPAMClient: Calico IPAM over a datastore Backend (blocks, affinities, handles, config) and the
 * typed Client (IPPools, Nodes, IPReservations). Each public call reads the IPAM config once, takes
 * one clock reading, and runs the CAS/retry loops of session-scoped helpers (auto-assign.ts,
 * assign-ip.ts, release.ts, claim.ts).
 */
import { Client } from '../client/client.js';
import type { Backend } from '../datastore/backend.js';
import { NotFoundError, isCalicoError } from '../errors/index.js';
import { blockContaining, formatCIDR, parseCIDR, tryParseIP, type CIDR } from '../net/index.js';
import { assignIP } from './assign-ip.js';
import { autoAssignFamily, type BlockHint } from './auto-assign.js';
import { claimAffineBlock, getPendingAffinity, refFor, releaseBlockAffinity } from './claim.js';
import type { AffinityRef } from './core/affinity.js';
import {
  blockCIDR,
  ordinalOf,
  ordinalsByHandle,
  ordinalIP,
  sanitizeHandle,
  type HostReservedAttr,
} from './core/block.js';
import {
  checkIPAMConfig,
  decodeIPAMConfig,
  defaultIPAMConfig,
  encodeIPAMConfig,
  sameIPAMConfig,
} from './core/config.js';
import { enabledPools, poolContaining, poolInfo, type PoolInfo } from './core/pools.js';
import { Reservations } from './core/reservations.js';
import { IPAMError, isIPAMError, maxRetriesError } from './errors.js';
import type {
  AllocationInfo,
  AssignIPArgs,
  Assignment,
  AutoAssignArgs,
  AutoAssignResult,
  IPAM,
  ReleaseOptions,
} from './ipam-interface.js';
import type { AffinityType, AllocationBlock, BlockAffinityValue, IPAMConfig, IPAMHandle } from './model.js';
import { releaseByHandle, releaseIPs } from './release.js';
import { HostLock } from './host-lock.js';
import { ReadCache } from './read-cache.js';
import { Session } from './session.js';
import { IPAMStore, isCASConflict, type BlockKV } from './store/ipam-store.js';

export interface IPAMClientOptions {
  /** Clock (tests); default: the system clock. */
  now?: () => Date;
  /** CAS retries per loop (Calico: 100). */
  retries?: number;
  /**
   * Long-lived clients (the CNI agent, calico-node): how long IPAM config, IPPools, IPReservations
   * and Node labels read for assignments and releases are reused. Default 0: read every time.
   * Writes through this client and any failed operation clear them.
   */
  cacheTtlMs?: number;
}

/** AutoAssign arguments beyond the shared interface (Windows-style reserved block edges). */
export interface AutoAssignExtraArgs {
  hostReservedAttrIPv4s?: HostReservedAttr;
  hostReservedAttrIPv6s?: HostReservedAttr;
}

export interface BlockListing {
  cidr: string;
  family: 4 | 6;
  block: AllocationBlock;
  revision: bigint;
}

export interface AffinityListing extends AffinityRef {
  state: BlockAffinityValue['state'];
  revision: bigint;
}

export interface HandleListing {
  handleId: string;
  handle: IPAMHandle;
  revision: bigint;
}

const NONE: Assignment = Object.freeze({ ips: [], numRequested: 0, msgs: [] }) as Assignment;

function empty(): Assignment {
  return { ips: [], numRequested: 0, msgs: [] };
}

export class IPAMClient implements IPAM {
  readonly backend: Backend;
  readonly client: Client;
  readonly store: IPAMStore;
  private readonly clock: () => Date;
  private readonly systemClock: boolean;
  private readonly retries: number;
  private readonly hostLock = new HostLock();
  /** Per host/type/family: the affine block last allocated from (see FamilyRequest.hint). */
  private readonly lastBlock = new Map<string, string>();
  private readonly configCache: ReadCache<IPAMConfig>;
  private readonly poolCache: ReadCache<PoolInfo[]>;
  private readonly reservationCache: ReadCache<Reservations>;
  private readonly labelCache: ReadCache<Record<string, string> | null>;
  private readonly cacheTtlMs: number;
  /** Long-lived clients: blocks as this client last wrote them, by CIDR, to serve the hint unread. */
  private readonly written = new Map<string, { b: BlockKV; at: number }>();

  constructor(client: Client, opts?: IPAMClientOptions);
  constructor(backend: Backend, client?: Client, opts?: IPAMClientOptions);
  constructor(first: Backend | Client, second?: Client | IPAMClientOptions, third?: IPAMClientOptions) {
    let opts: IPAMClientOptions | undefined;
    if (first instanceof Client) {
      this.client = first;
      this.backend = first.backend;
      opts = second as IPAMClientOptions | undefined;
    } else {
      this.backend = first;
      this.client = second instanceof Client ? second : new Client(first);
      opts = third;
    }
    this.store = new IPAMStore(this.backend);
    this.clock = opts?.now ?? (() => new Date());
    this.systemClock = opts?.now === undefined;
    this.retries = opts?.retries ?? 100;
    const ttl = opts?.cacheTtlMs ?? 0;
    this.cacheTtlMs = ttl;
    this.configCache = new ReadCache(ttl);
    this.poolCache = new ReadCache(ttl);
    this.reservationCache = new ReadCache(ttl);
    this.labelCache = new ReadCache(ttl);
  }

  /** Drops every cached input (after a failure, or when the caller knows they changed). */
  invalidateCaches(): void {
    this.configCache.clear();
    this.poolCache.clear();
    this.reservationCache.clear();
    this.labelCache.clear();
    this.written.clear();
  }

  /** Runs an operation; a failure may come from a stale input, so the next one re-reads them. */
  private async fresh<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      // NOT_FOUND is an answer (DEL of an unknown handle), not a sign of stale inputs.
      if (!isCalicoError(e, 'NOT_FOUND')) this.invalidateCaches();
      throw e;
    }
  }

  // ---- sessions and shared reads ------------------------------------------------------------------

  private nowNs(now: Date): bigint {
    const ns = BigInt(now.getTime()) * 1_000_000n;
    // The system clock also gets the sub-millisecond part, so blocks re-created within one
    // millisecond still start at different sequence numbers.
    return this.systemClock ? ns + (process.hrtime.bigint() % 1_000_000n) : ns;
  }

  private async session(signal?: AbortSignal): Promise<Session> {
    const cfg = await this.configCache.get('', () => this.getIPAMConfig());
    const now = this.clock();
    const s = new Session(this.store, this.client, cfg, now, this.nowNs(now), this.retries, signal);
    s.nodeLabelsOf = (host) => this.cachedNodeLabels(host);
    if (this.cacheTtlMs > 0) {
      s.onCommitted = (cidr, after) => this.noteWritten(cidr, after);
      s.blockCopy = (cidr) => this.writtenCopy(formatCIDR(cidr));
    }
    return s;
  }

  private noteWritten(cidr: CIDR, after: BlockKV | undefined): void {
    const key = formatCIDR(cidr);
    if (!after) return void this.written.delete(key);
    if (this.written.size > 10_000) this.written.clear();
    this.written.set(key, { b: after, at: performance.now() });
  }

  /**
   * The hinted block: this client's own last write of it when recent (a stale copy only costs a
   * failed CAS, which returns the current value), else read from the datastore.
   */
  private hintedBlock(cidr: string): Promise<BlockKV | undefined> {
    const copy = this.takeWritten(cidr);
    return copy ? Promise.resolve(copy) : this.store.getBlock(parseCIDR(cidr));
  }

  /**
   * The written block itself, not a decoded copy (a decode per allocation was the largest IPAM cost
   * of a busy host): the entry leaves the map, so one operation at a time owns and mutates it, and
   * its commit puts the new state back. A committing session no longer mutates the block it wrote.
   */
  private takeWritten(cidr: string): BlockKV | undefined {
    const w = this.written.get(cidr);
    if (!w) return undefined;
    this.written.delete(cidr);
    return performance.now() - w.at < this.cacheTtlMs ? w.b : undefined;
  }

  private writtenCopy(cidr: string): BlockKV | undefined {
    const w = this.written.get(cidr);
    return w && performance.now() - w.at < this.cacheTtlMs ? this.store.redecode(w.b) : undefined;
  }

  private hintFor(key: string): BlockHint {
    const cidr = this.lastBlock.get(key);
    return {
      get: () => this.lastBlock.get(key),
      set: (c) => {
        if (this.lastBlock.size > 10_000) this.lastBlock.clear();
        this.lastBlock.set(key, c);
      },
      // Read alongside the config, pools, reservations and node: one round trip saved.
      prefetched: cidr ? this.hintedBlock(cidr).catch(() => undefined) : undefined,
    };
  }

  private pools(): Promise<PoolInfo[]> {
    return this.poolCache.get('', async () =>
      (await this.client.list('IPPool')).items.map(poolInfo).filter((p): p is PoolInfo => p !== undefined),
    );
  }

  private reservations(): Promise<Reservations> {
    return this.reservationCache.get('', () => this.readReservations());
  }

  private async readReservations(): Promise<Reservations> {
    const entries: string[] = [];
    for (const r of (await this.client.list('IPReservation')).items) {
      entries.push(
        ...(((r.spec as { reservedCIDRs?: string[] } | undefined)?.reservedCIDRs ?? []) as string[]),
      );
    }
    return Reservations.fromStrings(entries);
  }

  /** null when the Node does not exist. */
  private cachedNodeLabels(host: string): Promise<Record<string, string> | null> {
    return this.labelCache.get(host, async () => {
      try {
        return (await this.client.get('Node', host)).metadata.labels ?? {};
      } catch (e) {
        if (isCalicoError(e, 'NOT_FOUND')) return null;
        throw e;
      }
    });
  }

  private async nodeLabels(host: string): Promise<Record<string, string>> {
    const labels = await this.cachedNodeLabels(host);
    // A missing Node is the error it always was (read again for its exact message).
    return labels ?? (await this.client.get('Node', host)).metadata.labels ?? {};
  }

  // ---- config -------------------------------------------------------------------------------------

  /** The stored config, or the defaults when /calico/ipam/v2/config is absent (never written by a read). */
  async getIPAMConfig(): Promise<IPAMConfig> {
    const text = await this.store.getConfigText();
    return text === undefined ? defaultIPAMConfig() : decodeIPAMConfig(text);
  }

  async setIPAMConfig(cfg: IPAMConfig): Promise<void> {
    const current = await this.getIPAMConfig();
    if (sameIPAMConfig(current, cfg)) return;
    checkIPAMConfig(cfg);
    this.configCache.clear();
    await this.store.putConfigText(encodeIPAMConfig(cfg));
  }

  // ---- assignment ---------------------------------------------------------------------------------

  /** Serialised per host within this process (see host-lock.ts). */
  async autoAssign(args: AutoAssignArgs & AutoAssignExtraArgs): Promise<AutoAssignResult> {
    return this.hostLock.run(args.hostname, () =>
      this.fresh(async () => {
        const r = await this.autoAssignLocked(args);
        // Short of addresses: maybe a stale pool list; the next request re-reads everything.
        if (r.ipv4.ips.length < args.num4 || r.ipv6.ips.length < args.num6) this.invalidateCaches();
        return r;
      }),
    );
  }

  private async autoAssignLocked(args: AutoAssignArgs & AutoAssignExtraArgs): Promise<AutoAssignResult> {
    for (const [n, what] of [
      [args.num4, 'num4'],
      [args.num6, 'num6'],
    ] as const) {
      if (!Number.isInteger(n) || n < 0) {
        throw new IPAMError('invalidArgument', `${what} must be a non-negative integer, got ${n}`);
      }
    }
    const v4Pools = parsePools(args.ipv4Pools, 4);
    const v6Pools = parsePools(args.ipv6Pools, 6);
    const result: AutoAssignResult = { ipv4: empty(), ipv6: empty() };
    if (args.num4 === 0 && args.num6 === 0) return result;
    if (!args.intendedUse)
      throw new IPAMError('useRequired', 'must specify the intended use when assigning an IP');
    const lb = args.intendedUse === 'LoadBalancer';
    const hintKey = (f: 4 | 6) => `${lb ? 'virtual' : 'host'}:${args.hostname}:${f}`;
    const hints = {
      4: args.num4 > 0 ? this.hintFor(hintKey(4)) : undefined,
      6: args.num6 > 0 ? this.hintFor(hintKey(6)) : undefined,
    };
    // Independent reads in one round trip.
    const [s, pools, reservations, nodeLabels] = await Promise.all([
      this.session(args.signal),
      this.pools(),
      this.reservations(),
      lb ? Promise.resolve({}) : this.nodeLabels(args.hostname),
    ]);
    const family = (f: 4 | 6) =>
      autoAssignFamily(s, {
        family: f,
        num: f === 4 ? args.num4 : args.num6,
        handleId: sanitizeHandle(args.handleId),
        attrs: args.attrs,
        host: args.hostname,
        affinityType: lb ? 'virtual' : 'host',
        requestedPools: f === 4 ? v4Pools : v6Pools,
        maxBlocksPerHost: args.maxBlocksPerHost,
        reserved: f === 4 ? args.hostReservedAttrIPv4s : args.hostReservedAttrIPv6s,
        use: args.intendedUse,
        namespaceLabels: args.namespaceLabels ?? {},
        nodeLabels,
        pools,
        reservations,
        hint: hints[f],
      });
    if (args.num4 > 0) {
      try {
        result.ipv4 = await family(4);
      } catch (e) {
        throw withPartial(e, { ipv4: partialOf(e, 4), ipv6: NONE });
      }
    }
    if (args.num6 > 0) {
      try {
        result.ipv6 = await family(6);
      } catch (e) {
        throw withPartial(e, { ipv4: result.ipv4, ipv6: partialOf(e, 6) });
      }
    }
    return result;
  }

  async assignIP(args: AssignIPArgs & { hostReservedAttr?: HostReservedAttr }): Promise<void> {
    await this.hostLock.run(args.hostname, () =>
      this.fresh(async () => {
        const s = await this.session();
        await assignIP(s, args, await this.pools());
      }),
    );
  }

  // ---- release ------------------------------------------------------------------------------------

  async releaseIPs(opts: ReleaseOptions[]): Promise<{ unallocated: string[] }> {
    if (opts.length === 0) return { unallocated: [] };
    return this.fresh(async () => {
      const [s, pools] = await Promise.all([this.session(), this.pools()]);
      return { unallocated: await releaseIPs(s, opts, pools) };
    });
  }

  async releaseByHandle(handleId: string): Promise<void> {
    await this.fresh(async () => {
      const [s, pools] = await Promise.all([this.session(), this.pools()]);
      await releaseByHandle(s, handleId, pools);
    });
  }

  // ---- queries ------------------------------------------------------------------------------------

  /** Bare addresses held by the handle; NOT_FOUND when the handle does not exist. */
  async ipsByHandle(handleId: string): Promise<string[]> {
    const s = await this.session();
    const id = sanitizeHandle(handleId);
    const h = await this.store.getHandle(id);
    if (!h) throw new NotFoundError({ kind: 'IPAMHandle', name: id });
    const out: string[] = [];
    for (const cidrText of Object.keys(h.handle.block)) {
      let cidr: CIDR;
      try {
        cidr = parseCIDR(cidrText);
      } catch {
        continue;
      }
      const b = await s.readBlock(cidr);
      if (!b) continue;
      for (const o of ordinalsByHandle(b.block, id)) out.push(ordinalIP(b.block, o));
    }
    return out;
  }

  /** Undefined when the address is in no enabled pool, its block is missing, or it is free. */
  async getAssignmentAttributes(ip: string): Promise<AllocationInfo | undefined> {
    const addr = tryParseIP(ip);
    if (!addr) throw new IPAMError('invalidArgument', `failed to parse the given IP: ${ip}`);
    const s = await this.session();
    const pool = poolContaining(enabledPools(await this.pools(), addr.family), addr);
    const b = pool ? await s.readBlock(blockContaining(addr, pool.blockSize)) : undefined;
    if (!b) return undefined;
    const o = ordinalOf(b.block, addr);
    if (o === undefined) return undefined;
    const idx = b.block.allocations[o];
    if (idx === null || idx === undefined) return undefined;
    const a = b.block.attributes[idx] ?? {};
    return {
      handleId: a.handle_id === undefined ? undefined : sanitizeHandle(a.handle_id),
      attrs: { ...(a.secondary ?? {}) },
      alternateAttrs: a.alternateOwnerAttrs ? { ...a.alternateOwnerAttrs } : undefined,
      inCooldown: a.releasedAt !== undefined,
      block: b.block.cidr,
      sequenceNumber: b.block.sequenceNumberForAllocation?.[String(o)] ?? 0n,
    };
  }

  async listBlocks(family?: 4 | 6): Promise<BlockListing[]> {
    return (await this.store.listBlocks(family)).map((b) => ({
      cidr: b.block.cidr,
      family: blockCIDR(b.block).family,
      block: b.block,
      revision: b.revision,
    }));
  }

  async listAffinities(): Promise<AffinityListing[]> {
    return (await this.store.listAffinities()).map((a) => ({
      ...a.ref,
      state: a.value.state ?? '',
      revision: a.revision,
    }));
  }

  async listHandles(): Promise<HandleListing[]> {
    return (await this.store.listHandles()).map((h) => ({
      handleId: h.handleId,
      handle: h.handle,
      revision: h.revision,
    }));
  }

  // ---- affinities ---------------------------------------------------------------------------------

  /** Releases one block affinity with CAS retries; NOT_FOUND and someone else's block are not errors. */
  private async releaseWithRetries(
    s: Session,
    ref: AffinityRef,
    mustBeEmpty: boolean,
  ): Promise<'done' | 'conflict'> {
    const cidr = parseCIDR(ref.cidr);
    for (let i = 0; i < s.retries; i++) {
      try {
        await releaseBlockAffinity(s, ref, cidr, { requireEmpty: mustBeEmpty });
        return 'done';
      } catch (e) {
        if (isIPAMError(e, 'blockClaimConflict')) return 'conflict';
        if (isCalicoError(e, 'NOT_FOUND')) return 'done';
        if (isCASConflict(e)) continue;
        throw e;
      }
    }
    throw maxRetriesError();
  }

  /** Every block affinity (any host) inside the pool, releasing even non-empty blocks (pool delete). */
  async releasePoolAffinities(poolCIDR: string): Promise<void> {
    const pool = parseCIDR(poolCIDR);
    this.invalidateCaches();
    const s = await this.session();
    for (let i = 0; i < s.retries; i++) {
      const affs = (await this.store.listAffinities()).filter((a) => {
        const c = parseCIDR(a.ref.cidr);
        return c.family === pool.family && poolContainsBlock(pool, c);
      });
      if (affs.length === 0) return;
      let retry = false;
      for (const a of affs) {
        if ((await this.releaseWithRetries(s, a.ref, false)) === 'conflict') retry = true;
      }
      if (!retry) return;
    }
    throw maxRetriesError();
  }

  /** Both families, best effort: keeps going after an error and throws the last one. */
  async releaseHostAffinities(
    host: string,
    mustBeEmpty: boolean,
    type: AffinityType = 'host',
  ): Promise<void> {
    const s = await this.session();
    let stored: unknown;
    for (const family of [4, 6] as const) {
      for (const a of await this.store.listHostAffinities(type, host, family)) {
        try {
          await this.releaseWithRetries(s, a.ref, mustBeEmpty);
        } catch (e) {
          // Including 'blockNotEmpty' when mustBeEmpty, as Calico reports it.
          stored = e;
        }
      }
    }
    if (stored !== undefined) throw stored;
  }

  /** Releases all the host's affinities (blocks stay, unaffine), then its IPAM host marker key. */
  async removeIPAMHost(host: string): Promise<void> {
    this.invalidateCaches();
    await this.releaseHostAffinities(host, false);
    await this.store.deleteHostMarker(host);
  }

  /**
   * Node deletion: release the node's workload and tunnel addresses (given by the caller, who knows
   * the node's endpoints), then its affinities and host marker.
   */
  async releaseNodeIPAM(node: string, addresses: string[]): Promise<void> {
    if (addresses.length) {
      try {
        await this.releaseIPs(addresses.map((address) => ({ address })));
      } catch (e) {
        if (!isCalicoError(e, 'NOT_FOUND') && !isCalicoError(e, 'OPERATION_NOT_SUPPORTED')) throw e;
      }
    }
    await this.removeIPAMHost(node);
  }

  /** Claims the block containing `cidr`'s addresses for a host: for tests and tools. */
  async claimAffinity(cidr: string, host: string): Promise<{ claimed: string[]; failed: string[] }> {
    const c = parseCIDR(cidr);
    const s = await this.session();
    const pool = poolContaining(enabledPools(await this.pools(), c.family), {
      family: c.family,
      value: c.addr,
    });
    if (!pool) {
      throw new IPAMError('notInPool', `The requested CIDR (${cidr}) is not within any configured pools.`);
    }
    if (c.prefix > pool.blockSize) {
      throw new IPAMError('invalidArgument', `The requested CIDR (${cidr}) is smaller than the minimum.`);
    }
    const claimed: string[] = [];
    const failed: string[] = [];
    const step = 1n << BigInt((c.family === 4 ? 32 : 128) - pool.blockSize);
    const count = 1n << BigInt(pool.blockSize - c.prefix);
    for (let k = 0n; k < count; k++) {
      const block = blockOf(c.addr + k * step, c.family, pool.blockSize);
      const ref = refFor('host', host, block);
      for (let i = 0; i < s.retries; i++) {
        try {
          const pending = await getPendingAffinity(s, ref);
          await claimAffineBlock(s, pending, block);
          claimed.push(ref.cidr);
        } catch (e) {
          if (isCASConflict(e)) continue;
          if (isIPAMError(e, 'blockClaimConflict')) failed.push(ref.cidr);
          else throw e;
        }
        break;
      }
    }
    return { claimed, failed };
  }

  /** Hooks for the resource client (pool delete, node delete), which must not import IPAM. */
  clientHooks(): {
    releasePoolAffinities(cidr: string): Promise<void>;
    releaseNodeIPAM(node: string, addresses: string[]): Promise<void>;
  } {
    return {
      releasePoolAffinities: (cidr) => this.releasePoolAffinities(cidr),
      releaseNodeIPAM: (node, addresses) => this.releaseNodeIPAM(node, addresses),
    };
  }
}

function blockOf(value: bigint, family: 4 | 6, prefix: number): CIDR {
  const bits = family === 4 ? 32 : 128;
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  return { family, addr: value & mask, prefix };
}

function poolContainsBlock(pool: CIDR, block: CIDR): boolean {
  const bits = pool.family === 4 ? 32 : 128;
  const shift = BigInt(bits - pool.prefix);
  return block.prefix >= pool.prefix && block.addr >> shift === pool.addr >> shift;
}

function parsePools(list: string[] | undefined, family: 4 | 6): CIDR[] {
  return (list ?? []).map((text) => {
    const c = parseCIDR(text, { allowBareIP: false });
    if (c.family !== family) {
      throw new IPAMError(
        'wrongFamily',
        family === 4
          ? 'provided IPv4 IPPools list contains one or more IPv6 IPPools'
          : 'provided IPv6 IPPools list contains one or more IPv4 IPPools',
      );
    }
    return c;
  });
}

function partialOf(e: unknown, family: 4 | 6): Assignment {
  if (e instanceof IPAMError && e.partial) return family === 4 ? e.partial.ipv4 : e.partial.ipv6;
  return NONE;
}

/** Calico returns what was assigned together with the error: ours rides on IPAMError.partial. */
function withPartial(e: unknown, partial: AutoAssignResult): unknown {
  const any = partial.ipv4.ips.length + partial.ipv6.ips.length > 0;
  if (e instanceof IPAMError) {
    if (!any && !e.partial) return e;
    return new IPAMError(e.reason, e.message, { code: e.code, hint: e.hint, cause: e.cause, partial });
  }
  if (!any || !(e instanceof Error)) return e;
  return new IPAMError('interrupted', e.message, {
    code: isCalicoError(e) ? e.code : 'IPAM',
    cause: e,
    partial,
  });
}
