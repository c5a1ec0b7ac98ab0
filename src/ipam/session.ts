/**
 * One IPAM operation's context: the store, the config read at its start, one clock reading, the
 * retry budget and the caller's abort signal. Every block read through a session is garbage
 * collected in memory (cooldown expiry), so write paths persist the GC with their own CAS.
 */
import type { Client } from '../client/client.js';
import type { CIDR } from '../net/index.js';
import type { KV } from '../datastore/backend.js';
import { garbageCollect } from './core/block.js';
import type { IPAMConfig } from './model.js';
import type { BlockKV, HandleKV, IPAMStore } from './store/ipam-store.js';

export class Session {
  /** Handles as last seen or written in this operation (null = absent): saves re-reads. */
  readonly handles = new Map<string, HandleKV | null>();
  /** A long-lived client's cached Node labels (null = no such node); else read per operation. */
  nodeLabelsOf?: (host: string) => Promise<Record<string, string> | null>;
  /** A long-lived client's note of a block as this operation wrote it (undefined = deleted). */
  onCommitted?: (cidr: CIDR, after: BlockKV | undefined) => void;
  /** A long-lived client's recent write of a block: possibly stale, so only fit to try a CAS on. */
  blockCopy?: (cidr: CIDR) => BlockKV | undefined;

  constructor(
    readonly store: IPAMStore,
    readonly client: Client,
    readonly cfg: IPAMConfig,
    readonly now: Date,
    /** Creation time for new blocks' sequence numbers, in ns. */
    readonly nowNs: bigint,
    readonly retries: number,
    readonly signal?: AbortSignal,
  ) {}

  committed(cidr: CIDR, after: BlockKV | undefined): void {
    this.onCommitted?.(cidr, after);
  }

  checkAbort(): void {
    this.signal?.throwIfAborted();
  }

  gc(b: BlockKV): BlockKV {
    garbageCollect(b.block, this.now, this.cfg.ipCooldownSeconds);
    return b;
  }

  async readBlock(cidr: CIDR): Promise<BlockKV | undefined> {
    this.checkAbort();
    const b = await this.store.getBlock(cidr);
    return b && this.gc(b);
  }

  fromKV(kv: KV): BlockKV {
    return this.gc(this.store.blockFromKV(kv));
  }

  /**
   * The block to retry with after a failed commit: the current value the transaction reported, a
   * fresh copy of what we read when our revision still held, or undefined when it is gone.
   */
  afterConflict(b: BlockKV, current: KV | null | undefined): BlockKV | undefined {
    if (current === null) return undefined;
    if (current === undefined) return this.gc(this.store.redecode(b));
    return this.fromKV(current);
  }
}
