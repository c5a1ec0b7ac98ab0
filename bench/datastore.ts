/**
 * Datastore benchmark: `calicoctl apply` of 10,000 resources from one file and `calicoctl get` of
 * all of them, beside etcdctl putting the same 10,000 keys and values (transactions of 128 puts,
 * etcd's default limit) and listing them, against one etcd, in the same run. Also the raw etcd3
 * client with the same write concurrency, to separate our cost from the client library's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { startEtcd, type EtcdHandle } from '../src/lab/etcd-server.js';
import { printTable, timed, writeResults, type Row, rowsJson } from './stats.js';

const N = Number(process.env.BENCH_DATASTORE_N ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PREFIX = '/calico/resources/v3/projectcalico.org/globalnetworksets/';
const CALICOCTL = fileURLToPath(new URL('../bin/calicoctl.js', import.meta.url));

function manifest(): string {
  const docs: string[] = [];
  for (let i = 0; i < N; i++) {
    const a = (i >> 8) & 255;
    const b = i & 255;
    docs.push(
      `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: set-${String(i).padStart(5, '0')}\n  labels:\n    role: bench\nspec:\n  nets:\n  - 198.51.${a}.${b}/32\n  - 203.0.113.0/24\n`,
    );
  }
  return docs.join('---\n');
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): string {
  const r = spawnSync(cmd, args, { env, input, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-datastore-'));
  const etcd: EtcdHandle = await startEtcd();
  const env = { ...process.env, ...etcd.env() };
  const etcdctl = (args: string[], input?: string) =>
    run('etcdctl', ['--endpoints', etcd.clientUrl, ...args], { ...env, ETCDCTL_API: '3' }, input);
  const clear = () => etcdctl(['del', '--prefix', PREFIX]);
  const file = join(dir, 'sets.yaml');
  writeFileSync(file, manifest());
  const rows: Record<string, number[]> = {
    'calicoctl apply (one file)': [],
    'etcdctl txn put (128 per txn)': [],
    'etcd3 client put (32 in flight)': [],
    'calicoctl get -o json': [],
    'etcdctl get --prefix': [],
  };
  const client = new Etcd3({ hosts: etcd.endpoints });
  try {
    // One untimed apply to learn the exact stored keys and values the anchors will write.
    run(process.execPath, [CALICOCTL, 'apply', '-f', file], env);
    const stored = (await client.getAll().prefix(PREFIX).strings()) as Record<string, string>;
    const kvs = Object.entries(stored);
    if (kvs.length !== N) throw new Error(`expected ${N} stored keys, found ${kvs.length}`);
    const txns: string[] = [];
    for (let i = 0; i < kvs.length; i += 128) {
      txns.push(
        '\n' +
          kvs
            .slice(i, i + 128)
            .map(([k, v]) => `put ${k} ${JSON.stringify(v)}\n`)
            .join('') +
          '\n\n',
      );
    }
    for (let round = 0; round < ROUNDS; round++) {
      clear();
      rows['calicoctl apply (one file)'].push(
        (await timed(() => run(process.execPath, [CALICOCTL, 'apply', '-f', file], env))).ms,
      );
      const listed = await timed(() =>
        run(process.execPath, [CALICOCTL, 'get', 'globalnetworksets', '-o', 'json'], env),
      );
      const count = (JSON.parse(listed.value) as { items: unknown[] }).items.length;
      if (count !== N) throw new Error(`calicoctl listed ${count} of ${N}`);
      rows['calicoctl get -o json'].push(listed.ms);

      clear();
      rows['etcdctl txn put (128 per txn)'].push(
        (await timed(() => txns.forEach((t) => etcdctl(['txn'], t)))).ms,
      );
      const got = await timed(() => etcdctl(['get', '--prefix', PREFIX]));
      if (got.value.split('\n').filter(Boolean).length !== 2 * N)
        throw new Error('etcdctl listed a wrong count');
      rows['etcdctl get --prefix'].push(got.ms);

      clear();
      rows['etcd3 client put (32 in flight)'].push(
        (
          await timed(async () => {
            let next = 0;
            const worker = async () => {
              while (next < kvs.length) {
                const [k, v] = kvs[next++];
                await client.put(k).value(v);
              }
            };
            await Promise.all(Array.from({ length: 32 }, worker));
          })
        ).ms,
      );
    }
  } finally {
    client.close();
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const table: Row[] = [
    { name: 'etcdctl txn put (128 per txn)', samples: rows['etcdctl txn put (128 per txn)'] },
    {
      name: 'calicoctl apply (one file)',
      samples: rows['calicoctl apply (one file)'],
      anchor: 'etcdctl txn put (128 per txn)',
    },
    {
      name: 'etcd3 client put (32 in flight)',
      samples: rows['etcd3 client put (32 in flight)'],
      anchor: 'etcdctl txn put (128 per txn)',
    },
    { name: 'etcdctl get --prefix', samples: rows['etcdctl get --prefix'] },
    { name: 'calicoctl get -o json', samples: rows['calicoctl get -o json'], anchor: 'etcdctl get --prefix' },
  ];
  printTable(
    `datastore: ${N} GlobalNetworkSets, ${ROUNDS} rounds, one etcd (medians; ratios within this run)`,
    table,
  );
  const out = writeResults('datastore', {
    benchmark: 'datastore',
    date: new Date().toISOString(),
    resources: N,
    rounds: ROUNDS,
    rows: rowsJson(table),
  });
  process.stdout.write(`\nwrote ${out}\n`);
}

await main();
