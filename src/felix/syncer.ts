/**
 * Felix's view of the datastore: a local mirror of Nodes, IPPools, WorkloadEndpoints (every
 * host's: policy selectors match remote endpoints too), IPAM blocks, FelixConfigurations and the
 * policy kinds (tiers, policies, profiles, host endpoints, network sets). Each prefix is listed, then watched from the list's
 * revision, so the mirror is exact after the first list of every prefix ("in sync") and follows
 * every change after; a failed watch (compaction, lost connection) lists that prefix again.
 *
 * The mirror is updated per event (incremental); consumers read a snapshot when they recompute.
 */
import { kindByKind, type IPPool, type Node, type Resource } from '../api/index.js';
import { fromStorage } from '../client/index.js';
import type { Backend, KV, Watch } from '../datastore/index.js';
import { decodeBlock } from '../ipam/index.js';
import { blockPrefix, type AllocationBlock } from '../ipam/model.js';
import { listPrefix } from '../client/keys.js';
import type { WorkloadEndpoint } from './calc/routing/index.js';

export interface FelixSnapshot {
  nodes: Node[];
  pools: IPPool[];
  /** This host's endpoints only. */
  endpoints: WorkloadEndpoint[];
  /** Every host's endpoints. */
  allEndpoints: WorkloadEndpoint[];
  blocks: AllocationBlock[];
  felixConfigs: Resource[];
  tiers: Resource[];
  networkPolicies: Resource[];
  globalNetworkPolicies: Resource[];
  profiles: Resource[];
  hostEndpoints: Resource[];
  networkSets: Resource[];
  globalNetworkSets: Resource[];
}

/** The policy kinds, mirrored as they are (the policy calculation picks what applies). */
const POLICY_KINDS = [
  ['Tier', 'tiers'],
  ['NetworkPolicy', 'networkPolicies'],
  ['GlobalNetworkPolicy', 'globalNetworkPolicies'],
  ['Profile', 'profiles'],
  ['HostEndpoint', 'hostEndpoints'],
  ['NetworkSet', 'networkSets'],
  ['GlobalNetworkSet', 'globalNetworkSets'],
] as const;

export interface SyncerOptions {
  nodeName: string;
  /** Called after every change to the mirror (and after each prefix's (re)list). */
  onChange: () => void;
  onError?: (e: unknown) => void;
  /** Pause before listing a prefix again after its watch failed (default 1000 ms). */
  retryMs?: number;
}

export interface Syncer {
  /** Resolves once every prefix has been listed (the mirror holds a complete snapshot). */
  readonly synced: Promise<void>;
  isSynced(): boolean;
  snapshot(): FelixSnapshot;
  /** Per kind: how many items the mirror holds. */
  counts(): Record<string, number>;
  close(): Promise<void>;
}

interface Mirror {
  name: string;
  prefix: string;
  /** undefined: the key does not belong in this mirror (another host's WEP, undecodable). */
  decode(kv: KV): unknown;
  items: Map<string, unknown>;
}

function resourceMirror(kind: string, accept?: (r: Resource) => boolean): Mirror {
  const def = kindByKind(kind);
  if (!def) throw new Error(`unknown kind ${kind}`);
  return {
    name: kind,
    prefix: listPrefix(def),
    items: new Map(),
    decode(kv) {
      const r = fromStorage(def, kv);
      return !accept || accept(r) ? r : undefined;
    },
  };
}

export function startSyncer(backend: Backend, opts: SyncerOptions): Syncer {
  const retryMs = opts.retryMs ?? 1000;
  const mirrors: Mirror[] = [
    resourceMirror('Node'),
    resourceMirror('IPPool'),
    resourceMirror('WorkloadEndpoint'),
    resourceMirror('FelixConfiguration'),
    ...POLICY_KINDS.map(([kind]) => resourceMirror(kind)),
    { name: 'IPAMBlock', prefix: blockPrefix(4), items: new Map(), decode: (kv) => decodeBlock(kv.value) },
  ];
  let closed = false;
  const listed = new Set<string>();
  let markSynced: () => void = () => {};
  const synced = new Promise<void>((r) => (markSynced = r));
  const watches = new Set<Watch>();
  const sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();

  const report = (e: unknown) => {
    try {
      opts.onError?.(e);
    } catch {
      // A failing error handler must not stop the syncer.
    }
  };
  const changed = () => {
    if (!closed) opts.onChange();
  };

  const put = (m: Mirror, kv: KV) => {
    let v: unknown;
    try {
      v = m.decode(kv);
    } catch (e) {
      // Felix skips values it cannot parse; the rest of the snapshot stays usable.
      report(e);
      v = undefined;
    }
    if (v === undefined) m.items.delete(kv.key);
    else m.items.set(kv.key, v);
  };

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const s = {
        timer: setTimeout(() => {
          sleepers.delete(s);
          resolve();
        }, ms),
        wake: () => resolve(),
      };
      sleepers.add(s);
    });

  const follow = async (m: Mirror) => {
    while (!closed) {
      let w: Watch | undefined;
      try {
        const list = await backend.list(m.prefix);
        if (closed) return;
        m.items.clear();
        for (const kv of list.items) put(m, kv);
        listed.add(m.name);
        if (listed.size === mirrors.length) markSynced();
        changed();
        w = backend.watch(m.prefix, { fromRevision: list.revision });
        watches.add(w);
        for await (const ev of w) {
          if (closed) break;
          if (ev.type === 'ERROR') {
            report(ev.error);
            break;
          }
          if (ev.type === 'DELETED') m.items.delete(ev.key);
          else put(m, ev.kv);
          changed();
        }
      } catch (e) {
        if (!closed) report(e);
      } finally {
        if (w) {
          watches.delete(w);
          await w.close().catch(() => undefined);
        }
      }
      if (!closed) await pause(retryMs);
    }
  };

  const loops = mirrors.map(follow);
  const values = <T>(name: string): T[] =>
    [...(mirrors.find((m) => m.name === name)?.items.values() ?? [])] as T[];

  return {
    synced,
    isSynced: () => listed.size === mirrors.length,
    snapshot: () => {
      const allEndpoints = values<WorkloadEndpoint>('WorkloadEndpoint');
      const snap = {
        nodes: values<Node>('Node'),
        pools: values<IPPool>('IPPool'),
        endpoints: allEndpoints.filter((e) => e.spec?.node === opts.nodeName),
        allEndpoints,
        blocks: values<AllocationBlock>('IPAMBlock'),
        felixConfigs: values<Resource>('FelixConfiguration'),
      } as FelixSnapshot;
      for (const [kind, field] of POLICY_KINDS) snap[field] = values<Resource>(kind);
      return snap;
    },
    counts: () => Object.fromEntries(mirrors.map((m) => [m.name, m.items.size])),
    close: async () => {
      closed = true;
      for (const s of sleepers) {
        clearTimeout(s.timer);
        s.wake();
      }
      sleepers.clear();
      await Promise.all([...watches].map((w) => w.close().catch(() => undefined)));
      await Promise.all(loops);
    },
  };
}
