import { randomUUID } from 'node:crypto';
import {
  API_VERSION,
  applyDefaults,
  kindByKind,
  validateResource,
  type KindDef,
  type Resource,
  type ResourceList,
} from '../api/index.js';
import { MAX_TXN_OPS, type Backend, type TxnOp } from '../datastore/backend.js';
import { TxnConflictError } from '../datastore/errors.js';
import {
  AlreadyExistsError,
  CalicoError,
  NotFoundError,
  ValidationError,
  type ResourceRef,
} from '../errors/index.js';
import { resourceError } from './backend-errors.js';
import { listPrefix, parseResourceKey, resourceKey } from './keys.js';
import type { ResourceEvent, ResourceWatch } from './resource-events.js';
import { kindRules, type KindRules } from './rules/index.js';
import { fromStorage, toStorage } from './storage.js';

/**
 * What the resource rules need from IPAM. The client folder must not import src/ipam (imports flow
 * ipam → client), so IPAM plugs these in; without them, deletes leave IPAM data as it is.
 */
export interface IPAMHooks {
  /** IPPool delete (after disabling it): release every block affinity inside the pool's CIDR. */
  releasePoolAffinities(cidr: string): Promise<void>;
  /** Node delete: release the node's workload and tunnel addresses, then its block affinities. */
  releaseNodeIPAM(node: string, addresses: string[]): Promise<void>;
}

export interface ClientOptions {
  /** Pause between disabling an IPPool and deleting it (Calico: 500 ms, so allocators notice). */
  poolDeleteDelayMs?: number;
  ipamHooks?: IPAMHooks;
}

export interface ListOptions {
  namespace?: string;
  namePrefix?: string;
}

/**
 * Typed resource client over a Backend: Calico's defaulting, validation, naming and cross-resource
 * rules, with every write a single compare-and-swap in the datastore.
 */
export class Client {
  readonly poolDeleteDelayMs: number;
  /** Settable after construction: the IPAM client that provides them needs this client first. */
  ipamHooks?: IPAMHooks;

  constructor(
    readonly backend: Backend,
    options: ClientOptions = {},
  ) {
    this.poolDeleteDelayMs = options.poolDeleteDelayMs ?? 500;
    this.ipamHooks = options.ipamHooks;
  }

  kind(kind: string): KindDef {
    const def = kindByKind(kind);
    if (!def) throw new CalicoError('USAGE', `resource type '${kind}' is not supported`);
    return def;
  }

  private rules(def: KindDef): KindRules {
    return kindRules(def.kind);
  }

  async create(input: Resource): Promise<Resource> {
    const def = this.kind(input.kind);
    const r = prepare(def, input);
    const ref = refOf(r);
    validateResource(r, 'create');
    await this.rules(def).beforeCreate?.(this, r);
    r.metadata.uid = r.metadata.uid || randomUUID();
    r.metadata.creationTimestamp = r.metadata.creationTimestamp || nowRFC3339();
    const key = resourceKey(def, r.metadata.name!, r.metadata.namespace);
    try {
      const kv = await this.backend.create(key, toStorage(r));
      return fromStorage(def, kv);
    } catch (e) {
      throw resourceError(e, ref);
    }
  }

  /**
   * Creates many resources with the same rules as create(), writing up to MAX_TXN_OPS of them per
   * etcd transaction. Each input gets its own outcome (undefined = created, else the error), as if
   * created one by one in order.
   */
  async createMany(inputs: Resource[]): Promise<(unknown | undefined)[]> {
    const outcomes: (unknown | undefined)[] = new Array(inputs.length).fill(undefined);
    const pending: { index: number; op: TxnOp & { op: 'create' }; ref: ResourceRef }[] = [];
    for (let i = 0; i < inputs.length; i++) {
      try {
        const def = this.kind(inputs[i].kind);
        const r = prepare(def, inputs[i]);
        validateResource(r, 'create');
        await this.rules(def).beforeCreate?.(this, r);
        r.metadata.uid = r.metadata.uid || randomUUID();
        r.metadata.creationTimestamp = r.metadata.creationTimestamp || nowRFC3339();
        const key = resourceKey(def, r.metadata.name!, r.metadata.namespace);
        pending.push({ index: i, op: { op: 'create', key, value: toStorage(r) }, ref: refOf(r) });
      } catch (e) {
        outcomes[i] = e;
      }
    }
    // A key may appear only once per transaction: a repeat starts the next batch (and then fails).
    let batch: typeof pending = [];
    const keys = new Set<string>();
    const flush = async () => {
      if (batch.length) await this.createBatch(batch, outcomes);
      batch = [];
      keys.clear();
    };
    for (const p of pending) {
      if (batch.length === MAX_TXN_OPS || keys.has(p.op.key)) await flush();
      batch.push(p);
      keys.add(p.op.key);
    }
    await flush();
    return outcomes;
  }

  /** One transaction; keys that already exist are reported and the rest retried without them. */
  private async createBatch(
    batch: { index: number; op: TxnOp & { op: 'create' }; ref: ResourceRef }[],
    outcomes: (unknown | undefined)[],
  ): Promise<void> {
    let todo = batch;
    while (todo.length) {
      try {
        await this.backend.transact(todo.map((t) => t.op));
        return;
      } catch (e) {
        if (!(e instanceof TxnConflictError)) {
          for (const t of todo) outcomes[t.index] = e;
          return;
        }
        const failed = new Set(e.failures.map((f) => f.index));
        for (const i of failed) {
          if (todo[i]) outcomes[todo[i].index] = new AlreadyExistsError(todo[i].ref);
        }
        if (failed.size === 0 || [...failed].some((i) => !todo[i])) {
          for (const t of todo) outcomes[t.index] = e;
          return;
        }
        todo = todo.filter((_, i) => !failed.has(i));
      }
    }
  }

  async update(input: Resource): Promise<Resource> {
    const def = this.kind(input.kind);
    const r = prepare(def, input);
    const ref = refOf(r);
    validateResource(r, 'update');
    const missing: { field: string; reason: string }[] = [];
    if (!r.metadata.uid)
      missing.push({ field: 'metadata.uid', reason: 'field must be set for an Update request' });
    if (!r.metadata.creationTimestamp)
      missing.push({
        field: 'metadata.creationTimestamp',
        reason: 'field must be set for an Update request',
      });
    if (missing.length) throw new ValidationError(missing, ref);
    const rev = parseRevision(r.metadata.resourceVersion!, ref);
    const rules = this.rules(def);
    if (rules.beforeUpdate) {
      const current = await this.get(def.kind, r.metadata.name!, r.metadata.namespace);
      await rules.beforeUpdate(this, current, r);
    }
    const key = resourceKey(def, r.metadata.name!, r.metadata.namespace);
    try {
      const kv = await this.backend.update(key, toStorage(r), rev);
      return fromStorage(def, kv);
    } catch (e) {
      throw resourceError(e, ref);
    }
  }

  async get(kind: string, name: string, namespace?: string): Promise<Resource> {
    const def = this.kind(kind);
    const ns = def.namespaced ? namespace || 'default' : undefined;
    const synthetic = this.rules(def).synthetic?.(name);
    if (synthetic) return synthetic;
    const kv = await this.backend.get(resourceKey(def, name, ns));
    if (!kv) throw new NotFoundError({ kind: def.kind, name, namespace: ns });
    return fromStorage(def, kv);
  }

  async list(kind: string, options: ListOptions = {}): Promise<ResourceList> {
    const def = this.kind(kind);
    const res = await this.backend.list(listPrefix(def, options.namespace, options.namePrefix));
    const items: Resource[] = [];
    for (const kv of res.items) {
      if (!parseResourceKey(def, kv.key)) continue;
      try {
        items.push(fromStorage(def, kv));
      } catch {
        // Calico skips values that fail to parse in a List.
      }
    }
    const extra = this.rules(def).syntheticList?.(options) ?? [];
    return {
      apiVersion: API_VERSION,
      kind: `${def.kind}List`,
      metadata: { resourceVersion: res.revision.toString() },
      // etcd returns key order; only merged synthetic objects need sorting in.
      items: extra.length ? [...items, ...extra].sort(byKeyOrder(def)) : items,
    };
  }

  async delete(kind: string, name: string, namespace?: string, resourceVersion?: string): Promise<Resource> {
    const def = this.kind(kind);
    const ns = def.namespaced ? namespace || 'default' : undefined;
    const ref = { kind: def.kind, name, namespace: ns };
    const rules = this.rules(def);
    if (rules.beforeDelete) {
      const current = await this.get(def.kind, name, ns);
      const rv = await rules.beforeDelete(this, current, resourceVersion);
      if (rv !== undefined) resourceVersion = rv;
    }
    const rev = resourceVersion ? parseRevision(resourceVersion, ref) : undefined;
    try {
      const kv = await this.backend.delete(resourceKey(def, name, ns), rev);
      const previous = fromStorage(def, kv);
      await rules.afterDelete?.(this, previous);
      return previous;
    } catch (e) {
      throw resourceError(e, ref);
    }
  }

  watch(kind: string, options: { namespace?: string; resourceVersion?: string } = {}): ResourceWatch {
    const def = this.kind(kind);
    const fromRevision = options.resourceVersion ? BigInt(options.resourceVersion) : undefined;
    const w = this.backend.watch(listPrefix(def, options.namespace), { fromRevision });
    async function* events(): AsyncGenerator<ResourceEvent> {
      for await (const ev of w) {
        try {
          if (ev.type === 'ERROR') yield ev;
          else if (ev.type === 'DELETED') {
            if (ev.prev && parseResourceKey(def, ev.key))
              yield { type: 'DELETED', previous: fromStorage(def, ev.prev) };
          } else if (parseResourceKey(def, ev.kv.key)) {
            const object = fromStorage(def, ev.kv);
            if (ev.type === 'ADDED') yield { type: 'ADDED', object };
            else
              yield { type: 'MODIFIED', object, previous: ev.prev ? fromStorage(def, ev.prev) : undefined };
          }
        } catch (e) {
          yield { type: 'ERROR', error: e as Error };
        }
      }
    }
    const it = events();
    return { [Symbol.asyncIterator]: () => it, close: () => w.close() };
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}

/** Copies the input, clears what is never stored, fills namespace and Calico's defaults. */
function prepare(def: KindDef, input: Resource): Resource {
  const r = structuredClone(input) as Resource;
  r.apiVersion = API_VERSION;
  r.kind = def.kind;
  r.metadata = { ...(r.metadata ?? {}) };
  delete r.metadata.selfLink;
  if (def.namespaced && !r.metadata.namespace) r.metadata.namespace = 'default';
  return applyDefaults(r);
}

export function refOf(r: Resource): ResourceRef {
  return { kind: r.kind, name: r.metadata.name ?? '', namespace: r.metadata.namespace };
}

function parseRevision(rv: string, ref: ResourceRef): bigint {
  if (!/^[0-9]+$/.test(rv)) {
    throw new ValidationError(
      [{ field: 'metadata.resourceVersion', value: rv, reason: 'must be a decimal revision' }],
      ref,
    );
  }
  return BigInt(rv);
}

function nowRFC3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function byKeyOrder(def: KindDef) {
  return (a: Resource, b: Resource): number => {
    const ka = resourceKey(def, a.metadata.name ?? '', a.metadata.namespace);
    const kb = resourceKey(def, b.metadata.name ?? '', b.metadata.namespace);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
}
