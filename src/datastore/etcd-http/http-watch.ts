/**
 * One watch over an etcd prefix through the gateway's /v3/watch: a POST whose response is a stream
 * of JSON messages, one per line. A dropped stream is opened again from the last delivered revision
 * + 1, so nothing is lost or repeated; a compacted start revision or a cancellation by etcd ends the
 * watch with one ERROR event, as Calico's watcher does.
 *
 * Loaded on the first watch() (CNI plugins and calicoctl never watch); the Watch handed to callers
 * is the backend's, which owns the event queue.
 */
import { DatastoreError } from '../../errors/index.js';
import type { AsyncQueue } from '../async-queue.js';
import type { ListResult, WatchEvent } from '../backend.js';
import { prefixRange } from '../keys.js';
import { AttemptError, classify, datastoreError, grpcKind } from './http-errors.js';
import type { Endpoint, HttpTransport, Stream } from './http-transport.js';
import { b64, rev, toKV, type WatchMessage, type WatchResult } from './wire.js';

export interface WatchHost {
  transport: HttpTransport;
  /** The watch ended by itself (ERROR). */
  ended(): void;
  /** Silence after which the watch checks that its endpoint still answers (0: never). */
  probeMs: number;
}

const FIRST_RECONNECT_MS = 10;
const MAX_RECONNECT_MS = 1000;

export class HttpWatch {
  private readonly key: string;
  private readonly rangeEnd: string;
  private stream: Stream | undefined;
  private timer: NodeJS.Timeout | undefined; // reconnect pause, or the liveness probe
  private delay = FIRST_RECONNECT_MS;
  private closed = false;
  private lastRev = 0n; // every event with a revision <= lastRev has been queued

  constructor(
    private readonly host: WatchHost,
    private readonly prefix: string,
    /** Where to start: after a revision, or from a snapshot (the list already sent by watch()). */
    from: { revision: bigint } | { snapshot: Promise<ListResult> },
    private readonly queue: AsyncQueue<WatchEvent>,
  ) {
    const { key, rangeEnd } = prefixRange(prefix);
    this.key = b64(key);
    this.rangeEnd = b64(rangeEnd);
    void this.start(from);
  }

  private async start(from: { revision: bigint } | { snapshot: Promise<ListResult> }): Promise<void> {
    if ('snapshot' in from) {
      let snap: ListResult;
      try {
        snap = await from.snapshot;
      } catch (e) {
        this.fail(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      if (this.closed) return;
      for (const kv of snap.items) this.queue.push({ type: 'ADDED', kv });
      this.lastRev = snap.revision;
    } else {
      this.lastRev = from.revision;
    }
    await this.connect();
  }

  private async connect(): Promise<void> {
    this.timer = undefined;
    if (this.closed) return;
    const t = this.host.transport;
    let token: string | undefined;
    try {
      token = await t.streamToken(`watch ${this.prefix}`);
    } catch (e) {
      // Wrong credentials will not fix themselves; an unreachable etcd may.
      if (e instanceof DatastoreError && e.code === 'DATASTORE') this.fail(e);
      else this.retryLater();
      return;
    }
    if (this.closed) return;
    const request = {
      create_request: {
        key: this.key,
        range_end: this.rangeEnd,
        start_revision: String(this.lastRev + 1n),
        prev_kv: true,
      },
    };
    const stream = t.stream('/watch', request, token, {
      onLine: (line) => this.onLine(stream, line),
      onEnd: (f) => this.onEnd(stream, classify(f)),
    });
    this.stream = stream;
  }

  private onLine(stream: Stream, line: string): void {
    if (this.closed || stream !== this.stream) return;
    let msg: WatchMessage;
    try {
      msg = JSON.parse(line) as WatchMessage;
    } catch {
      this.onEnd(stream, new AttemptError('unavailable', `unreadable watch message: ${line.slice(0, 100)}`));
      return;
    }
    if (msg.error !== undefined) {
      // The gateway lost its stream to etcd (leader change, shutdown): open a new one.
      const e = typeof msg.error === 'string' ? { message: msg.error } : msg.error;
      const text = e.message || e.error || 'watch stream error';
      this.onEnd(stream, new AttemptError(grpcKind(e.code ?? e.grpc_code, text), text));
      return;
    }
    const r = msg.result;
    if (!r) return;
    if (r.canceled) {
      this.onCancelled(stream, r);
      return;
    }
    if (r.created) this.delay = FIRST_RECONNECT_MS; // a working stream again
    this.armProbe(stream.endpoint);
    this.deliver(r);
  }

  private deliver(r: WatchResult): void {
    const floor = this.lastRev;
    for (const ev of r.events ?? []) {
      if (!ev.kv) continue;
      const kv = toKV(ev.kv);
      if (kv.modRevision <= floor) continue; // replayed after a reconnect
      const prev = ev.prev_kv ? toKV(ev.prev_kv) : undefined;
      if (ev.type === 'DELETE') {
        this.queue.push({ type: 'DELETED', key: kv.key, prev, revision: kv.modRevision });
      } else if (kv.createRevision === kv.modRevision) {
        this.queue.push({ type: 'ADDED', kv });
      } else {
        this.queue.push({ type: 'MODIFIED', kv, prev });
      }
      if (kv.modRevision > this.lastRev) this.lastRev = kv.modRevision;
    }
  }

  private onCancelled(stream: Stream, r: WatchResult): void {
    const from = this.lastRev;
    const reason = r.cancel_reason ?? '';
    if (rev(r.compact_revision) > 0n) {
      this.fail(
        new DatastoreError(
          `watch of ${this.prefix} from revision ${from} failed: required revision ${from + 1n} has been compacted`,
          'list again and watch from the revision the list returns',
        ),
      );
      return;
    }
    if (grpcKind(undefined, reason) === 'token') {
      this.host.transport.dropToken();
      this.onEnd(stream, new AttemptError('token', reason));
      return;
    }
    this.fail(
      new DatastoreError(
        `watch of ${this.prefix} from revision ${from} was cancelled by etcd${reason ? `: ${reason}` : ''}`,
      ),
    );
  }

  /** The stream is gone: open another one (on the next endpoint if this one failed us) after a pause. */
  private onEnd(stream: Stream, e: AttemptError): void {
    if (this.closed || stream !== this.stream) return;
    stream.abort();
    this.stream = undefined;
    clearTimeout(this.timer);
    if (e.kind === 'tls' || e.kind === 'auth' || e.kind === 'gateway' || e.kind === 'protocol') {
      this.fail(datastoreError(this.host.transport.where, `watch ${this.prefix}`, e));
      return;
    }
    // Transient refusals (too many requests, no leader) are retried where we are.
    if (e.kind !== 'token' && e.kind !== 'other') this.host.transport.skip(stream.endpoint);
    this.retryLater();
  }

  private retryLater(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.connect(), this.delay);
    this.delay = Math.min(this.delay * 2, MAX_RECONNECT_MS);
  }

  /**
   * A stream can go silent because nothing changed or because the path to etcd died without a
   * reset (HTTP/1.1 has no pings). After probeMs of silence, ask the same endpoint for something
   * cheap; if it does not answer, drop the stream and resume elsewhere.
   */
  private armProbe(ep: Endpoint): void {
    clearTimeout(this.timer);
    const ms = this.host.probeMs;
    if (ms <= 0) return;
    const stream = this.stream;
    this.timer = setTimeout(() => {
      const t = this.host.transport;
      const probe = { key: this.key, range_end: this.rangeEnd, count_only: true, limit: '1' };
      void t.ping(ep, '/kv/range', probe, Math.min(t.requestTimeoutMs, 10_000)).then((alive) => {
        if (this.closed || stream !== this.stream || !stream) return;
        if (alive) this.armProbe(ep);
        else this.onEnd(stream, new AttemptError('deadline', `${ep.url} stopped answering`));
      });
    }, ms);
    this.timer.unref();
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.queue.push({ type: 'ERROR', error });
    this.queue.end();
    this.close();
    this.host.ended();
  }

  /** Stops streaming (the owner of the queue ends it). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stream?.abort();
    this.stream = undefined;
  }
}
