import { DatastoreError } from '../../errors/index.js';
import { AsyncQueue, failedWatch } from '../async-queue.js';
import type { Backend, KV, ListResult, TxnOp, Watch, WatchEvent, WatchOptions } from '../backend.js';
import { checkTxnSize, txnFailure } from '../txn.js';
import {
  KeyConflictError,
  KeyExistsError,
  KeyNotFoundError,
  TxnConflictError,
  type TxnFailure,
} from '../errors.js';
import { compareKeys } from '../keys.js';

/** One change as etcd would report it on a watch. */
interface HistoryEntry {
  revision: bigint;
  key: string;
  kv?: KV; // absent for deletes
  prev?: KV;
}

/**
 * An in-memory Backend with etcd's revision semantics, for unit tests only: one global revision
 * counter bumped by every write (a deletePrefix is one revision for all its keys), watch history so
 * a watch can start from an old revision, and compact() to make old revisions unavailable.
 */
export class MemoryBackend implements Backend {
  private readonly data = new Map<string, KV>();
  private readonly history: HistoryEntry[] = [];
  private readonly watches = new Set<MemoryWatch>();
  // A fresh etcd store reports revision 1 before any write.
  private rev = 1n;
  private compacted = 0n;
  private closed = false;

  /** The current store revision. */
  get revision(): bigint {
    return this.rev;
  }

  async get(key: string): Promise<KV | undefined> {
    this.check();
    const kv = this.data.get(key);
    return kv && { ...kv };
  }

  async list(prefix: string): Promise<ListResult> {
    this.check();
    return { items: this.snapshot(prefix), revision: this.rev };
  }

  async create(key: string, value: string): Promise<KV> {
    this.check();
    const existing = this.data.get(key);
    if (existing) throw new KeyExistsError(key, { ...existing });
    return this.write(key, value);
  }

  async update(key: string, value: string, revision: bigint): Promise<KV> {
    this.check();
    const current = this.data.get(key);
    if (!current) throw new KeyNotFoundError(key);
    if (current.modRevision !== revision) throw new KeyConflictError(key, { ...current });
    return this.write(key, value);
  }

  async put(key: string, value: string): Promise<KV> {
    this.check();
    return this.write(key, value);
  }

  async delete(key: string, revision?: bigint): Promise<KV> {
    this.check();
    const current = this.data.get(key);
    if (!current) throw new KeyNotFoundError(key);
    if (revision !== undefined && current.modRevision !== revision) {
      throw new KeyConflictError(key, { ...current });
    }
    this.rev++;
    this.remove(key, current);
    return { ...current };
  }

  async transact(ops: TxnOp[]): Promise<bigint> {
    this.check();
    checkTxnSize(ops);
    const failures: TxnFailure[] = [];
    ops.forEach((o, index) => {
      const current = this.data.get(o.key);
      const f = txnFailure(o, current);
      if (f) failures.push({ index, key: o.key, reason: f, current: current && { ...current } });
    });
    if (failures.length) throw new TxnConflictError(failures);
    if (ops.length === 0) return this.rev;
    this.rev++;
    for (const o of ops) {
      if (o.op === 'delete') this.remove(o.key, this.data.get(o.key)!);
      else this.setAt(o.key, o.value);
    }
    return this.rev;
  }

  async deletePrefix(prefix: string): Promise<number> {
    this.check();
    const doomed = this.snapshot(prefix);
    if (doomed.length === 0) return 0; // etcd does not bump the revision when nothing changes
    this.rev++;
    for (const kv of doomed) this.remove(kv.key, kv);
    return doomed.length;
  }

  watch(prefix: string, options: WatchOptions = {}): Watch {
    if (this.closed) return failedWatch(new DatastoreError('the datastore backend is closed'));
    const w = new MemoryWatch(prefix, (x) => this.watches.delete(x));
    const from = options.fromRevision;
    if (from === undefined) {
      for (const kv of this.snapshot(prefix)) w.deliver({ type: 'ADDED', kv });
    } else if (from + 1n < this.compacted) {
      w.fail(
        new DatastoreError(
          `watch of ${prefix} from revision ${from} failed: required revision has been compacted (compacted at ${this.compacted})`,
          'restart the watch without a revision to get a fresh snapshot',
        ),
      );
      return w;
    } else {
      for (const h of this.history) {
        if (h.revision > from && h.key.startsWith(prefix)) w.deliver(toEvent(h));
      }
    }
    this.watches.add(w);
    return w;
  }

  /** Forget history before `revision`, like `etcdctl compact`: older watch start points then fail. */
  compact(revision: bigint): void {
    if (revision > this.rev) throw new Error(`cannot compact to ${revision}: store is at ${this.rev}`);
    if (revision <= this.compacted) return;
    this.compacted = revision;
    let drop = 0;
    while (drop < this.history.length && this.history[drop].revision < revision) drop++;
    this.history.splice(0, drop);
  }

  async close(): Promise<void> {
    this.closed = true;
    const open = [...this.watches];
    this.watches.clear();
    await Promise.all(open.map((w) => w.close()));
  }

  private check(): void {
    if (this.closed) throw new DatastoreError('the datastore backend is closed');
  }

  private snapshot(prefix: string): KV[] {
    const out: KV[] = [];
    for (const kv of this.data.values()) if (kv.key.startsWith(prefix)) out.push({ ...kv });
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }

  private write(key: string, value: string): KV {
    this.rev++;
    return this.setAt(key, value);
  }

  /** Sets a key at the current revision (a transaction's writes share one revision). */
  private setAt(key: string, value: string): KV {
    const prev = this.data.get(key);
    const kv: KV = {
      key,
      value,
      modRevision: this.rev,
      createRevision: prev ? prev.createRevision : this.rev,
    };
    this.data.set(key, kv);
    this.record({ revision: this.rev, key, kv: { ...kv }, prev: prev && { ...prev } });
    return { ...kv };
  }

  private remove(key: string, prev: KV): void {
    this.data.delete(key);
    this.record({ revision: this.rev, key, prev: { ...prev } });
  }

  private record(h: HistoryEntry): void {
    this.history.push(h);
    for (const w of this.watches) if (h.key.startsWith(w.prefix)) w.deliver(toEvent(h));
  }
}

function toEvent(h: HistoryEntry): WatchEvent {
  if (!h.kv) return { type: 'DELETED', key: h.key, prev: h.prev && { ...h.prev }, revision: h.revision };
  if (h.kv.createRevision === h.kv.modRevision) return { type: 'ADDED', kv: { ...h.kv } };
  return { type: 'MODIFIED', kv: { ...h.kv }, prev: h.prev && { ...h.prev } };
}

class MemoryWatch implements Watch {
  private readonly queue: AsyncQueue<WatchEvent>;

  constructor(
    readonly prefix: string,
    private readonly detach: (w: MemoryWatch) => void,
  ) {
    this.queue = new AsyncQueue<WatchEvent>(() => this.close());
  }

  deliver(ev: WatchEvent): void {
    this.queue.push(ev);
  }

  /** One ERROR event, then the end: the same shape as an etcd watch that was cancelled. */
  fail(error: Error): void {
    this.queue.push({ type: 'ERROR', error });
    this.queue.end();
    this.detach(this);
  }

  async close(): Promise<void> {
    this.detach(this);
    this.queue.discard();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return this.queue;
  }
}
