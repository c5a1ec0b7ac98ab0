/**
 * Resident memory of calico-node in a 10-host calico-lab (BGP) with 100 pods (10 per host), with
 * BIRD's and etcd's for comparison. VmRSS (and VmHWM, the peak) from /proc/<pid>/status: the
 * calico-node PIDs from state.json (hosts[].nodePid, one Node.js process holding Felix, confd and
 * the CNI agent), BIRD as calico-node's `bird` child, etcd from state.json. Measured twice: with
 * no pods, and after the 100 pods (`pod add --no-wait`, 10 at a time) once every host routes every
 * other host's blocks and a settling pause has passed. Lab name `bzr`.
 */
import { runCommand } from '../src/lab/run-command.js';
import type { LabState } from '../src/lab/state.js';
import { addPods, childPids, labState, loadAverage, procName, sleep, vmKb, withLab } from './lab-util.js';
import { median, writeResults } from './stats.js';

const LAB = 'bzr';
const HOSTS = 10;
const PODS_PER_HOST = 10;
const SETTLE_MS = Number(process.env.BENCH_RSS_SETTLE_MS ?? 10_000);

interface Sample {
  process: string;
  count: number;
  rssMiB: number[];
  medianRssMiB: number;
  maxRssMiB: number;
  maxHwmMiB: number;
}

const mib = (kb: number | undefined): number => Math.round(((kb ?? NaN) / 1024) * 10) / 10;

function sample(processName: string, pids: number[]): Sample {
  const rss = pids.map((p) => mib(vmKb(p, 'VmRSS')));
  if (rss.some((x) => Number.isNaN(x)))
    throw new Error(`a ${processName} process is gone: ${pids.join(' ')}`);
  return {
    process: processName,
    count: pids.length,
    rssMiB: rss,
    medianRssMiB: median(rss),
    maxRssMiB: Math.max(...rss),
    maxHwmMiB: Math.max(...pids.map((p) => mib(vmKb(p, 'VmHWM')))),
  };
}

function measure(s: LabState): Sample[] {
  const nodes = s.hosts.map((h) => h.nodePid ?? 0);
  const birds = nodes.flatMap((p) => childPids(p).filter((c) => procName(c) === 'bird'));
  if (birds.length !== nodes.length)
    throw new Error(`found ${birds.length} BIRD processes for ${nodes.length} hosts`);
  return [sample('calico-node', nodes), sample('bird', birds), sample('etcd', [s.etcd?.pid ?? 0])];
}

/** Every host has a `proto bird` route for every other host's block. */
async function waitConverged(s: LabState): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const counts = await Promise.all(
      s.hosts.map(async (h) => {
        const r = await runCommand('ip', ['-n', h.name, 'route', 'show', 'proto', 'bird']);
        return r.stdout.split('\n').filter((l) => l.includes('/28 ')).length;
      }),
    );
    if (counts.every((c) => c >= HOSTS - 1)) return;
    if (Date.now() > deadline)
      throw new Error(`routes did not converge: /28 routes per host ${counts.join(' ')}`);
    await sleep(1000);
  }
}

let idle: Sample[] = [];
let loaded: Sample[] = [];
let podsMs = 0;
await withLab(LAB, ['--nodes', String(HOSTS), '--mode', 'bgp'], async (s) => {
  await sleep(SETTLE_MS);
  idle = measure(s);
  const pods: { name: string; node: number }[] = [];
  // Round-robin over the hosts, so every batch of 10 spreads over all of them.
  for (let i = 0; i < PODS_PER_HOST; i++)
    for (const h of s.hosts) pods.push({ name: `r${h.index}-${i}`, node: h.index });
  const t = performance.now();
  await addPods(LAB, pods, 10);
  podsMs = performance.now() - t;
  const after = labState(LAB);
  if (after.pods.filter((p) => p.ip).length !== HOSTS * PODS_PER_HOST) {
    throw new Error(`expected ${HOSTS * PODS_PER_HOST} pods with addresses, have ${after.pods.length}`);
  }
  await waitConverged(after);
  await sleep(SETTLE_MS);
  loaded = measure(after);
});

const lines = [['process', 'count', 'no pods: median', 'max', '100 pods: median', 'max', 'peak (VmHWM)']];
for (const [i, l] of loaded.entries()) {
  const z = idle[i];
  lines.push([
    l.process,
    String(l.count),
    `${z.medianRssMiB.toFixed(1)} MiB`,
    `${z.maxRssMiB.toFixed(1)} MiB`,
    `${l.medianRssMiB.toFixed(1)} MiB`,
    `${l.maxRssMiB.toFixed(1)} MiB`,
    `${l.maxHwmMiB.toFixed(1)} MiB`,
  ]);
}
const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
process.stdout.write(
  `\nlab-rss: resident memory (VmRSS) in a ${HOSTS}-host BGP lab, before and after ${HOSTS * PODS_PER_HOST} pods (added in ${(podsMs / 1000).toFixed(1)} s)\n`,
);
for (const l of lines) process.stdout.write(l.map((c, i) => c.padEnd(widths[i])).join('  ') + '\n');
const out = writeResults('lab-rss', {
  benchmark: 'lab-rss',
  date: new Date().toISOString(),
  node: process.version,
  loadAverage: loadAverage(),
  hosts: HOSTS,
  pods: HOSTS * PODS_PER_HOST,
  mode: 'bgp',
  settleMs: SETTLE_MS,
  podsAddedMs: Math.round(podsMs),
  noPods: idle,
  withPods: loaded,
});
process.stdout.write(`wrote ${out}\n`);
