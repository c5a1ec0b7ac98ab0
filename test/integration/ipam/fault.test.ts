/**
 * The fault test of issue 3: 10 real processes, as hosts host-0..9, allocate 500 addresses each at
 * the same time against one etcd. No address may be handed out twice and every allocation must be
 * accounted for: Σ handle counts = allocations recorded in blocks = 5,000, and every block's
 * allocations agree with the handles. Small blocks (/27) and pools barely larger than the demand
 * make hosts claim many blocks, race for them, run out of free blocks and borrow.
 * IPAM_FAULT_PER_HOST and IPAM_FAULT_DEADLINE_MS override the size and the time budget.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Resource } from '../../../src/api/index.js';
import { Client } from '../../../src/client/index.js';
import { EtcdBackend } from '../../../src/datastore/index.js';
import { IPAMClient } from '../../../src/ipam/index.js';
import { handleCounts } from '../../../src/ipam/core/block.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import type { WorkerReport } from './alloc-worker.js';

const HOSTS = 10;
const PER_HOST = Number(process.env.IPAM_FAULT_PER_HOST ?? 500);
const DEADLINE_MS = Number(process.env.IPAM_FAULT_DEADLINE_MS ?? 120_000);
const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'alloc-worker.js');

describe('IPAM fault test: 10 hosts × 500 addresses at once', () => {
  let etcd: EtcdHandle;
  let backend: EtcdBackend;
  const children: ChildProcess[] = [];

  before(async () => {
    etcd = await startEtcd();
    backend = new EtcdBackend({ endpoints: etcd.endpoints });
  });
  const killAll = () => {
    for (const c of children) {
      if (c.exitCode !== null || c.signalCode !== null || !c.pid) continue;
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  after(async () => {
    killAll();
    await backend?.close();
    await etcd?.stop();
    await assertNoLeaks();
  });

  it(
    'hands out no address twice and accounts for every allocation',
    { timeout: DEADLINE_MS + 30_000 },
    async () => {
      const client = new Client(backend);
      // 157 blocks of 32 = 5,024 addresses for 5,000 allocations. A host needs 16 blocks (500 = 15×32 +
      // 20), so at least three hosts cannot get their 16th block and must borrow other hosts' spare
      // addresses (12 in each 16th block) — while those hosts are still allocating.
      const pools: Resource[] = [
        ['a', '10.0.0.0/20'],
        ['b', '10.0.16.0/23'],
        ['c', '10.0.18.0/24'],
        ['d', '10.0.19.0/25'],
        ['e', '10.0.19.128/27'],
      ].map(([name, cidr]) => ({
        apiVersion: 'projectcalico.org/v3',
        kind: 'IPPool',
        metadata: { name },
        spec: { cidr, blockSize: 27 },
      }));
      for (const p of pools) await client.create(p);
      for (let i = 0; i < HOSTS; i++) {
        await client.create({
          apiVersion: 'projectcalico.org/v3',
          kind: 'Node',
          metadata: { name: `host-${i}` },
          spec: {},
        });
      }

      const reports: Promise<WorkerReport>[] = [];
      const ready: Promise<void>[] = [];
      for (let i = 0; i < HOSTS; i++) {
        const child = spawn(
          process.execPath,
          [WORKER, etcd.endpoints.join(','), `host-${i}`, String(PER_HOST)],
          {
            stdio: ['pipe', 'pipe', 'pipe'],
          },
        );
        children.push(child);
        let out = '';
        let err = '';
        let signalReady!: () => void;
        ready.push(new Promise<void>((r) => (signalReady = r)));
        child.stderr!.on('data', (d) => (err += d));
        reports.push(
          new Promise<WorkerReport>((resolve, reject) => {
            child.stdout!.on('data', (d) => {
              out += d;
              if (out.startsWith('ready\n')) signalReady();
            });
            child.on('exit', (code) => {
              const line = out.split('\n').filter(Boolean).at(-1) ?? '';
              if (code !== 0 || !line.startsWith('{')) reject(new Error(`host-${i} exited ${code}: ${err}`));
              else resolve(JSON.parse(line) as WorkerReport);
            });
          }),
        );
      }
      await Promise.all(ready);
      const t0 = performance.now();
      for (const c of children) c.stdin!.end('go\n');
      const timer = setTimeout(killAll, DEADLINE_MS);
      let done: WorkerReport[];
      try {
        done = await Promise.all(reports);
      } finally {
        clearTimeout(timer);
      }
      const wall = performance.now() - t0;

      // 1. Every call got exactly one address; no address twice.
      const errors = done.flatMap((r) => r.errors);
      assert.deepEqual(errors, []);
      const byIP = new Map<string, string>();
      for (const r of done) {
        for (const a of r.allocations) {
          for (const ip of a.ips) {
            const addr = ip.split('/')[0];
            assert.equal(byIP.get(addr), undefined, `${addr} handed to ${byIP.get(addr)} and ${a.handleId}`);
            byIP.set(addr, a.handleId);
          }
        }
      }
      assert.equal(byIP.size, HOSTS * PER_HOST);

      // 2. The datastore agrees: blocks hold exactly these allocations, handles count exactly them.
      const ipam = new IPAMClient(backend, client);
      const blocks = await ipam.listBlocks(4);
      const handles = await ipam.listHandles();
      let inBlocks = 0;
      const fromBlocks = new Map<string, Map<string, number>>(); // handle -> block -> count
      for (const { block } of blocks) {
        for (const [h, n] of handleCounts(block)) {
          inBlocks += n;
          if (!fromBlocks.has(h)) fromBlocks.set(h, new Map());
          fromBlocks.get(h)!.set(block.cidr, n);
        }
        block.allocations.forEach((idx, o) => {
          if (idx === null) return;
          const base = block.cidr.split('/')[0].split('.').map(Number);
          const addr = `${base[0]}.${base[1]}.${base[2] + ((base[3] + o) >> 8)}.${(base[3] + o) & 255}`;
          assert.equal(block.attributes[idx].handle_id, byIP.get(addr), `owner of ${addr}`);
        });
      }
      assert.equal(inBlocks, HOSTS * PER_HOST);
      let inHandles = 0;
      for (const h of handles) {
        for (const [cidr, n] of Object.entries(h.handle.block)) {
          inHandles += n;
          assert.equal(fromBlocks.get(h.handleId)?.get(cidr), n, `handle ${h.handleId} in ${cidr}`);
        }
      }
      assert.equal(inHandles, HOSTS * PER_HOST);
      assert.equal(handles.length, HOSTS * PER_HOST);

      // 3. Block claims and borrowing happened.
      const affine = blocks.filter((b) => b.block.affinity !== null).length;
      let borrowed = 0;
      for (const { block } of blocks) {
        for (const idx of block.allocations) {
          if (idx !== null && `host:${block.attributes[idx].secondary?.node}` !== block.affinity) borrowed++;
        }
      }
      const slowest = Math.max(...done.map((r) => r.ms));
      const times = done.flatMap((r) => r.allocations.map((a) => a.ms)).sort((a, b) => a - b);
      const at = (q: number) => (times[Math.floor(q * (times.length - 1))] / 1000).toFixed(1);
      process.stdout.write(
        `# fault test: ${HOSTS}×${PER_HOST} in ${(wall / 1000).toFixed(1)} s ` +
          `(${Math.round((HOSTS * PER_HOST) / (wall / 1000))} allocations/s; slowest host ${(slowest / 1000).toFixed(1)} s), ` +
          `${blocks.length} blocks (${affine} affine), ${borrowed} borrowed addresses; ` +
          `50% done at ${at(0.5)} s, 90% at ${at(0.9)} s, 99% at ${at(0.99)} s\n`,
      );
      assert.equal(blocks.length, 157, 'every block was claimed');
      assert.ok(borrowed >= 60, `at least 3 hosts × 20 addresses borrowed (got ${borrowed})`);
    },
  );
});
