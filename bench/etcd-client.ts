/**
 * etcd client benchmark: EtcdBackend (etcd3 npm package, gRPC) against EtcdHttpBackend (etcd's JSON
 * gateway over node:http), same etcd, same run, rounds interleaved so both see the same machine load.
 *
 * - load: `await import()` of the backend module in a fresh node process, with nothing of ours
 *   loaded before it, and after the project modules every backend shares (errors, keys, ...: a CNI
 *   plugin or calicoctl has loaded those already, so this is the backend's own cost);
 * - cold first get: import + construct + one get, in a fresh process — what a CNI plugin call or a
 *   calicoctl command pays before its first answer;
 * - in-process latency on warm connections: get of one key, create (one transaction), list of 1,000
 *   keys.
 */
import { execFileSync } from 'node:child_process';
import type { Backend } from '../src/datastore/backend.js';
import { EtcdBackend } from '../src/datastore/etcd/etcd-backend.js';
import { EtcdHttpBackend } from '../src/datastore/etcd-http/etcd-http-backend.js';
import { startEtcd } from '../src/lab/etcd-server.js';
import { printTable, timed, writeResults, type Row, rowsJson } from './stats.js';

const LOAD_ROUNDS = Number(process.env.BENCH_LOAD_ROUNDS ?? 15);
const OPS = Number(process.env.BENCH_OPS ?? 200);
const LISTS = Number(process.env.BENCH_LISTS ?? 20);
const LIST_KEYS = 1000;
const PREFIX = '/calico/resources/v3/projectcalico.org/bench-etcd-client/';

const CLIENTS = {
  grpc: {
    label: 'EtcdBackend (etcd3, gRPC)',
    module: '../src/datastore/etcd/etcd-backend.js',
    cls: 'EtcdBackend',
  },
  http: {
    label: 'EtcdHttpBackend (JSON gateway)',
    module: '../src/datastore/etcd-http/etcd-http-backend.js',
    cls: 'EtcdHttpBackend',
  },
} as const;
type Client = keyof typeof CLIENTS;

/** Runs a module script in a fresh node process and returns the number it prints. */
function child(script: string): number {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return Number(out.trim().split('\n').pop());
}

/** What any backend shares with the rest of calico-ts (a CNI plugin or calicoctl has loaded these already). */
const SHARED = [
  'errors/index.js',
  'datastore/errors.js',
  'datastore/keys.js',
  'datastore/txn.js',
  'datastore/async-queue.js',
];

/** Times `await import()` of the backend; `shared` first loads the modules every backend shares. */
function loadScript(c: Client, shared: boolean): string {
  const url = new URL(CLIENTS[c].module, import.meta.url).href;
  const pre = shared ? SHARED.map((m) => new URL(`../src/${m}`, import.meta.url).href) : [];
  // performance is a lazily loaded global: touch it before the clock starts.
  return `for (const m of ${JSON.stringify(pre)}) await import(m);
    performance.now();
    const t0 = performance.now(); await import(${JSON.stringify(url)}); console.log(performance.now() - t0);`;
}

function coldGetScript(c: Client, endpoints: string[]): string {
  const url = new URL(CLIENTS[c].module, import.meta.url).href;
  return `
    performance.now();
    const t0 = performance.now();
    const m = await import(${JSON.stringify(url)});
    const b = new m.${CLIENTS[c].cls}({ endpoints: ${JSON.stringify(endpoints)} });
    const kv = await b.get(${JSON.stringify(`${PREFIX}get`)});
    if (!kv) throw new Error('missing key');
    const ms = performance.now() - t0;
    await b.close();
    console.log(ms);`;
}

async function main(): Promise<void> {
  const etcd = await startEtcd();
  const backends: Record<Client, Backend> = {
    grpc: new EtcdBackend({ endpoints: etcd.endpoints }),
    http: new EtcdHttpBackend({ endpoints: etcd.endpoints }),
  };
  const samples: Record<string, number[]> = {};
  const add = (name: string, ms: number) => (samples[name] ??= []).push(ms);
  const order: Client[] = ['grpc', 'http'];
  try {
    const seed = backends.http;
    await seed.put(`${PREFIX}get`, JSON.stringify({ kind: 'IPPool', spec: { cidr: '10.0.0.0/16' } }));
    for (let i = 0; i < LIST_KEYS; i += 100) {
      await seed.transact(
        Array.from({ length: 100 }, (_, j) => ({
          op: 'create' as const,
          key: `${PREFIX}list/${String(i + j).padStart(4, '0')}`,
          value: JSON.stringify({
            kind: 'GlobalNetworkSet',
            spec: { nets: [`198.51.${(i + j) >> 8}.${(i + j) & 255}/32`] },
          }),
        })),
      );
    }

    for (let round = 0; round < LOAD_ROUNDS; round++) {
      for (const c of round % 2 ? [...order].reverse() : order) {
        add(`load: ${c}`, child(loadScript(c, false)));
        add(`load after shared modules: ${c}`, child(loadScript(c, true)));
        add(`cold first get: ${c}`, child(coldGetScript(c, etcd.endpoints)));
      }
    }

    // Warm both (connections, JIT), then interleave blocks of operations.
    for (const c of order) {
      for (let i = 0; i < 20; i++) await backends[c].get(`${PREFIX}get`);
      await backends[c].list(`${PREFIX}list/`);
    }
    let n = 0;
    const BLOCK = 20;
    for (let done = 0; done < OPS; done += BLOCK) {
      for (const c of order) {
        const b = backends[c];
        for (let i = 0; i < BLOCK; i++) add(`get: ${c}`, (await timed(() => b.get(`${PREFIX}get`))).ms);
        for (let i = 0; i < BLOCK; i++) {
          const key = `${PREFIX}create/${c}-${n++}`;
          add(`txn create: ${c}`, (await timed(() => b.create(key, '{"kind":"Node"}'))).ms);
        }
      }
    }
    for (let i = 0; i < LISTS; i++) {
      for (const c of order) {
        const { ms, value } = await timed(() => backends[c].list(`${PREFIX}list/`));
        if (value.items.length !== LIST_KEYS) throw new Error(`${c} listed ${value.items.length}`);
        add(`list ${LIST_KEYS} keys: ${c}`, ms);
      }
    }
    await backends.http.deletePrefix(PREFIX);
  } finally {
    await Promise.all(Object.values(backends).map((b) => b.close()));
    await etcd.stop();
  }

  const table: Row[] = [];
  for (const m of [
    'load',
    'load after shared modules',
    'cold first get',
    'get',
    'txn create',
    `list ${LIST_KEYS} keys`,
  ]) {
    table.push({ name: `${m}: ${CLIENTS.grpc.label}`, samples: samples[`${m}: grpc`] });
    table.push({
      name: `${m}: ${CLIENTS.http.label}`,
      samples: samples[`${m}: http`],
      anchor: `${m}: ${CLIENTS.grpc.label}`,
    });
  }
  printTable(
    `etcd client: module load (${LOAD_ROUNDS} fresh processes each), warm-connection ops (${OPS} gets/creates, ${LISTS} lists), one etcd (medians; ratios within this run)`,
    table,
  );
  const out = writeResults('etcd-client', {
    benchmark: 'etcd-client',
    date: new Date().toISOString(),
    node: process.version,
    loadRounds: LOAD_ROUNDS,
    ops: OPS,
    lists: LISTS,
    listKeys: LIST_KEYS,
    rows: rowsJson(table),
  });
  process.stdout.write(`\nwrote ${out}\n`);
}

await main();
