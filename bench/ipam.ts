/**
 * IPAM benchmark, on one etcd, ratios within the same run:
 *  1. Throughput: allocations per second for 10 concurrent "hosts" (10 IPAM clients, each with its
 *     own etcd connection and host name, one address per call as the CNI plugin asks) against the
 *     raw rate of single-key compare-and-swap transactions from 10 etcd3 clients (one key each,
 *     so no conflicts), the same count. Goal: ≥ 0.5× (an allocation writes a block and a handle).
 *     Each anchor client has its own connection, as each host's backend does: grpc-js otherwise
 *     pools same-target channels process-wide, and 10 clients multiplexed on one HTTP/2 connection
 *     are ~1.3× faster than 10 connections — a gap of layout, not of IPAM. That shared-connection
 *     rate is still measured and reported beside it.
 *  2. Scale: median latency of one allocation from an affine block with free space, on an empty
 *     pool and with 1,000 blocks in the pool (claimed by 1,000 other hosts). Must not grow.
 * Bounded in time: each phase stops at its budget.
 */
import { loadavg } from 'node:os';
import { Etcd3 } from 'etcd3';
import { Client, ensureInitialized } from '../src/client/index.js';
import { EtcdBackend } from '../src/datastore/index.js';
import { IPAMClient } from '../src/ipam/index.js';
import type { IPAM } from '../src/ipam/ipam-interface.js';
import { IPAM_ROOT, blockPrefix } from '../src/ipam/model.js';
import { startEtcd, type EtcdHandle } from '../src/lab/etcd-server.js';
import { median, printTable, writeResults, type Row, rowsJson } from './stats.js';

const HOSTS = 10;
const PER_HOST = Number(process.env.BENCH_IPAM_PER_HOST ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SEED_BLOCKS = Number(process.env.BENCH_IPAM_BLOCKS ?? 1000);
const LATENCY_SAMPLES = 40;
const POOL = '10.128.0.0/12'; // 16,384 blocks of /26: claiming stays cheap with 1,000 taken
const PHASE_BUDGET_MS = Number(process.env.BENCH_IPAM_BUDGET_MS ?? 90_000);

/** A value the size of a stored /26 block with a few allocations (what an allocation rewrites). */
const BLOCK_SIZED_VALUE = JSON.stringify({
  cidr: '10.128.0.0/26',
  affinity: 'host:bench-host-0',
  allocations: Array.from({ length: 64 }, (_, i) => (i < 8 ? i : null)),
  unallocated: Array.from({ length: 56 }, (_, i) => i + 8),
  attributes: Array.from({ length: 8 }, (_, i) => ({
    handle_id: `k8s-pod-network.${'0'.repeat(56)}${i}`,
    secondary: {
      namespace: 'default',
      node: 'bench-host-0',
      pod: `pod-${i}`,
      timestamp: new Date().toISOString(),
    },
  })),
  sequenceNumber: 1,
});

const seedHost = (i: number): string => `seed-${String(i).padStart(4, '0')}`;

interface Host {
  backend: EtcdBackend;
  ipam: IPAM;
  name: string;
  /** Keys this host's reads returned so far (get: 0 or 1, list: the items). */
  keysRead: number;
}

async function openHost(etcd: EtcdHandle, name: string): Promise<Host> {
  const backend = new EtcdBackend({ endpoints: etcd.endpoints });
  // A long-lived host client, as the CNI agent's: slowly changing inputs reused for 2 s.
  const ipam = new IPAMClient(new Client(backend), { cacheTtlMs: 2_000 });
  const h: Host = { backend, ipam, name, keysRead: 0 };
  // Count what reads return: an allocation that listed every block would show it here.
  const get = backend.get.bind(backend);
  const list = backend.list.bind(backend);
  backend.get = async (key) => {
    const kv = await get(key);
    if (kv) h.keysRead++;
    return kv;
  };
  backend.list = async (prefix) => {
    const r = await list(prefix);
    h.keysRead += r.items.length;
    return r;
  };
  return h;
}

/** etcd's own count of KV requests served so far, per method (its /metrics). */
async function etcdKvCalls(clientUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${clientUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(
    /^grpc_server_handled_total\{[^}]*grpc_method="(\w+)",grpc_service="etcdserverpb\.KV"[^}]*\} (\d+)/gm,
  )) {
    out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
  }
  return out;
}

function perCall(
  before: Record<string, number>,
  after: Record<string, number>,
  n: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(after)) {
    const d = (after[k] - (before[k] ?? 0)) / n;
    if (d > 0) out[k] = Math.round(d * 100) / 100;
  }
  return out;
}

async function resetIpam(admin: EtcdBackend): Promise<void> {
  await admin.deletePrefix(`${IPAM_ROOT}/`);
}

/** An anchor client: its own connection unless `shared` (grpc-js's process-wide channel pool). */
function casClient(etcd: EtcdHandle, shared: boolean): Etcd3 {
  return new Etcd3({
    hosts: etcd.endpoints,
    ...(shared ? {} : { grpcOptions: { 'grpc.use_local_subchannel_pool': 1 } }),
  });
}

/** N single-key CAS transactions, `HOSTS` clients in parallel, each on its own key. */
async function rawCas(clients: Etcd3[], total: number, tag = 'cas'): Promise<number> {
  const per = Math.ceil(total / clients.length);
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c, i) => {
      const key = `/bench/${tag}/${i}`;
      let rev = BigInt((await c.put(key).value(BLOCK_SIZED_VALUE).exec()).header.revision);
      for (let k = 0; k < per; k++) {
        const r = await c
          .if(key, 'Mod', '==', rev.toString())
          .then(c.put(key).value(BLOCK_SIZED_VALUE))
          .commit();
        if (!r.succeeded) throw new Error('unexpected CAS conflict on a private key');
        rev = BigInt(r.header.revision);
      }
    }),
  );
  return performance.now() - t0;
}

/** `PER_HOST` allocations per host, hosts in parallel, one address per call; returns ms. */
async function allocations(
  hosts: Host[],
  round: number,
  deadline: number,
): Promise<{ ms: number; count: number }> {
  let count = 0;
  const t0 = performance.now();
  await Promise.all(
    hosts.map(async (h) => {
      for (let k = 0; k < PER_HOST && Date.now() < deadline; k++) {
        const r = await h.ipam.autoAssign({
          num4: 1,
          num6: 0,
          handleId: `bench.${h.name}.${round}.${k}`,
          hostname: h.name,
          intendedUse: 'Workload',
          ipv4Pools: [POOL],
        });
        if (r.ipv4.ips.length !== 1) throw new Error(`no address for ${h.name}: ${r.ipv4.msgs.join('; ')}`);
        count++;
      }
    }),
  );
  return { ms: performance.now() - t0, count };
}

async function assignOne(h: Host, handle: string): Promise<number> {
  const t0 = performance.now();
  const r = await h.ipam.autoAssign({
    num4: 1,
    num6: 0,
    handleId: handle,
    hostname: h.name,
    intendedUse: 'Workload',
    ipv4Pools: [POOL],
  });
  if (r.ipv4.ips.length !== 1) throw new Error(`no address for ${h.name}: ${r.ipv4.msgs.join('; ')}`);
  return performance.now() - t0;
}

/**
 * Timed allocations from the host's affine block (a warm-up claims it first if needed), then
 * released again (untimed) so the block keeps free space. Also returns keys read per allocation.
 */
async function affineLatency(h: Host, tag: string, warm: boolean): Promise<{ ms: number[]; keys: number }> {
  if (warm) await assignOne(h, `bench.${h.name}.${tag}.warm`);
  const out: number[] = [];
  const keys0 = h.keysRead;
  for (let i = 0; i < LATENCY_SAMPLES; i++) out.push(await assignOne(h, `bench.${h.name}.${tag}.${i}`));
  const keys = (h.keysRead - keys0) / LATENCY_SAMPLES;
  for (let i = 0; i < LATENCY_SAMPLES; i++) await h.ipam.releaseByHandle(`bench.${h.name}.${tag}.${i}`);
  return { ms: out, keys };
}

async function main(): Promise<void> {
  const etcd = await startEtcd();
  const admin = new EtcdBackend({ endpoints: etcd.endpoints });
  const casClients = Array.from({ length: HOSTS }, () => casClient(etcd, false));
  const sharedClients = Array.from({ length: HOSTS }, () => casClient(etcd, true));
  const hosts: Host[] = [];
  const extra: Host[] = [];
  try {
    const client = new Client(admin);
    await ensureInitialized(client, 'bench', '');
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'IPPool',
      metadata: { name: 'bench-pool' },
      spec: { cidr: POOL, blockSize: 26, ipipMode: 'Never', vxlanMode: 'Never', natOutgoing: false },
    });
    // Every host that allocates is a registered Node (IPAM reads its labels for pool selectors).
    const nodeNames = [
      ...Array.from({ length: HOSTS }, (_, i) => `bench-host-${i}`),
      'bench-latency-a',
      'bench-latency-b',
      ...Array.from({ length: SEED_BLOCKS }, (_, i) => seedHost(i)),
    ];
    const created = await client.createMany(
      nodeNames.map((name) => ({
        apiVersion: 'projectcalico.org/v3',
        kind: 'Node',
        metadata: { name },
        spec: {},
      })),
    );
    const failed = created.find((e) => e !== undefined);
    if (failed) throw failed;
    for (let i = 0; i < HOSTS; i++) hosts.push(await openHost(etcd, `bench-host-${i}`));

    // ---- 1. throughput, alternating anchor and ours; IPAM state reset before each round.
    const casMs: number[] = [];
    const allocMs: number[] = [];
    const casRate: number[] = [];
    const sharedMs: number[] = [];
    const sharedRate: number[] = [];
    const allocRate: number[] = [];
    const deadline = Date.now() + PHASE_BUDGET_MS;
    let requestsPerAllocation: Record<string, number> = {};
    for (let round = 0; round < ROUNDS && Date.now() < deadline; round++) {
      await resetIpam(admin);
      const before = await etcdKvCalls(etcd.clientUrl);
      const a = await allocations(hosts, round, deadline);
      if (a.count === 0) break;
      requestsPerAllocation = perCall(before, await etcdKvCalls(etcd.clientUrl), a.count);
      const cas = await rawCas(casClients, a.count);
      const shared = await rawCas(sharedClients, a.count, 'shared');
      sharedMs.push(shared);
      sharedRate.push((a.count / shared) * 1000);
      allocMs.push(a.ms);
      casMs.push(cas);
      allocRate.push((a.count / a.ms) * 1000);
      casRate.push((a.count / cas) * 1000);
    }

    // ---- 2. scale: an empty pool, then 1,000 blocks claimed by other hosts.
    await resetIpam(admin);
    const hostA = await openHost(etcd, 'bench-latency-a');
    const hostB = await openHost(etcd, 'bench-latency-b');
    extra.push(hostA, hostB);
    // Control: a raw etcd read round trip beside each phase, to tell etcd/machine drift from IPAM.
    const rawGet = async (): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < LATENCY_SAMPLES; i++) {
        const t0 = performance.now();
        await casClients[0].get('/bench/cas/0').string();
        out.push(performance.now() - t0);
      }
      return out;
    };
    const controlEmpty = await rawGet();
    const empty = await affineLatency(hostA, 'empty', true);
    const seedDeadline = Date.now() + PHASE_BUDGET_MS;
    let next = 0;
    await Promise.all(
      hosts.map(async (h) => {
        while (next < SEED_BLOCKS && Date.now() < seedDeadline) {
          const i = next++;
          // A different host name per allocation: each one claims a block of its own.
          const r = await h.ipam.autoAssign({
            num4: 1,
            num6: 0,
            handleId: `bench.seed.${i}`,
            hostname: seedHost(i),
            intendedUse: 'Workload',
            ipv4Pools: [POOL],
          });
          if (r.ipv4.ips.length !== 1) throw new Error(`seed ${i}: ${r.ipv4.msgs.join('; ')}`);
        }
      }),
    );
    const blocks = (await admin.list(blockPrefix(4))).items.length;
    const fullB = await affineLatency(hostB, 'full', true);
    const fullA = await affineLatency(hostA, 'again', false);
    const controlFull = await rawGet();

    const rows: Row[] = [
      { name: `raw etcd CAS txn x${HOSTS} clients (ms per round)`, samples: casMs },
      {
        name: `IPAM autoAssign x${HOSTS} hosts (ms per round)`,
        samples: allocMs,
        anchor: `raw etcd CAS txn x${HOSTS} clients (ms per round)`,
      },
      {
        name: `raw etcd CAS txn x${HOSTS} clients on one shared connection (ms per round)`,
        samples: sharedMs,
        anchor: `raw etcd CAS txn x${HOSTS} clients (ms per round)`,
      },
      { name: 'control: raw etcd get, empty pool', samples: controlEmpty },
      {
        name: `control: raw etcd get, ${blocks} blocks`,
        samples: controlFull,
        anchor: 'control: raw etcd get, empty pool',
      },
      { name: 'one allocation, affine block, empty pool', samples: empty.ms },
      {
        name: `one allocation, new host, ${blocks} blocks`,
        samples: fullB.ms,
        anchor: 'one allocation, affine block, empty pool',
      },
      {
        name: `one allocation, same host, ${blocks} blocks`,
        samples: fullA.ms,
        anchor: 'one allocation, affine block, empty pool',
      },
    ];
    printTable(
      `ipam: ${HOSTS} hosts x ${PER_HOST} allocations, ${casMs.length} rounds; scale with ${blocks} blocks`,
      rows,
    );
    const throughputRatio = median(allocRate) / median(casRate);
    const sharedRatio = median(allocRate) / median(sharedRate);
    process.stdout.write(
      `\nallocations/s ${median(allocRate).toFixed(0)} vs raw CAS txns/s ${median(casRate).toFixed(0)}: ${throughputRatio.toFixed(2)}x (goal >= 0.5x)\n` +
        `  (vs ${median(sharedRate).toFixed(0)} raw CAS txns/s with the ${HOSTS} clients on one shared connection: ${sharedRatio.toFixed(2)}x)\n` +
        `etcd KV requests per allocation: ${JSON.stringify(requestsPerAllocation)}\n` +
        `keys read per affine allocation: empty pool ${empty.keys.toFixed(1)}, ${blocks} blocks ${fullB.keys.toFixed(1)} (new host) / ${fullA.keys.toFixed(1)} (same host)\n`,
    );
    const out = writeResults('ipam', {
      benchmark: 'ipam',
      date: new Date().toISOString(),
      hosts: HOSTS,
      // The machine is shared: the 1/5/15-minute load averages when the run ended.
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      allocationsPerHost: PER_HOST,
      rounds: casMs.length,
      blocksInPool: blocks,
      allocationsPerSecond: { median: median(allocRate), samples: allocRate },
      rawCasTxnsPerSecond: { median: median(casRate), samples: casRate },
      throughputRatio,
      rawCasSharedConnectionTxnsPerSecond: { median: median(sharedRate), samples: sharedRate },
      throughputRatioSharedConnection: sharedRatio,
      etcdRequestsPerAllocation: requestsPerAllocation,
      keysReadPerAffineAllocation: {
        emptyPool: empty.keys,
        newHostFullPool: fullB.keys,
        sameHostFullPool: fullA.keys,
      },
      rows: rowsJson(rows),
    });
    process.stdout.write(`wrote ${out}\n`);
  } finally {
    for (const h of [...hosts, ...extra]) await h.backend.close();
    for (const c of [...casClients, ...sharedClients]) c.close();
    await admin.close();
    await etcd.stop();
  }
}

await main();
