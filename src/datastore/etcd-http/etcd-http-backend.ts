import { DatastoreError } from '../../errors/index.js';
import { AsyncQueue, failedWatch } from '../async-queue.js';
import type { Backend, KV, ListResult, TxnOp, Watch, WatchEvent, WatchOptions } from '../backend.js';
import {
  KeyConflictError,
  KeyExistsError,
  KeyNotFoundError,
  TxnConflictError,
  type TxnFailure,
} from '../errors.js';
import { prefixRange } from '../keys.js';
import { checkTxnSize, txnFailure } from '../txn.js';
import { HttpTransport } from './http-transport.js';
import type { HttpWatch, WatchHost } from './http-watch.js';
import {
  b64,
  headerRevision,
  rev,
  toKV,
  type Compare,
  type DeleteRangeResponse,
  type PutResponse,
  type RangeResponse,
  type RequestOp,
  type TxnResponse,
} from './wire.js';

/** The same options as EtcdBackend's, so either can serve a DatastoreConfig. */
export interface EtcdHttpBackendOptions {
  /** http(s)://host:port, or unix:///path. */
  endpoints: string[];
  /** PEM contents (not file names). */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer };
  username?: string;
  password?: string;
  /** Give up connecting after this long (default 10 s, as Calico's client). */
  dialTimeoutMs?: number;
  /** Upper bound for any single call, retries included (default 10 s). */
  requestTimeoutMs?: number;
  /**
   * A watch silent this long checks that its etcd still answers and moves to another endpoint if
   * not (default 30 s; 0 turns the check off). Stands in for gRPC's keepalive pings.
   */
  watchProbeMs?: number;
}

/**
 * Backend over etcd v3's JSON gateway (etcd 3.4+: /v3/kv/*, /v3/watch) with Node's http module. It
 * behaves as EtcdBackend does (every write one request, create/update/conditional delete single
 * transactions) but loads in a few milliseconds, where the gRPC client costs hundreds.
 */
export class EtcdHttpBackend implements Backend {
  readonly endpoints: string[];
  private readonly transport: HttpTransport;
  private readonly watchProbeMs: number;
  private readonly watches = new Set<LazyWatch>();
  /** Snapshot lists of new watches still in flight (see write()). */
  private readonly snapshots = new Set<Promise<unknown>>();
  private closed = false;

  constructor(opts: EtcdHttpBackendOptions) {
    if (opts.endpoints.length === 0) {
      throw new DatastoreError('no etcd endpoints specified', 'set ETCD_ENDPOINTS');
    }
    this.endpoints = [...opts.endpoints];
    this.watchProbeMs = opts.watchProbeMs ?? 30_000;
    try {
      this.transport = new HttpTransport({
        endpoints: this.endpoints,
        tls: opts.tls,
        username: opts.username,
        password: opts.password,
        dialTimeoutMs: opts.dialTimeoutMs ?? 10_000,
        requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
      });
    } catch (e) {
      throw new DatastoreError(`invalid etcd client configuration: ${(e as Error).message}`, undefined, e);
    }
  }

  async get(key: string): Promise<KV | undefined> {
    const res = await this.read<RangeResponse>(`get ${key}`, '/kv/range', { key: b64(key) });
    return res.kvs?.[0] && toKV(res.kvs[0]);
  }

  async list(prefix: string): Promise<ListResult> {
    const { key, rangeEnd } = prefixRange(prefix);
    const res = await this.read<RangeResponse>(`list ${prefix}`, '/kv/range', {
      key: b64(key),
      range_end: b64(rangeEnd),
    });
    return { items: (res.kvs ?? []).map(toKV), revision: headerRevision(res) };
  }

  async create(key: string, value: string): Promise<KV> {
    const k = b64(key);
    const res = await this.txn(`create ${key}`, {
      compare: [{ key: k, target: 'VERSION', result: 'EQUAL', version: '0' }],
      success: [{ request_put: { key: k, value: b64(value) } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) {
      const existing = res.responses?.[0]?.response_range?.kvs?.[0];
      throw new KeyExistsError(key, existing && toKV(existing));
    }
    const r = headerRevision(res);
    return { key, value, modRevision: r, createRevision: r };
  }

  async update(key: string, value: string, revision: bigint): Promise<KV> {
    const k = b64(key);
    const compare: Compare[] = [{ key: k, target: 'MOD', result: 'EQUAL', mod_revision: String(revision) }];
    // A missing key has mod revision 0: revision 0 must not turn an update into a create.
    if (revision <= 0n) compare.push({ key: k, target: 'VERSION', result: 'GREATER', version: '0' });
    const res = await this.txn(`update ${key}`, {
      compare,
      success: [{ request_put: { key: k, value: b64(value), prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw this.conflict(key, res);
    const r = headerRevision(res);
    const prev = res.responses?.[0]?.response_put?.prev_kv;
    return { key, value, modRevision: r, createRevision: prev ? rev(prev.create_revision) : r };
  }

  async put(key: string, value: string): Promise<KV> {
    const res = await this.write<PutResponse>(`put ${key}`, '/kv/put', {
      key: b64(key),
      value: b64(value),
      prev_kv: true,
    });
    const r = headerRevision(res);
    return { key, value, modRevision: r, createRevision: res.prev_kv ? rev(res.prev_kv.create_revision) : r };
  }

  async delete(key: string, revision?: bigint): Promise<KV> {
    const k = b64(key);
    if (revision === undefined) {
      const res = await this.write<DeleteRangeResponse>(`delete ${key}`, '/kv/deleterange', {
        key: k,
        prev_kv: true,
      });
      const prev = res.prev_kvs?.[0];
      if (!prev) throw new KeyNotFoundError(key);
      return toKV(prev);
    }
    const res = await this.txn(`delete ${key}`, {
      compare: [{ key: k, target: 'MOD', result: 'EQUAL', mod_revision: String(revision) }],
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw this.conflict(key, res);
    const prev = res.responses?.[0]?.response_delete_range?.prev_kvs?.[0];
    // Revision 0 matches only a missing key, so a success always deleted something.
    if (!prev) throw new KeyNotFoundError(key);
    return toKV(prev);
  }

  async transact(ops: TxnOp[]): Promise<bigint> {
    checkTxnSize(ops);
    const compare: Compare[] = [];
    const success: RequestOp[] = [];
    for (const o of ops) {
      const key = b64(o.key);
      if (o.op === 'create') {
        compare.push({ key, target: 'VERSION', result: 'EQUAL', version: '0' });
        success.push({ request_put: { key, value: b64(o.value) } });
        continue;
      }
      // Updates and deletes need the key present; with a revision, that exact revision.
      compare.push({ key, target: 'VERSION', result: 'GREATER', version: '0' });
      if (o.op === 'update' || o.revision !== undefined) {
        compare.push({ key, target: 'MOD', result: 'EQUAL', mod_revision: String(o.revision) });
      }
      success.push(
        o.op === 'update' ? { request_put: { key, value: b64(o.value) } } : { request_delete_range: { key } },
      );
    }
    const failure = ops.map((o) => ({ request_range: { key: b64(o.key) } }));
    const res = await this.txn(`transaction of ${ops.length} ops`, { compare, success, failure });
    if (!res.succeeded) {
      const failures: TxnFailure[] = [];
      ops.forEach((o, index) => {
        const raw = res.responses?.[index]?.response_range?.kvs?.[0];
        const current = raw && toKV(raw);
        const reason = txnFailure(o, current);
        if (reason) failures.push({ index, key: o.key, reason, current });
      });
      // The failure branch reads at the compare's revision, so some op always explains it; be safe anyway.
      if (failures.length === 0) failures.push({ index: -1, key: '(concurrent change)', reason: 'revision' });
      throw new TxnConflictError(failures);
    }
    return headerRevision(res);
  }

  async deletePrefix(prefix: string): Promise<number> {
    const { key, rangeEnd } = prefixRange(prefix);
    const res = await this.write<DeleteRangeResponse>(`delete prefix ${prefix}`, '/kv/deleterange', {
      key: b64(key),
      range_end: b64(rangeEnd),
    });
    return Number(res.deleted ?? 0);
  }

  watch(prefix: string, options: WatchOptions = {}): Watch {
    if (this.closed) return failedWatch(new DatastoreError('the etcd datastore client is closed'));
    const w: LazyWatch = new LazyWatch(
      {
        transport: this.transport,
        ended: () => this.watches.delete(w),
        probeMs: this.watchProbeMs,
      },
      prefix,
      // The snapshot is requested now, so writes issued after watch() returns come after it.
      options.fromRevision === undefined
        ? { snapshot: this.list(prefix) }
        : { revision: options.fromRevision },
    );
    this.watches.add(w);
    return w;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.watches].map((w) => w.close()));
    this.watches.clear();
    this.transport.close();
  }

  /** A failed compare: the failure branch read the key (absent: not found; present: stale revision). */
  private conflict(key: string, res: TxnResponse): Error {
    const current = res.responses?.[0]?.response_range?.kvs?.[0];
    return current ? new KeyConflictError(key, toKV(current)) : new KeyNotFoundError(key);
  }

  private read<T>(op: string, path: string, body: object): Promise<T> {
    return this.transport.call<T>(op, path, body, false);
  }

  /**
   * Writes wait for the snapshots of watches opened before them: over one gRPC connection etcd
   * serves requests in order, over a pool of HTTP connections it may not, and a write landing before
   * the snapshot would reach the watcher as part of it rather than as its own event.
   */
  private async write<T>(op: string, path: string, body: object): Promise<T> {
    if (this.snapshots.size > 0) await Promise.allSettled([...this.snapshots]);
    return this.transport.call<T>(op, path, body, true);
  }

  private snapshot(prefix: string): Promise<ListResult> {
    const p = this.list(prefix);
    const settled: Promise<unknown> = p.then(
      () => this.snapshots.delete(settled),
      () => this.snapshots.delete(settled),
    );
    this.snapshots.add(settled);
    return p;
  }

  private txn(op: string, body: { compare: Compare[]; success: RequestOp[]; failure: RequestOp[] }) {
    return this.write<TxnResponse>(op, '/kv/txn', body);
  }
}

let watchModule: Promise<typeof import('./http-watch.js')> | undefined;

/**
 * The Watch callers get: it owns the event queue at once, while the streaming code (http-watch.ts)
 * loads on the first watch — most processes (CNI plugins, calicoctl) never watch.
 */
class LazyWatch implements Watch {
  private readonly queue: AsyncQueue<WatchEvent>;
  private engine: HttpWatch | undefined;
  private closed = false;

  constructor(
    private readonly host: WatchHost,
    prefix: string,
    from: { revision: bigint } | { snapshot: Promise<ListResult> },
  ) {
    this.queue = new AsyncQueue<WatchEvent>(() => this.close());
    // Closed before the engine loads: nobody else will look at the snapshot's outcome.
    if ('snapshot' in from) from.snapshot.catch(() => undefined);
    watchModule ??= import('./http-watch.js');
    watchModule.then(
      ({ HttpWatch }) => {
        if (!this.closed) this.engine = new HttpWatch(host, prefix, from, this.queue);
      },
      (e: unknown) => {
        this.queue.push({ type: 'ERROR', error: e instanceof Error ? e : new Error(String(e)) });
        this.queue.end();
        host.ended();
      },
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.discard();
    this.engine?.close();
    this.host.ended();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return this.queue;
  }
}
