import { Range, type Etcd3, type IWatchResponse, type Watcher } from 'etcd3';
import { DatastoreError } from '../../errors/index.js';
import { AsyncQueue } from '../async-queue.js';
import type { ListResult, Watch, WatchEvent } from '../backend.js';
import { prefixRange } from '../keys.js';
import { grpcDetail } from './etcd-errors.js';
import { toKV } from './kv.js';

export interface WatchHost {
  client: Etcd3;
  list(prefix: string): Promise<ListResult>;
  /** Whether reading at this revision fails because etcd compacted it. */
  isCompacted(revision: bigint): Promise<boolean>;
  forget(w: EtcdWatch): void;
}

/** Bound for cancelling the etcd watcher on close(): a dead connection must not hang close(). */
const CANCEL_TIMEOUT_MS = 2000;

/**
 * One watch over an etcd prefix. The etcd3 library re-subscribes by itself after a dropped stream;
 * we tell it where to resume (the last revision we delivered + 1) so nothing is lost or repeated.
 * A cancellation by etcd (typically: the start revision was compacted) ends the watch with an
 * ERROR event, as Calico's watcher does.
 */
export class EtcdWatch implements Watch {
  private readonly queue: AsyncQueue<WatchEvent>;
  private watcher: Watcher | undefined;
  private closed = false;
  private cancelled = false; // etcd already dropped the watcher: nothing to cancel
  private lastRev = 0n; // every event with a revision <= lastRev has been queued

  constructor(
    private readonly host: WatchHost,
    private readonly prefix: string,
    fromRevision: bigint | undefined,
  ) {
    this.queue = new AsyncQueue<WatchEvent>(() => this.close());
    void this.start(fromRevision);
  }

  private async start(fromRevision: bigint | undefined): Promise<void> {
    let from: bigint;
    if (fromRevision === undefined) {
      let snap: ListResult;
      try {
        snap = await this.host.list(this.prefix);
      } catch (e) {
        this.fail(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      if (this.closed) return;
      for (const kv of snap.items) this.queue.push({ type: 'ADDED', kv });
      from = snap.revision;
    } else {
      from = fromRevision;
    }
    this.lastRev = from;

    const { key, rangeEnd } = prefixRange(this.prefix);
    const w = this.host.client
      .watch()
      .inRange(new Range(key, rangeEnd))
      .withPreviousKV()
      .startRevision(String(from + 1n))
      .watcher();
    this.watcher = w;
    w.on('data', (res: IWatchResponse) => this.onData(res));
    // The library re-attaches with request.start_revision; point it just past what we delivered
    // (its own bookkeeping follows response headers, which can run ahead of delivered events).
    w.on('disconnected', () => {
      w.request.start_revision = String(this.lastRev + 1n);
    });
    w.on('error', (err: Error) => {
      this.cancelled = true;
      void this.onCancelled(from, err);
    });
  }

  /** etcd 3.4 cancels a compacted watch with an empty reason: find out whether that is why. */
  private async onCancelled(from: bigint, err: Error): Promise<void> {
    const reason = grpcDetail(err).replace(/^Watcher canceled:\s*/, '');
    const compacted =
      reason === '' || /compacted/.test(reason) ? await this.host.isCompacted(from + 1n) : false;
    const message = compacted
      ? `watch of ${this.prefix} from revision ${from} failed: required revision ${from + 1n} has been compacted`
      : `watch of ${this.prefix} from revision ${from} was cancelled by etcd${reason ? `: ${reason}` : ''}`;
    this.fail(
      new DatastoreError(
        message,
        compacted ? 'list again and watch from the revision the list returns' : undefined,
        err,
      ),
    );
  }

  private onData(res: IWatchResponse): void {
    if (this.closed) return;
    const floor = this.lastRev;
    if (res.events.length === 0) {
      // A progress notification: everything up to the header revision has been sent.
      const rev = BigInt(res.header.revision);
      if (rev > this.lastRev) this.lastRev = rev;
      return;
    }
    for (const ev of res.events) {
      const kv = toKV(ev.kv);
      if (kv.modRevision <= floor) continue; // replayed after a reconnect
      const prev = ev.prev_kv ? toKV(ev.prev_kv) : undefined;
      if (String(ev.type).toUpperCase() === 'DELETE') {
        this.queue.push({ type: 'DELETED', key: kv.key, prev, revision: kv.modRevision });
      } else if (kv.createRevision === kv.modRevision) {
        this.queue.push({ type: 'ADDED', kv });
      } else {
        this.queue.push({ type: 'MODIFIED', kv, prev });
      }
      if (kv.modRevision > this.lastRev) this.lastRev = kv.modRevision;
    }
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.queue.push({ type: 'ERROR', error });
    this.queue.end();
    void this.detach();
  }

  private async detach(): Promise<void> {
    this.host.forget(this);
    const w = this.watcher;
    this.watcher = undefined;
    if (!w || this.cancelled) return;
    w.removeAllListeners('data');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      w.cancel().catch(() => undefined),
      new Promise<void>((r) => (timer = setTimeout(r, CANCEL_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.discard();
    await this.detach();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return this.queue;
  }
}
