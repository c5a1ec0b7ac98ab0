/**
 * EtcdHttpBackend, falling back to the gRPC EtcdBackend when etcd cannot serve its JSON gateway.
 *
 * etcd 3.4's gateway reaches etcd through etcd's own client port, presenting etcd's *server*
 * certificate as its client certificate. With --client-cert-auth and a server certificate that lacks
 * the clientAuth usage, every gateway request fails while gRPC clients work: such clusters exist, and
 * must keep working. The first call that meets this moves the backend to gRPC for good (loading etcd3
 * then, and only then); the request never reached etcd's key space, so it is safe to repeat.
 */
import { AsyncQueue } from '../async-queue.js';
import type { Backend, KV, ListResult, TxnOp, Watch, WatchEvent, WatchOptions } from '../backend.js';
import { EtcdHttpBackend, type EtcdHttpBackendOptions } from './etcd-http-backend.js';

export class FallbackEtcdBackend implements Backend {
  readonly endpoints: string[];
  private readonly http: EtcdHttpBackend;
  private grpc: Promise<Backend> | undefined;
  private readonly watches = new Set<FallbackWatch>();
  private closed = false;

  constructor(private readonly opts: EtcdHttpBackendOptions) {
    this.http = new EtcdHttpBackend(opts);
    this.endpoints = this.http.endpoints;
  }

  /** Which client serves the calls now (for diagnostics and tests). */
  get transport(): 'http' | 'grpc' {
    return this.grpc ? 'grpc' : 'http';
  }

  get(key: string): Promise<KV | undefined> {
    return this.run((b) => b.get(key));
  }
  list(prefix: string): Promise<ListResult> {
    return this.run((b) => b.list(prefix));
  }
  create(key: string, value: string): Promise<KV> {
    return this.run((b) => b.create(key, value));
  }
  update(key: string, value: string, revision: bigint): Promise<KV> {
    return this.run((b) => b.update(key, value, revision));
  }
  put(key: string, value: string): Promise<KV> {
    return this.run((b) => b.put(key, value));
  }
  delete(key: string, revision?: bigint): Promise<KV> {
    return this.run((b) => b.delete(key, revision));
  }
  deletePrefix(prefix: string): Promise<number> {
    return this.run((b) => b.deletePrefix(prefix));
  }
  transact(ops: TxnOp[]): Promise<bigint> {
    return this.run((b) => b.transact(ops));
  }

  watch(prefix: string, options: WatchOptions = {}): Watch {
    if (this.closed || !this.grpc) {
      const w: FallbackWatch = new FallbackWatch(this.http.watch(prefix, options), async () => {
        const grpc = await this.useGrpc();
        return grpc.watch(prefix, options);
      });
      w.onEnd = () => this.watches.delete(w);
      this.watches.add(w);
      return w;
    }
    return new FallbackWatch(undefined, async () => (await this.useGrpc()).watch(prefix, options));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.watches].map((w) => w.close()));
    await this.http.close();
    if (this.grpc) await (await this.grpc).close();
  }

  private async run<T>(fn: (b: Backend) => Promise<T>): Promise<T> {
    if (this.grpc) return fn(await this.grpc);
    try {
      return await fn(this.http);
    } catch (e) {
      if (this.closed || !gatewayUnusable(e)) throw e;
      return fn(await this.useGrpc());
    }
  }

  private useGrpc(): Promise<Backend> {
    this.grpc ??= import('../etcd/etcd-backend.js').then(async ({ EtcdBackend }) => {
      const { watchProbeMs: _unused, ...grpcOpts } = this.opts;
      // The HTTP backend stays open until close(): its other watches fail over one by one.
      const b = new EtcdBackend(grpcOpts);
      if (this.closed) await b.close();
      return b;
    });
    return this.grpc;
  }
}

/** The DatastoreError EtcdHttpBackend reports when etcd's gateway cannot reach etcd itself. */
export function gatewayUnusable(e: unknown): boolean {
  const cause = e instanceof Error ? (e.cause as { name?: unknown; kind?: unknown } | undefined) : undefined;
  return cause?.name === 'AttemptError' && cause.kind === 'gateway';
}

/**
 * Passes events through from the HTTP watch; if that fails with "gateway unusable" before delivering
 * anything, carries on with a gRPC watch of the same prefix and options, so the caller sees one watch.
 */
class FallbackWatch implements Watch {
  onEnd: () => void = () => {};
  private readonly queue: AsyncQueue<WatchEvent>;
  private inner: Watch | undefined;
  private closed = false;

  constructor(
    first: Watch | undefined,
    private readonly fallback: () => Promise<Watch>,
  ) {
    this.queue = new AsyncQueue<WatchEvent>(() => this.close());
    void this.pump(first);
  }

  private async pump(first: Watch | undefined): Promise<void> {
    let delivered = false;
    try {
      if (first) {
        this.inner = first;
        for await (const ev of first) {
          if (this.closed) return;
          if (ev.type === 'ERROR' && !delivered && gatewayUnusable(ev.error)) break;
          delivered = true;
          this.queue.push(ev);
        }
        if (delivered || this.closed) return;
        await first.close();
      }
      const second = await this.fallback();
      if (this.closed) return void (await second.close());
      this.inner = second;
      for await (const ev of second) {
        if (this.closed) return;
        this.queue.push(ev);
      }
    } catch (e) {
      this.queue.push({ type: 'ERROR', error: e instanceof Error ? e : new Error(String(e)) });
    } finally {
      this.queue.end();
      this.onEnd();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.discard();
    await this.inner?.close();
    this.onEnd();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return this.queue;
  }
}
