/**
 * `calico-lab up`: builds a cluster and returns once it is ready. Each step is recorded in the
 * state file before the next starts, and the daemons are detached, so the lab keeps running
 * after this command and a run killed at any point is removed by the next `up` or `down`.
 */
import { mkdirSync } from 'node:fs';
import { HEALTH_PORT, newHostState, probeNode, probesFor, startCalicoNode } from './calico-nodes.js';
import {
  makeRouteReflector,
  openClient,
  waitForNode,
  writeClusterConfig,
  type VxlanMode,
} from './cluster-config.js';
import { etcdHealthy, startLabEtcd } from './lab-etcd.js';
import { LabError, usageError } from './lab-error.js';
import {
  CROSS_SUBNETS,
  hostAddress,
  MAX_NODES,
  OUTSIDE_IP,
  POD_BLOCK_SIZE,
  POD_POOL_CIDR,
  subnetOfHost,
  type LabNames,
} from './names.js';
import { preflight } from './preflight.js';
import { logTail, pidAlive } from './processes.js';
import { Progress, type Output } from './progress.js';
import { readState, writeState, type HostState, type LabMode, type LabState } from './state.js';
import { teardown } from './teardown.js';
import { createFabric, createHost, createRouter, createTor } from './topology.js';
import { newTorState, startTor, torNeighbors } from './tor.js';
import { writeWrappers } from './wrappers.js';

export interface UpOptions {
  nodes: number;
  mode: LabMode;
  routeReflectors: number;
  tor: boolean;
  /** The pool's vxlanMode in VXLAN mode (default Always). */
  vxlanMode?: VxlanMode;
  /** 1 (default): one fabric; 2: two subnets behind a router namespace (VXLAN mode only). */
  subnets?: 1 | 2;
  /** How long the nodes get to report ready (default 120 s: two shared cores can be slow). */
  readyTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function checkUpOptions(o: UpOptions): void {
  if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > MAX_NODES) {
    throw usageError(`--nodes must be a whole number from 1 to ${MAX_NODES}, got ${o.nodes}`);
  }
  if (o.mode !== 'bgp' && o.mode !== 'vxlan')
    throw usageError(`--mode must be bgp or vxlan, got ${String(o.mode)}`);
  if (!Number.isInteger(o.routeReflectors) || o.routeReflectors < 0 || o.routeReflectors > o.nodes) {
    throw usageError(`--route-reflectors must be a whole number from 0 to --nodes (${o.nodes})`);
  }
  if (o.mode === 'vxlan' && (o.routeReflectors > 0 || o.tor)) {
    throw usageError('--route-reflectors and --tor need --mode bgp (vxlan mode runs no BGP)');
  }
  const vxlanMode = o.vxlanMode ?? 'Always';
  if (vxlanMode !== 'Always' && vxlanMode !== 'CrossSubnet') {
    throw usageError(`--vxlan-mode must be Always or CrossSubnet, got ${String(vxlanMode)}`);
  }
  if (vxlanMode !== 'Always' && o.mode !== 'vxlan') throw usageError('--vxlan-mode needs --mode vxlan');
  const subnets = o.subnets ?? 1;
  if (subnets !== 1 && subnets !== 2) throw usageError(`--subnets must be 1 or 2, got ${String(subnets)}`);
  if (subnets === 2 && o.mode !== 'vxlan') {
    // BIRD's multihop sessions would cross the router, but the router runs no BGP: it would drop
    // unencapsulated pod traffic it has no route for.
    throw usageError(
      '--subnets 2 needs --mode vxlan',
      'the router between the subnets knows no pod routes, so only encapsulated pod traffic crosses it: use --mode vxlan (with --vxlan-mode CrossSubnet to encapsulate only across it)',
    );
  }
  if (subnets === 2 && o.nodes < 2) throw usageError('--subnets 2 needs at least 2 nodes (one per subnet)');
}

/** Refuses to replace a lab that works, or one another `up` is building right now. */
function checkNoLiveLab(names: LabNames, flag: string): void {
  let s: LabState | undefined;
  try {
    s = readState(names);
  } catch {
    return; // damaged: a leftover
  }
  if (!s) return;
  if (s.phase === 'starting' && s.upPid !== process.pid && pidAlive(s.upPid)) {
    throw new LabError(
      `lab '${names.lab}' is being started by another calico-lab up (pid ${s.upPid})`,
      `wait for it, or stop it with: calico-lab down${flag}`,
    );
  }
  if (s.phase === 'ready' && s.etcd && pidAlive(s.etcd.pid)) {
    throw new LabError(
      `lab '${names.lab}' is already up (${s.hosts.length} hosts, ${s.mode} mode)`,
      `remove it first with: calico-lab down${flag} (or pick another name with --name)`,
    );
  }
}

function describe(o: UpOptions): string {
  if (o.mode === 'vxlan') {
    return (
      (o.vxlanMode === 'CrossSubnet' ? 'VXLAN CrossSubnet' : 'VXLAN') +
      (o.subnets === 2 ? ', two subnets behind a router, NAT outgoing' : '')
    );
  }
  const parts = [o.routeReflectors > 0 ? `${o.routeReflectors} route reflector(s)` : 'node-to-node mesh'];
  if (o.tor) parts.push('GoBGP ToR');
  return `BGP, ${parts.join(', ')}`;
}

export async function up(names: LabNames, o: UpOptions, out: Output): Promise<LabState> {
  checkUpOptions(o);
  preflight(o.mode, o.tor);
  const flag = names.lab === 'lab' ? '' : ` --name ${names.lab}`;
  checkNoLiveLab(names, flag);
  const subnets = o.subnets ?? 1;
  out.write(`Starting lab '${names.lab}': ${o.nodes} host(s), ${describe(o)}; state in ${names.dir}\n`);
  const progress = new Progress(out, 6 + (o.tor ? 1 : 0) + (o.routeReflectors > 0 ? 1 : 0));

  await progress.run(
    'removing leftovers of earlier runs',
    () => teardown(names),
    (r) =>
      r.processes + r.namespaces > 0 ? `${r.processes} process(es), ${r.namespaces} namespace(s)` : 'none',
  );

  mkdirSync(names.dir, { recursive: true });
  const state: LabState = {
    version: 1,
    name: names.lab,
    dir: names.dir,
    mode: o.mode,
    ...(o.mode === 'vxlan' && o.vxlanMode ? { vxlanMode: o.vxlanMode } : {}),
    phase: 'starting',
    upPid: process.pid,
    createdAt: new Date().toISOString(),
    poolCidr: POD_POOL_CIDR,
    blockSize: POD_BLOCK_SIZE,
    fabricNetns: names.fabricNetns,
    hosts: [],
    routeReflectors: [],
    pods: [],
  };
  const save = (): void => writeState(names, state);
  save();
  const plugins = writeWrappers(names);
  if (!plugins.shim)
    out.write(`CNI plugins: the Node launchers (no Go shim: ${plugins.note ?? 'not wanted'})\n`);

  await progress.run(
    subnets === 2
      ? `building two subnets, their router and ${o.nodes} host namespace(s)`
      : `building the fabric and ${o.nodes} host namespace(s)`,
    async () => {
      await createFabric(names);
      if (subnets === 2) {
        state.router = {
          netns: names.routerNetns,
          gateways: CROSS_SUBNETS.map((s) => s.gateway),
          outsideAddress: OUTSIDE_IP,
        };
        save();
        await createRouter(names);
      }
      for (let i = 1; i <= o.nodes; i++) {
        const subnet = subnetOfHost(i, o.nodes, subnets);
        const host = newHostState(names, i, hostAddress(i, subnet));
        if (subnets === 2) host.prefixLength = subnet.prefix;
        state.hosts.push(host);
        save();
        await createHost(names, i, host.address, subnet);
      }
      if (o.tor) {
        state.tor = newTorState(names);
        save();
        await createTor(names);
      }
    },
    () =>
      `${state.hosts[0].address}..${state.hosts[state.hosts.length - 1].address}` +
      (state.router ? `, router ${state.router.gateways.join(' ')} (outside ${OUTSIDE_IP})` : ''),
  );

  await progress.run(
    'starting etcd',
    () =>
      startLabEtcd(names, (e) => {
        state.etcd = e;
        save();
      }),
    (e) => `pid ${e.pid}, ${e.endpoint}`,
  );

  const client = openClient(names.etcdEndpoint);
  try {
    await progress.run('writing the cluster configuration', () =>
      writeClusterConfig(client, {
        mode: o.mode,
        routeReflectors: o.routeReflectors,
        tor: o.tor,
        vxlanMode: o.vxlanMode,
        // The router is the lab's way out: pods reach OUTSIDE_IP as their host, as from a real cluster.
        natOutgoing: subnets === 2,
      }),
    );

    if (o.tor && state.tor) {
      const tor = state.tor;
      await progress.run(
        'starting the GoBGP ToR router',
        async () => {
          tor.pid = await startTor(
            names,
            tor,
            state.hosts.map((h) => h.address),
          );
          save();
        },
        () => `pid ${tor.pid}, AS ${tor.asNumber}, ${tor.address}`,
      );
    }

    await progress.run(
      `starting calico-node on ${o.nodes} host(s)`,
      async () => {
        for (const h of state.hosts) {
          h.nodePid = await startCalicoNode(names, h, o.mode);
          save();
        }
        await Promise.all(state.hosts.map((h) => waitForStartup(client, h)));
      },
      () => 'Node resources created',
    );

    if (o.routeReflectors > 0) {
      const rrs = state.hosts.slice(0, o.routeReflectors);
      await progress.run(
        `making ${rrs.map((h) => h.name).join(', ')} route reflector(s)`,
        async () => {
          for (const h of rrs) {
            await makeRouteReflector(client, h.name);
            state.routeReflectors.push(h.name);
            save();
          }
        },
        () => 'cluster ID 224.0.0.1, full mesh off',
      );
    }
  } finally {
    await client.close();
  }

  await progress.run(
    'waiting for the hosts to be ready',
    () => waitReady(names, state, o.readyTimeoutMs ?? 120_000),
    (note) => note,
  );
  state.phase = 'ready';
  save();
  return state;
}

async function waitForStartup(client: ReturnType<typeof openClient>, h: HostState): Promise<void> {
  // Fails fast when calico-node dies instead of waiting out the timeout.
  await waitForNode(client, h.name, 60_000, () => {
    if (!pidAlive(h.nodePid ?? 0)) throw nodeDied(h);
  });
}

function nodeDied(h: HostState): LabError {
  return new LabError(`calico-node on ${h.name} exited:\n${logTail(h.logFile)}`, `its log: ${h.logFile}`);
}

/** Polls calico-node's readiness probes on every host until all pass. */
async function waitReady(names: LabNames, state: LabState, timeoutMs: number): Promise<string> {
  const probes = probesFor(state.mode);
  const deadline = Date.now() + timeoutMs;
  const pending = new Map(state.hosts.map((h) => [h.name, h]));
  let last = new Map<string, string>();
  while (pending.size > 0) {
    if (!state.etcd || !(await etcdHealthy(state.etcd.dir))) {
      throw new LabError(`etcd stopped answering:\n${logTail(state.etcd?.logFile ?? '')}`);
    }
    const results = await Promise.all(
      [...pending.values()].map(async (h) => {
        if (!pidAlive(h.nodePid ?? 0)) throw nodeDied(h);
        return [h, await probeNode(names, h, state.mode, probes)] as const;
      }),
    );
    last = new Map();
    for (const [h, r] of results) {
      if (r.code === 0) pending.delete(h.name);
      else last.set(h.name, (r.stdout + r.stderr).trim().split('\n').slice(-3).join(' / '));
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline) {
      const why = [...last].map(([n, t]) => `  ${n}: ${t || 'not ready'}`).join('\n');
      throw new LabError(
        `not ready within ${timeoutMs / 1000} s (probes: ${probes.map((p) => `-${p}`).join(' ')}, health port ${HEALTH_PORT}):\n${why}`,
        `calico-node logs: ${[...pending.values()].map((h) => h.logFile).join(', ')}`,
      );
    }
    await sleep(1000);
  }
  if (state.tor) await waitTor(state, deadline);
  return (
    probes.map((p) => p.replace('-ready', '')).join(' and ') +
    ' ready on every host' +
    (state.tor ? ', ToR sessions established' : '')
  );
}

async function waitTor(state: LabState, deadline: number): Promise<void> {
  const tor = state.tor;
  if (!tor) return;
  for (;;) {
    const n = await torNeighbors(tor).catch(() => []);
    if (n.length === state.hosts.length && n.every((x) => x.state === 'established')) return;
    if (Date.now() > deadline) {
      throw new LabError(
        `the ToR's BGP sessions are not all established: ${n.map((x) => `${x.address} ${x.state}`).join(', ')}`,
        `gobgpd's log: ${tor.logFile}`,
      );
    }
    await sleep(500);
  }
}
