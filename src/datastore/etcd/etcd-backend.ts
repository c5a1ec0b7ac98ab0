import { CompareResult, CompareTarget, Etcd3, type ICompare, type IOptions, type KVClient } from 'etcd3';
// cockatiel is etcd3's fault-handling library; we replace its default policies (see below).
import { noop } from 'cockatiel';
import { DatastoreError } from '../../errors/index.js';
import type { Backend, KV, ListResult, TxnOp, Watch, WatchOptions } from '../backend.js';
import {
  KeyConflictError,
  KeyExistsError,
  KeyNotFoundError,
  TxnConflictError,
  type TxnFailure,
} from '../errors.js';
import { checkTxnSize, txnFailure } from '../txn.js';
import { failedWatch } from '../async-queue.js';
import { prefixRange } from '../keys.js';
import { classify, datastoreError, timeoutError } from './etcd-errors.js';
import { EtcdWatch, type WatchHost } from './etcd-watch.js';
import { toKV } from './kv.js';

type CallOptions = NonNullable<Parameters<KVClient['range']>[1]>;

export interface EtcdBackendOptions {
  endpoints: string[];
  /** PEM contents (not file names). */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer };
  username?: string;
  password?: string;
  /** Give up connecting after this long (default 10 s, as Calico's client). */
  dialTimeoutMs?: number;
  /** Upper bound for any single call, retries included (default 10 s). */
  requestTimeoutMs?: number;
}

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 500;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Backend over etcd v3. Every operation is one etcd request (create/update/conditional delete are
 * single transactions, as Calico's etcdv3 backend), bounded by requestTimeoutMs.
 *
 * Fault handling is ours, not the library's: etcd3's default cockatiel policies retry and open
 * circuit breakers on their own schedule, which can outlast any timeout or replace the real error by
 * "circuit open". We install no-op policies and retry here, only what is safe to retry, until the
 * deadline.
 */
export class EtcdBackend implements Backend {
  readonly endpoints: string[];
  private readonly client: Etcd3;
  private readonly kv: KVClient;
  private readonly requestTimeoutMs: number;
  private readonly dialTimeoutMs: number;
  private readonly watches = new Set<EtcdWatch>();
  private closed = false;

  constructor(opts: EtcdBackendOptions) {
    if (opts.endpoints.length === 0) {
      throw new DatastoreError('no etcd endpoints specified', 'set ETCD_ENDPOINTS');
    }
    this.endpoints = [...opts.endpoints];
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.dialTimeoutMs = opts.dialTimeoutMs ?? 10_000;
    const options: IOptions = {
      hosts: this.endpoints,
      dialTimeout: this.dialTimeoutMs,
      faultHandling: {
        host: () => noop,
        global: noop,
        // The watch stream reconnects by itself; keep the pause short so a restarted etcd is
        // picked up quickly (and a pending reconnect timer never outlives close() by much).
        watchBackoff: backoff(5),
      },
      grpcOptions: {
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 10_000,
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1000,
        // Our own subchannels: no connection state shared with other clients in the process.
        'grpc.use_local_subchannel_pool': 1,
      },
      // Also bounds the auth-token exchange, which goes through the same factory.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + this.requestTimeoutMs }),
    };
    const tls = opts.tls;
    if (tls && (tls.ca || tls.cert || tls.key)) {
      options.credentials = {
        // An empty root set makes grpc-js fall back to the system CAs.
        rootCertificate: tls.ca ? Buffer.from(tls.ca) : (undefined as unknown as Buffer),
        ...(tls.cert ? { certChain: Buffer.from(tls.cert) } : {}),
        ...(tls.key ? { privateKey: Buffer.from(tls.key) } : {}),
      };
    }
    if (opts.username) options.auth = { username: opts.username, password: opts.password ?? '' };
    if (this.endpoints.some((e) => /^https:\/\/\d{1,3}(\.\d{1,3}){3}(:|\/|$)|^https:\/\/\[/.test(e))) {
      silenceIpServernameWarning();
    }
    try {
      this.client = new Etcd3(options);
    } catch (e) {
      throw new DatastoreError(`invalid etcd client configuration: ${(e as Error).message}`, undefined, e);
    }
    this.kv = this.client.kv;
  }

  async get(key: string): Promise<KV | undefined> {
    const res = await this.call(`get ${key}`, false, (o) => this.kv.range({ key: Buffer.from(key) }, o));
    return res.kvs[0] && toKV(res.kvs[0]);
  }

  async list(prefix: string): Promise<ListResult> {
    const { key, rangeEnd } = prefixRange(prefix);
    const res = await this.call(`list ${prefix}`, false, (o) =>
      this.kv.range({ key, range_end: rangeEnd }, o),
    );
    return { items: res.kvs.map(toKV), revision: BigInt(res.header.revision) };
  }

  async create(key: string, value: string): Promise<KV> {
    const k = Buffer.from(key);
    const res = await this.call(`create ${key}`, true, (o) =>
      this.kv.txn(
        {
          compare: [{ key: k, target: CompareTarget.Version, result: CompareResult.Equal, version: 0 }],
          success: [{ request_put: { key: k, value: Buffer.from(value) } }],
          failure: [{ request_range: { key: k } }],
        },
        o,
      ),
    );
    if (!res.succeeded) {
      const existing = res.responses[0]?.response_range?.kvs[0];
      throw new KeyExistsError(key, existing && toKV(existing));
    }
    const rev = BigInt(res.header.revision);
    return { key, value, modRevision: rev, createRevision: rev };
  }

  async update(key: string, value: string, revision: bigint): Promise<KV> {
    const k = Buffer.from(key);
    const compare: ICompare[] = [
      { key: k, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: int64(revision) },
    ];
    // A missing key has mod revision 0: revision 0 must not turn an update into a create.
    if (revision <= 0n) {
      compare.push({ key: k, target: CompareTarget.Version, result: CompareResult.Greater, version: 0 });
    }
    const res = await this.call(`update ${key}`, true, (o) =>
      this.kv.txn(
        {
          compare,
          success: [{ request_put: { key: k, value: Buffer.from(value), prev_kv: true } }],
          failure: [{ request_range: { key: k } }],
        },
        o,
      ),
    );
    if (!res.succeeded) {
      const current = res.responses[0]?.response_range?.kvs[0];
      if (!current) throw new KeyNotFoundError(key);
      throw new KeyConflictError(key, toKV(current));
    }
    const rev = BigInt(res.header.revision);
    const prev = res.responses[0]?.response_put?.prev_kv;
    return { key, value, modRevision: rev, createRevision: prev ? BigInt(prev.create_revision) : rev };
  }

  async put(key: string, value: string): Promise<KV> {
    const res = await this.call(`put ${key}`, true, (o) =>
      this.kv.put({ key: Buffer.from(key), value: Buffer.from(value), prev_kv: true }, o),
    );
    const rev = BigInt(res.header.revision);
    return {
      key,
      value,
      modRevision: rev,
      createRevision: res.prev_kv ? BigInt(res.prev_kv.create_revision) : rev,
    };
  }

  async delete(key: string, revision?: bigint): Promise<KV> {
    const k = Buffer.from(key);
    if (revision === undefined) {
      const res = await this.call(`delete ${key}`, true, (o) =>
        this.kv.deleteRange({ key: k, prev_kv: true }, o),
      );
      const prev = res.prev_kvs[0];
      if (!prev) throw new KeyNotFoundError(key);
      return toKV(prev);
    }
    const res = await this.call(`delete ${key}`, true, (o) =>
      this.kv.txn(
        {
          compare: [
            {
              key: k,
              target: CompareTarget.Mod,
              result: CompareResult.Equal,
              mod_revision: int64(revision),
            },
          ],
          success: [{ request_delete_range: { key: k, prev_kv: true } }],
          failure: [{ request_range: { key: k } }],
        },
        o,
      ),
    );
    if (!res.succeeded) {
      const current = res.responses[0]?.response_range?.kvs[0];
      if (!current) throw new KeyNotFoundError(key);
      throw new KeyConflictError(key, toKV(current));
    }
    const prev = res.responses[0]?.response_delete_range?.prev_kvs[0];
    // Revision 0 matches only a missing key, so a success always deleted something.
    if (!prev) throw new KeyNotFoundError(key);
    return toKV(prev);
  }

  async transact(ops: TxnOp[]): Promise<bigint> {
    checkTxnSize(ops);
    const compare: ICompare[] = [];
    const success: object[] = [];
    const failure: object[] = [];
    for (const o of ops) {
      const key = Buffer.from(o.key);
      failure.push({ request_range: { key } });
      if (o.op === 'create') {
        compare.push({ key, target: CompareTarget.Version, result: CompareResult.Equal, version: 0 });
        success.push({ request_put: { key, value: Buffer.from(o.value) } });
        continue;
      }
      // Updates and deletes need the key present; with a revision, that exact revision (a missing
      // key's is 0, so a positive one implies presence and needs no second compare).
      const rev = o.op === 'update' || o.revision !== undefined ? o.revision : undefined;
      if (rev === undefined || rev <= 0n) {
        compare.push({ key, target: CompareTarget.Version, result: CompareResult.Greater, version: 0 });
      }
      if (rev !== undefined) {
        compare.push({
          key,
          target: CompareTarget.Mod,
          result: CompareResult.Equal,
          mod_revision: int64(rev),
        });
      }
      success.push(
        o.op === 'update'
          ? { request_put: { key, value: Buffer.from(o.value) } }
          : { request_delete_range: { key } },
      );
    }
    const res = await this.call(`transaction of ${ops.length} ops`, true, (opts) =>
      this.kv.txn({ compare, success, failure } as Parameters<KVClient['txn']>[0], opts),
    );
    if (!res.succeeded) {
      const failures: TxnFailure[] = [];
      ops.forEach((o, index) => {
        const raw = res.responses[index]?.response_range?.kvs[0];
        const current = raw && toKV(raw);
        const reason = txnFailure(o, current);
        if (reason) failures.push({ index, key: o.key, reason, current });
      });
      // The failure branch reads at the compare's revision, so some op always explains it; be safe anyway.
      if (failures.length === 0) failures.push({ index: -1, key: '(concurrent change)', reason: 'revision' });
      throw new TxnConflictError(failures);
    }
    return BigInt(res.header.revision);
  }

  async deletePrefix(prefix: string): Promise<number> {
    const { key, rangeEnd } = prefixRange(prefix);
    const res = await this.call(`delete prefix ${prefix}`, true, (o) =>
      this.kv.deleteRange({ key, range_end: rangeEnd }, o),
    );
    return Number(res.deleted);
  }

  watch(prefix: string, options: WatchOptions = {}): Watch {
    if (this.closed) return failedWatch(new DatastoreError('the etcd datastore client is closed'));
    const host: WatchHost = {
      client: this.client,
      list: (p) => this.list(p),
      isCompacted: (rev) => this.isCompacted(rev),
      forget: (w) => this.watches.delete(w),
    };
    const w = new EtcdWatch(host, prefix, options.fromRevision);
    this.watches.add(w);
    return w;
  }

  private async isCompacted(revision: bigint): Promise<boolean> {
    try {
      await this.call('check compaction', false, (o) =>
        this.kv.range({ key: Buffer.from([0]), revision: String(revision), limit: 1 }, o),
      );
      return false;
    } catch (e) {
      return /compacted/.test(String((e as { cause?: unknown }).cause ?? e));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.watches].map((w) => w.close()));
    this.watches.clear();
    this.client.close();
  }

  /**
   * Runs one request with the overall deadline; retries while no connection could be made (and, for
   * reads, when the connection broke), with a short backoff. Writes are never retried once they
   * may have reached etcd.
   */
  private async call<T>(op: string, write: boolean, fn: (o: CallOptions) => Promise<T>): Promise<T> {
    const start = Date.now();
    const deadline = start + this.requestTimeoutMs;
    const connectBound = Math.min(this.dialTimeoutMs, this.requestTimeoutMs);
    const connectDeadline = start + connectBound;
    let delay = FIRST_RETRY_MS;
    let notConnected: unknown; // the last "could not connect" error, if that is where we are stuck
    for (;;) {
      if (this.closed) throw new DatastoreError('the etcd datastore client is closed');
      try {
        // Rounded up to 250 ms steps: calls then share one Node timer list instead of each duration
        // in ms making (and tearing down) its own.
        const guardMs = Math.ceil((deadline - Date.now() + 1000) / 250) * 250;
        return await guard(fn({ deadline: new Date(deadline) }), guardMs);
      } catch (e) {
        const kind = e instanceof GuardTimeout ? 'deadline' : classify(e);
        if (kind === 'deadline') {
          if (notConnected) throw timeoutError(this.endpoints, connectBound, op, 'connect', notConnected);
          throw timeoutError(this.endpoints, this.requestTimeoutMs, op, 'answer', e);
        }
        const retry = kind === 'not-connected' || (kind === 'unavailable' && !write);
        if (!retry) throw datastoreError(this.endpoints, op, e);
        notConnected = kind === 'not-connected' ? e : undefined;
        const remaining = (notConnected ? connectDeadline : deadline) - Date.now();
        if (remaining <= 0) {
          if (notConnected) throw timeoutError(this.endpoints, connectBound, op, 'connect', notConnected);
          throw timeoutError(this.endpoints, this.requestTimeoutMs, op, 'answer', e);
        }
        await sleep(Math.min(delay, remaining));
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    }
  }
}

/** An int64 for the request: a plain number when exact (no decimal string to parse back). */
function int64(v: bigint): number | string {
  return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : String(v);
}
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

type WatchBackoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;

/**
 * Reconnect delays of 10 ms doubling to 1 s (the library calls next() once up front and after each
 * failure). Short at first because the library also arms this timer when we cancel our last watcher,
 * and that timer delays process exit.
 */
function backoff(ms: number): WatchBackoff {
  return { duration: ms, next: () => backoff(Math.min(ms * 2, 1000)) };
}

class GuardTimeout extends Error {}

/** Belt and braces over grpc's own deadline: a call must settle within ms. */
async function guard<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new GuardTimeout()), Math.max(ms, 1))),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

let ipWarningSilenced = false;

/**
 * grpc-js passes the endpoint's host as the TLS server name, and Node warns (DEP0123) when that is an
 * IP address. For `https://10.0.0.1:2379` endpoints that warning would reach calicoctl's stderr, so
 * drop exactly that one warning.
 */
function silenceIpServernameWarning(): void {
  if (ipWarningSilenced) return;
  ipWarningSilenced = true;
  const original = process.emitWarning.bind(process);
  const filtered = (warning: string | Error, ...rest: unknown[]): void => {
    const code =
      rest.find((r) => r === 'DEP0123') ??
      (typeof rest[0] === 'object' && rest[0] && 'code' in rest[0]
        ? (rest[0] as { code?: unknown }).code
        : undefined);
    if (code === 'DEP0123') return;
    (original as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
  };
  process.emitWarning = filtered as typeof process.emitWarning;
}
