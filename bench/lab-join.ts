/**
 * A node joining a 10-host calico-lab (BGP, node-to-node mesh), against BIRD's own convergence.
 *
 * The lab has no "add host" command; this benchmark adds hosts 11, 12, 13 one after another with
 * the lab's own functions, as `up` does for each host (createHost, newHostState, startCalicoNode,
 * the host recorded in state.json so `pod add --node N` and `down` know it). Before the joins every
 * host runs one pod, so each owns a /28 block that BIRD advertises. Per join:
 *
 *   join     t=0 when calico-node is started on the new host. `all routes`: when the new host's
 *            kernel has a `proto bird` route for every block of the cluster. BIRD's own share:
 *            from BIRD's process appearing (calico-node starts it after its config is rendered)
 *            to the same moment - BGP sessions, connect delays, route exchange, kernel sync.
 *   new pod  then a pod on the new host: its first block, a new route. t=0 when `calico-lab pod
 *            add --no-wait` starts. The pod is reachable from everywhere first through its /32
 *            (BIRD learns the CNI plugin's kernel route and exports it while the block is not yet
 *            in BIRD's config), then through the /28 block once confd rewrites bird.cfg.
 *            `every host routes the pod`: when the last of the other hosts' kernels has a route
 *            via the new host (either); BIRD's own share: from the pod's /32 route appearing in the
 *            new host's kernel to that moment. `every host has the block`: the /28 route via the
 *            new host on every other host; BIRD's own share: from bird.cfg being rewritten with
 *            the block (confd then asks BIRD to reconfigure) to that moment.
 *
 * Route events come from `ip monitor route` in every host, stamped as they arrive; nothing polls
 * the kernels. Lab name `bzj`. The hosts share the machine's 2 CPUs with each other (and with other
 * work), which stretches everything; compare the columns within one run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { newHostState, startCalicoNode } from '../src/lab/calico-nodes.js';
import { hostAddress, LabNames, SINGLE_SUBNET } from '../src/lab/names.js';
import { readState, withStateLock, writeState, type HostState } from '../src/lab/state.js';
import { createHost } from '../src/lab/topology.js';
import { runCommand } from '../src/lab/run-command.js';
import { addPods, childPids, labCli, labState, loadAverage, procName, sleep, withLab } from './lab-util.js';
import { median, writeResults } from './stats.js';

const LAB = 'bzj';
const BASE_HOSTS = 10;
const JOINS = Number(process.env.BENCH_JOINS ?? 3);
const TIMEOUT_MS = 90_000;
const names = new LabNames(LAB);

/** `ip monitor route` in one namespace: every line with the time it arrived. */
class RouteWatch {
  readonly events: { t: number; line: string }[] = [];
  private readonly child: ChildProcess;

  constructor(readonly netns: string) {
    this.child = spawn('ip', ['-n', netns, 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) =>
      this.events.push({ t: performance.now(), line }),
    );
  }

  /** The first added route (after `since`) whose line matches. */
  first(re: RegExp, since: number): number | undefined {
    return this.events.find((e) => e.t >= since && !e.line.startsWith('Deleted') && re.test(e.line))?.t;
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(10);
  }
}

/** Blocks advertised over BGP in one host's kernel. */
async function birdRoutes(netns: string): Promise<string[]> {
  const r = await runCommand('ip', ['-n', netns, 'route', 'show', 'proto', 'bird']);
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}

const esc = (s: string): string => s.replace(/\./g, '\\.');

interface Join {
  host: string;
  /** calico-node start → BIRD process seen. */
  birdStartMs: number;
  /** calico-node start → the new host routes every block of the cluster. */
  allRoutesMs: number;
  /** BIRD start → the same. */
  allRoutesBirdMs: number;
  blocks: number;
  podIp: string;
  /** pod add start → the pod's /32 in the new host's kernel (CNI ADD). */
  podKernelMs: number;
  /** pod add start → every other host routes to the pod via the new host. */
  podRoutedMs: number;
  /** /32 in the new host's kernel → every other host routes the pod. */
  podRoutedBirdMs: number;
  /** pod add start → bird.cfg rewritten with the block. */
  blockConfigMs: number;
  /** pod add start → every other host has the /28 block. */
  blockRoutedMs: number;
  /** bird.cfg with the block → every other host has it. */
  blockRoutedBirdMs: number;
}

async function addHost(index: number): Promise<HostState> {
  const host = newHostState(names, index, hostAddress(index, SINGLE_SUBNET));
  await withStateLock(names, async () => {
    const s = readState(names)!;
    s.hosts.push(host);
    writeState(names, s);
  });
  await createHost(names, index, host.address, SINGLE_SUBNET);
  return host;
}

async function recordPid(host: HostState, pid: number): Promise<void> {
  await withStateLock(names, async () => {
    const s = readState(names)!;
    const h = s.hosts.find((x) => x.name === host.name);
    if (h) h.nodePid = pid;
    writeState(names, s);
  });
}

async function joinOnce(index: number, watches: Map<string, RouteWatch>): Promise<Join> {
  const before = labState(LAB);
  const blocksBefore = before.pods.length; // one pod, so one block, on each host so far
  const host = await addHost(index);
  const mine = new RouteWatch(host.name);
  watches.set(host.name, mine);
  await sleep(200); // the monitor subscribes
  const cfg = join(host.runDir, 'bird.cfg');

  // Join: start calico-node, as `up` does.
  const t0 = performance.now();
  const pid = await startCalicoNode(names, host, before.mode);
  await recordPid(host, pid);
  const tBird = await until('BIRD on the new host', () =>
    childPids(pid).some((c) => procName(c) === 'bird') ? performance.now() : undefined,
  );
  const blockRe = / via \S+ dev eth0 proto bird/;
  const tAll = await until(`${blocksBefore} blocks routed on ${host.name}`, () => {
    const seen = new Set<string>();
    let last = 0;
    for (const e of mine.events) {
      if (e.t < t0 || e.line.startsWith('Deleted') || !blockRe.test(e.line)) continue;
      const dst = e.line.split(' ')[0];
      if (!dst.endsWith('/28') || seen.has(dst)) continue;
      seen.add(dst);
      last = e.t;
    }
    return seen.size >= blocksBefore ? last : undefined;
  });

  // A pod on the new host: a new block.
  let tCfg: number | undefined;
  const cfgHasBlock = (): boolean => {
    try {
      return /if \( net = [\d.]+\/28 \)/.test(readFileSync(cfg, 'utf8'));
    } catch {
      return false;
    }
  };
  if (cfgHasBlock()) throw new Error(`${cfg} names a block before the new host has a pod`);
  const watcher: FSWatcher = watch(host.runDir, () => {
    if (tCfg === undefined && cfgHasBlock()) tCfg = performance.now();
  });
  const podName = `j${index}`;
  const t1 = performance.now();
  try {
    await labCli(LAB, ['pod', 'add', podName, '--node', String(index), '--no-wait'], 60_000);
    const podIp = labState(LAB).pods.find((p) => p.name === podName)?.ip;
    if (!podIp) throw new Error(`pod ${podName} has no IP`);
    const block = podIp.replace(/\d+$/, (o) => String(Number(o) & ~15));
    const others = [...watches.values()].filter((w) => w !== mine);
    const tKernel = await until(`${podIp}'s route on ${host.name}`, () =>
      mine.first(new RegExp(`^${esc(podIp)} dev cali`), t1),
    );
    const viaNew = `via ${esc(host.address)} dev eth0`;
    const podRe = new RegExp(`^(${esc(podIp)}|${esc(block)}/28) ${viaNew}`);
    const routed = await until('every host routing the pod', () => {
      const ts = others.map((w) => w.first(podRe, t1));
      return ts.every((t) => t !== undefined) ? Math.max(...(ts as number[])) : undefined;
    });
    const blockRe28 = new RegExp(`^${esc(block)}/28 ${viaNew}`);
    const blockAll = await until('every host routing the block', () => {
      const ts = others.map((w) => w.first(blockRe28, t1));
      return ts.every((t) => t !== undefined) ? Math.max(...(ts as number[])) : undefined;
    });
    const cfgAt = await until(
      'bird.cfg with the block',
      () => tCfg ?? (cfgHasBlock() ? performance.now() : undefined),
    );
    return {
      host: host.name,
      birdStartMs: tBird - t0,
      allRoutesMs: tAll - t0,
      allRoutesBirdMs: tAll - tBird,
      blocks: blocksBefore,
      podIp,
      podKernelMs: tKernel - t1,
      podRoutedMs: routed - t1,
      podRoutedBirdMs: routed - tKernel,
      blockConfigMs: cfgAt - t1,
      blockRoutedMs: blockAll - t1,
      blockRoutedBirdMs: blockAll - cfgAt,
    };
  } finally {
    watcher.close();
  }
}

const watches = new Map<string, RouteWatch>();
let upMs = 0;
const tUp = performance.now();
const joins = await withLab(LAB, ['--nodes', String(BASE_HOSTS), '--mode', 'bgp'], async (s) => {
  upMs = performance.now() - tUp;
  await addPods(
    LAB,
    s.hosts.map((h) => ({ name: `p${h.index}`, node: h.index })),
  );
  // Every host has the other nine blocks before the first join.
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const counts = await Promise.all(
      s.hosts.map(async (h) => (await birdRoutes(h.name)).filter((l) => l.includes('/28 ')).length),
    );
    if (counts.every((c) => c >= BASE_HOSTS - 1)) break;
    if (Date.now() > deadline)
      throw new Error(`the base lab did not converge: /28 routes per host ${counts.join(' ')}`);
    await sleep(500);
  }
  try {
    for (const h of s.hosts) watches.set(h.name, new RouteWatch(h.name));
    await sleep(300);
    const out: Join[] = [];
    for (let i = 0; i < JOINS; i++) out.push(await joinOnce(BASE_HOSTS + 1 + i, watches));
    return out;
  } finally {
    // Before the lab goes: the monitors run inside its namespaces.
    for (const w of watches.values()) w.stop();
  }
});

const cols: [string, keyof Join][] = [
  ['join: calico-node start -> BIRD started', 'birdStartMs'],
  ['join: calico-node start -> new host routes every block', 'allRoutesMs'],
  ['join, BIRD own: BIRD started -> same', 'allRoutesBirdMs'],
  ['new pod: pod add -> /32 in new host kernel (CNI ADD)', 'podKernelMs'],
  ['new pod: pod add -> every host routes the pod', 'podRoutedMs'],
  ['new pod, BIRD own: /32 in kernel -> every host routes it', 'podRoutedBirdMs'],
  ['new block: pod add -> bird.cfg has the block', 'blockConfigMs'],
  ['new block: pod add -> every host has the /28', 'blockRoutedMs'],
  ['new block, BIRD own: bird.cfg -> every host has it', 'blockRoutedBirdMs'],
];
const rows = cols.map(([name, key]) => {
  const samples = joins.map((j) => j[key] as number);
  return { name, key, medianMs: median(samples), samplesMs: samples.map((x) => Math.round(x)) };
});
const w = Math.max(...rows.map((r) => r.name.length));
process.stdout.write(
  `\nlab-join: hosts ${BASE_HOSTS + 1}..${BASE_HOSTS + JOINS} joining a ${BASE_HOSTS}-host BGP mesh (lab up took ${(upMs / 1000).toFixed(1)} s), ${joins.length} joins (ms)\n`,
);
process.stdout.write(`${'measurement'.padEnd(w)}  median ms  runs\n`);
for (const r of rows) {
  process.stdout.write(
    `${r.name.padEnd(w)}  ${r.medianMs.toFixed(0).padStart(9)}  ${r.samplesMs.join(' ')}\n`,
  );
}
const outFile = writeResults('lab-join', {
  benchmark: 'lab-join',
  date: new Date().toISOString(),
  node: process.version,
  loadAverage: loadAverage(),
  baseHosts: BASE_HOSTS,
  mode: 'bgp',
  labUpMs: Math.round(upMs),
  reference:
    'lab-reference REPORT.md §4: BIRD 2 mesh, BIRD start -> all remote blocks in all kernels 0.9-2.1 s (3 hosts, connect delay 1 s)',
  rows,
  joins,
});
process.stdout.write(`wrote ${outFile}\n`);
