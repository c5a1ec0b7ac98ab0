/**
 * The datastore Backend: a small key/value interface with revisions, modelled on etcd v3.
 * Everything above it (client, ipam, felix, confd) is typed; this layer only moves strings.
 *
 * Errors: create on an existing key throws a KeyExistsError; update/delete with a stale revision
 * throws a KeyConflictError; update/delete of a missing key throws a KeyNotFoundError. All are
 * CalicoErrors (codes ALREADY_EXISTS / UPDATE_CONFLICT / NOT_FOUND) so the client layer can
 * re-throw them with the resource's identity. Connection failures and timeouts throw a
 * DatastoreError (codes DATASTORE / DATASTORE_TIMEOUT).
 */
export interface KV {
  key: string;
  value: string;
  /** etcd mod_revision: becomes the resource's resourceVersion. */
  modRevision: bigint;
  /** etcd create_revision: a watch event is ADDED when createRevision === modRevision. */
  createRevision: bigint;
}

export interface ListResult {
  items: KV[];
  /** Store revision at read time (etcd header revision): a watch start point. */
  revision: bigint;
}

/**
 * Events arrive in revision order, buffered without limit (a slow consumer loses nothing). ADDED is
 * a put that created the key (createRevision === modRevision) or a snapshot entry; MODIFIED carries
 * the previous value when the store still has it; DELETED carries the deleted value and the delete's
 * revision (keys removed by one deletePrefix share it). ERROR is terminal: the watch could not go on
 * (typically its start revision was compacted) and the iterator ends right after it; list again and
 * watch from the list's revision. Transient disconnections are retried inside the watch and are
 * not reported.
 */
export type WatchEvent =
  | { type: 'ADDED'; kv: KV }
  | { type: 'MODIFIED'; kv: KV; prev?: KV }
  | { type: 'DELETED'; key: string; prev?: KV; revision: bigint }
  | { type: 'ERROR'; error: Error };

export interface Watch extends AsyncIterable<WatchEvent> {
  /**
   * Stops the watch; the iterator ends (a pending next() resolves done, buffered events are dropped).
   * Idempotent. Leaving a for-await loop early closes the watch too.
   */
  close(): Promise<void>;
}

export interface WatchOptions {
  /**
   * Start after this revision (events with modRevision > fromRevision). When absent, the watch
   * first lists the prefix and emits one ADDED per existing key (a snapshot), then continues from
   * the list's revision + 1.
   */
  fromRevision?: bigint;
}

/** One operation of an all-or-nothing transaction. */
export type TxnOp =
  | { op: 'create'; key: string; value: string }
  | { op: 'update'; key: string; value: string; revision: bigint }
  | { op: 'delete'; key: string; revision?: bigint };

/** etcd's default --max-txn-ops: callers split larger batches. */
export const MAX_TXN_OPS = 128;

export interface Backend {
  get(key: string): Promise<KV | undefined>;
  /** Keys with this prefix, in key (byte) order. */
  list(prefix: string): Promise<ListResult>;
  /** Create-if-absent in one transaction (etcd: If(Version(key)==0)). */
  create(key: string, value: string): Promise<KV>;
  /** Compare-and-swap on mod revision in one transaction. */
  update(key: string, value: string, revision: bigint): Promise<KV>;
  /** Unconditional put (Calico's "Apply": IPAM config, status keys). */
  put(key: string, value: string): Promise<KV>;
  /** Delete, conditional on revision when given. Returns the deleted KV. */
  delete(key: string, revision?: bigint): Promise<KV>;
  /** Delete every key under the prefix; returns how many were deleted. */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * Applies every op in one transaction at one new revision, or none of them: a create needs the key
   * absent, an update or a delete-with-revision needs that mod revision, a delete needs the key
   * present. On failure throws a TxnConflictError naming each op that did not hold. At most
   * MAX_TXN_OPS ops. Returns the revision of the write.
   */
  transact(ops: TxnOp[]): Promise<bigint>;
  watch(prefix: string, options?: WatchOptions): Watch;
  close(): Promise<void>;
}
