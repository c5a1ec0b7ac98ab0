/**
 * Typed, revisioned access to IPAM's keys: blocks, affinities, handles, config. Every write is a
 * compare-and-swap (create-if-absent, update on mod revision, delete on revision); no policy here.
 */
import { MAX_TXN_OPS, type Backend, type KV, type TxnOp } from '../../datastore/backend.js';
import { KeyConflictError, TxnConflictError } from '../../datastore/errors.js';
import { CalicoError, isCalicoError } from '../../errors/index.js';
import { formatCIDR, keySegmentToCIDR, type CIDR } from '../../net/index.js';
import { IPAMError } from '../errors.js';
import {
  IPAM_CONFIG_KEY,
  IPAM_ROOT,
  affinityKey,
  blockKey,
  blockPrefix,
  handleKey,
  hostAffinityPrefix,
  type AffinityType,
  type AllocationBlock,
  type BlockAffinityValue,
  type IPAMHandle,
} from '../model.js';
import { decodeAffinity, encodeAffinity, parseAffinityKey, type AffinityRef } from '../core/affinity.js';
import { blockCIDR } from '../core/block.js';
import { decodeBlock, encodeBlock } from '../core/block-codec.js';
import {
  decodeHandle,
  decrementHandle,
  encodeHandle,
  incrementHandle,
  isHandleEmpty,
} from '../core/handle.js';

export interface BlockKV {
  key: string;
  cidr: CIDR;
  block: AllocationBlock;
  revision: bigint;
  /** The stored value this copy was decoded from (to start over after a failed write). */
  raw: string;
}

export interface AffinityKV {
  key: string;
  ref: AffinityRef;
  value: BlockAffinityValue;
  revision: bigint;
}

export interface HandleKV {
  key: string;
  handleId: string;
  handle: IPAMHandle;
  revision: bigint;
}

/** What a failed commit learned about the current state, so the retry needs no extra reads. */
export class CommitConflict extends CalicoError {
  constructor(
    /** The block as it now is: a KV, null when gone, undefined when our revision still held. */
    readonly block: KV | null | undefined,
    /** Handles as they now are (null = absent), for the next commit. */
    readonly handles: Map<string, HandleKV | null>,
    cause: unknown,
  ) {
    super('UPDATE_CONFLICT', 'IPAM block or handle changed while writing', undefined, { cause });
    this.name = 'CommitConflict';
  }
}

/** A compare-and-swap lost to another writer (retry with fresh data); IPAM's own conflicts are not. */
export function isCASConflict(e: unknown): boolean {
  return isCalicoError(e, 'UPDATE_CONFLICT') && !(e instanceof IPAMError);
}

const HANDLE_PREFIX = `${IPAM_ROOT}/handle/`;
const BLOCK_KEY = /^\/calico\/ipam\/v2\/assignment\/ipv(4|6)\/block\/([^/]+)$/;

export class IPAMStore {
  constructor(readonly backend: Backend) {}

  // ---- blocks -------------------------------------------------------------------------------------

  blockFromKV(kv: KV): BlockKV {
    const block = decodeBlock(kv.value);
    return { key: kv.key, cidr: blockCIDR(block), block, revision: kv.modRevision, raw: kv.value };
  }

  /** A fresh, independent copy decoded from the same stored value. */
  redecode(b: BlockKV): BlockKV {
    const block = decodeBlock(b.raw);
    return { ...b, block, cidr: blockCIDR(block) };
  }

  async getBlock(cidr: CIDR): Promise<BlockKV | undefined> {
    const kv = await this.backend.get(blockKey(formatCIDR(cidr), cidr.family));
    return kv ? this.blockFromKV(kv) : undefined;
  }

  async createBlock(block: AllocationBlock): Promise<BlockKV> {
    const c = blockCIDR(block);
    const value = encodeBlock(block);
    const kv = await this.backend.create(blockKey(block.cidr, c.family), value);
    return { key: kv.key, cidr: c, block, revision: kv.modRevision, raw: value };
  }

  /** Every block write bumps its sequence number, then CASes on the revision read. */
  async updateBlock(b: BlockKV): Promise<BlockKV> {
    b.block.sequenceNumber += 1n;
    const value = encodeBlock(b.block);
    const kv = await this.backend.update(b.key, value, b.revision);
    return { ...b, revision: kv.modRevision, raw: value };
  }

  async deleteBlock(b: BlockKV): Promise<void> {
    await this.backend.delete(b.key, b.revision);
  }

  /** Block keys (not values) of a family, parsed: cheap to filter before decoding. */
  async listBlockKVs(family?: 4 | 6): Promise<{ kv: KV; cidr: CIDR }[]> {
    const prefix = family ? blockPrefix(family) : `${IPAM_ROOT}/assignment/`;
    const { items } = await this.backend.list(prefix);
    const out: { kv: KV; cidr: CIDR }[] = [];
    for (const kv of items) {
      const m = BLOCK_KEY.exec(kv.key);
      if (!m) continue;
      try {
        out.push({ kv, cidr: keySegmentToCIDR(m[2]) });
      } catch {
        // Not a block key we understand: Calico skips it too.
      }
    }
    return out;
  }

  async listBlocks(family?: 4 | 6): Promise<BlockKV[]> {
    const out: BlockKV[] = [];
    for (const { kv } of await this.listBlockKVs(family)) {
      try {
        out.push(this.blockFromKV(kv));
      } catch {
        // A value that does not decode is skipped, as Calico's List does.
      }
    }
    return out;
  }

  // ---- affinities ---------------------------------------------------------------------------------

  private affinityFromKV(kv: KV, ref?: AffinityRef): AffinityKV | undefined {
    const r = ref ?? parseAffinityKey(kv.key);
    if (!r) return undefined;
    return { key: kv.key, ref: r, value: decodeAffinity(kv.value), revision: kv.modRevision };
  }

  async getAffinity(ref: AffinityRef): Promise<AffinityKV | undefined> {
    const kv = await this.backend.get(affinityKey(ref.host, ref.cidr, ref.family, ref.type));
    return kv ? this.affinityFromKV(kv, ref) : undefined;
  }

  /** Create-if-absent; an existing affinity throws ALREADY_EXISTS carrying it (KeyExistsError.existing). */
  async createAffinity(ref: AffinityRef, value: BlockAffinityValue): Promise<AffinityKV> {
    const kv = await this.backend.create(
      affinityKey(ref.host, ref.cidr, ref.family, ref.type),
      encodeAffinity(value),
    );
    return { key: kv.key, ref, value, revision: kv.modRevision };
  }

  affinityFromExisting(ref: AffinityRef, kv: KV): AffinityKV {
    return { key: kv.key, ref, value: decodeAffinity(kv.value), revision: kv.modRevision };
  }

  async updateAffinity(a: AffinityKV, value: BlockAffinityValue): Promise<AffinityKV> {
    const kv = await this.backend.update(a.key, encodeAffinity(value), a.revision);
    return { ...a, value, revision: kv.modRevision };
  }

  async deleteAffinity(a: AffinityKV): Promise<void> {
    await this.backend.delete(a.key, a.revision);
  }

  /** One host's affinities of one family, in key order (Calico's "affine blocks" order). */
  async listHostAffinities(type: AffinityType, host: string, family: 4 | 6): Promise<AffinityKV[]> {
    const { items } = await this.backend.list(hostAffinityPrefix(host, family, type));
    return items.map((kv) => this.affinityFromKV(kv)).filter((a): a is AffinityKV => a !== undefined);
  }

  async listAffinities(): Promise<AffinityKV[]> {
    const out: AffinityKV[] = [];
    for (const type of ['host', 'virtual'] as const) {
      const { items } = await this.backend.list(`${IPAM_ROOT}/${type}/`);
      for (const kv of items) {
        try {
          const a = this.affinityFromKV(kv);
          if (a) out.push(a);
        } catch {
          // skip undecodable values
        }
      }
    }
    return out;
  }

  // ---- handles ------------------------------------------------------------------------------------

  private handleFromKV(kv: KV): HandleKV {
    return {
      key: kv.key,
      handleId: kv.key.slice(HANDLE_PREFIX.length),
      handle: decodeHandle(kv.value),
      revision: kv.modRevision,
    };
  }

  async getHandle(handleId: string): Promise<HandleKV | undefined> {
    const kv = await this.backend.get(handleKey(handleId));
    return kv ? this.handleFromKV(kv) : undefined;
  }

  async listHandles(): Promise<HandleKV[]> {
    const { items } = await this.backend.list(HANDLE_PREFIX);
    const out: HandleKV[] = [];
    for (const kv of items) {
      try {
        out.push(this.handleFromKV(kv));
      } catch {
        // skip undecodable values
      }
    }
    return out;
  }

  /**
   * Writes a block (update with seq++, or delete) and its handle changes in ONE transaction, so a
   * handle count never exists without the allocations it counts, nor the reverse (Calico writes the
   * handle first and undoes it when the block CAS fails; a crash in between leaks a count).
   * `deltas`: +n / −n addresses per handle in this block. A decrement that the handle cannot take
   * (block not linked, or below zero) is skipped, as Calico logs and ignores it.
   * `handles`: what the caller knows of the handles (null = absent); kept up to date here. An
   * unknown handle being incremented is assumed absent (a new CNI handle almost always is): if it
   * exists, the failed transaction reports it and the retry uses it — one read saved per allocation.
   * Throws CommitConflict when any compare fails (nothing written).
   */
  async commitBlock(
    b: BlockKV,
    mode: 'update' | 'delete',
    deltas: ReadonlyMap<string, number>,
    handles: Map<string, HandleKV | null> = new Map(),
  ): Promise<BlockKV | undefined> {
    const cidrText = formatCIDR(b.cidr);
    const ids: string[] = [];
    let toRead = false;
    for (const [id, delta] of deltas) {
      if (delta === 0) continue;
      ids.push(id);
      if (delta < 0 && !handles.has(id)) toRead = true;
    }
    // Only a decrement of a handle not seen yet needs a read (an allocation never does).
    const current = toRead
      ? await Promise.all(
          ids.map(async (id) => {
            if (handles.has(id)) return handles.get(id) ?? undefined;
            return deltas.get(id)! > 0 ? undefined : await this.getHandle(id);
          }),
        )
      : ids.map((id) => handles.get(id) ?? undefined);
    const handleOps: TxnOp[] = [];
    const after: [string, IPAMHandle | null][] = [];
    ids.forEach((id, i) => {
      const delta = deltas.get(id)!;
      const h = current[i];
      if (delta > 0) {
        const next = incrementHandle(h?.handle, cidrText, delta);
        handleOps.push(
          h
            ? { op: 'update', key: h.key, value: encodeHandle(next), revision: h.revision }
            : { op: 'create', key: handleKey(id), value: encodeHandle(next) },
        );
        after.push([id, next]);
        return;
      }
      if (!h) return;
      const next = decrementHandle(h.handle, cidrText, -delta);
      if (!next) return;
      const gone = isHandleEmpty(next);
      handleOps.push(
        gone
          ? { op: 'delete', key: h.key, revision: h.revision }
          : { op: 'update', key: h.key, value: encodeHandle(next), revision: h.revision },
      );
      after.push([id, gone ? null : next]);
    });

    let value = '';
    let blockOp: TxnOp;
    if (mode === 'update') {
      b.block.sequenceNumber += 1n;
      value = encodeBlock(b.block);
      blockOp = { op: 'update', key: b.key, value, revision: b.revision };
    } else {
      blockOp = { op: 'delete', key: b.key, revision: b.revision };
    }

    if (handleOps.length + 1 > MAX_TXN_OPS) {
      for (const id of ids) handles.delete(id);
      return this.commitInSteps(b, blockOp, value, deltas);
    }
    let rev: bigint;
    try {
      rev = await this.backend.transact([blockOp, ...handleOps]);
    } catch (e) {
      if (!(e instanceof TxnConflictError)) throw e;
      let block: KV | null | undefined;
      for (const f of e.failures) {
        if (f.index === 0) block = f.current ?? null;
        else if (f.key.startsWith(HANDLE_PREFIX)) {
          handles.set(f.key.slice(HANDLE_PREFIX.length), f.current ? this.handleFromKV(f.current) : null);
        }
      }
      throw new CommitConflict(block, handles, e);
    }
    for (const [id, next] of after) {
      handles.set(id, next ? { key: handleKey(id), handleId: id, handle: next, revision: rev } : null);
    }
    return mode === 'update' ? { ...b, revision: rev, raw: value } : undefined;
  }

  /**
   * Too many handles for one transaction (a block larger than 127 addresses released at once):
   * Calico's two steps, block first, then each handle with its own CAS retries.
   */
  private async commitInSteps(
    b: BlockKV,
    blockOp: TxnOp,
    value: string,
    deltas: ReadonlyMap<string, number>,
  ): Promise<BlockKV | undefined> {
    let next: BlockKV | undefined;
    try {
      if (blockOp.op === 'update') {
        const kv = await this.backend.update(b.key, value, b.revision);
        next = { ...b, revision: kv.modRevision, raw: value };
      } else {
        await this.backend.delete(b.key, b.revision);
      }
    } catch (e) {
      if (e instanceof KeyConflictError) throw new CommitConflict(e.current ?? null, new Map(), e);
      if (isCalicoError(e, 'NOT_FOUND')) throw new CommitConflict(null, new Map(), e);
      throw e;
    }
    for (const [id, delta] of deltas) {
      if (delta !== 0) await this.adjustHandle(id, formatCIDR(b.cidr), delta);
    }
    return next;
  }

  /** One handle's count in one block, with its own CAS retries (used outside transactions). */
  async adjustHandle(handleId: string, cidr: string, delta: number, retries = 100): Promise<void> {
    for (let i = 0; i < retries; i++) {
      const h = await this.getHandle(handleId);
      try {
        if (delta > 0) {
          const next = incrementHandle(h?.handle, cidr, delta);
          if (h) await this.backend.update(h.key, encodeHandle(next), h.revision);
          else await this.backend.create(handleKey(handleId), encodeHandle(next));
          return;
        }
        if (!h) return;
        const next = decrementHandle(h.handle, cidr, -delta);
        if (!next) return;
        if (isHandleEmpty(next)) await this.backend.delete(h.key, h.revision);
        else await this.backend.update(h.key, encodeHandle(next), h.revision);
        return;
      } catch (e) {
        if (isCASConflict(e) || isCalicoError(e, 'ALREADY_EXISTS') || isCalicoError(e, 'NOT_FOUND')) continue;
        throw e;
      }
    }
    throw new IPAMError('maxRetries', 'Max retries hit - excessive concurrent IPAM requests');
  }

  /** Writes a handle as given (used to drop entries for blocks that no longer hold its addresses). */
  async replaceHandle(h: HandleKV, next: IPAMHandle): Promise<void> {
    if (isHandleEmpty(next)) await this.backend.delete(h.key, h.revision);
    else await this.backend.update(h.key, encodeHandle(next), h.revision);
  }

  // ---- config and host marker ---------------------------------------------------------------------

  async getConfigText(): Promise<string | undefined> {
    return (await this.backend.get(IPAM_CONFIG_KEY))?.value;
  }

  async putConfigText(value: string): Promise<void> {
    await this.backend.put(IPAM_CONFIG_KEY, value);
  }

  /** `/calico/ipam/v2/host/<host>`: deleted (exact key, on its revision) by RemoveIPAMHost. */
  async deleteHostMarker(host: string): Promise<void> {
    const key = `${IPAM_ROOT}/host/${host}`;
    for (let i = 0; i < 100; i++) {
      const kv = await this.backend.get(key);
      if (!kv) return;
      try {
        await this.backend.delete(key, kv.modRevision);
        return;
      } catch (e) {
        if (isCalicoError(e, 'NOT_FOUND')) return;
        if (!isCASConflict(e)) throw e;
      }
    }
    throw new IPAMError('maxRetries', 'Max retries hit');
  }
}
