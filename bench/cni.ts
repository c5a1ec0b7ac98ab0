/**
 * CNI benchmark: ADD+DEL latency through one libcni client (dist/tools/mini-cnitool, Debian's
 * libcni) into fresh pod namespaces inside a "host" namespace, for
 *   (a) Debian's Go `bridge` + `host-local` plugins (the anchor),
 *   (b) our `calico` + `calico-ipam` on a real etcd with no agent running (in-process),
 *   (c) our `calico` + `calico-ipam` through calico-cni-agent, the plugins being the Node launchers,
 *   (d) the same through the compiled Go shim (tools/cni-shim, as --install-plugins installs it),
 * interleaved round by round so drift hits all alike; plus VERSION latency (podman calls
 * VERSION on every plugin for every command) and the floors: exec of /bin/true, `node -e 0`.
 *
 * The benchmark process re-runs itself inside the "host" namespace (nsenter --net), so etcd, the
 * agent, mini-cnitool and the plugins all share that host's loopback and links, as on a real node,
 * and nothing is timed through nsenter. Root only; namespaces named ctsb-*; bounded in time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, ensureInitialized } from '../src/client/index.js';
import { EtcdBackend } from '../src/datastore/index.js';
import { startEtcd, type EtcdHandle } from '../src/lab/etcd-server.js';
import { installPlugins } from '../src/cni/agent/install.js';
import { pluginLauncher } from '../src/cni/agent/launcher.js';
import { printTable, timed, writeResults, type Row, rowsJson } from './stats.js';

const ROUNDS = Number(process.env.BENCH_CNI_ROUNDS ?? 30);
const WARMUP = 3;
const TIME_BUDGET_MS = Number(process.env.BENCH_CNI_BUDGET_MS ?? 180_000);
const VERSION_RUNS = 30;
const PREFIX = 'ctsb';
const HOST_NS = `${PREFIX}-host`;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CNITOOL = join(ROOT, 'dist', 'tools', 'mini-cnitool');
const AGENT_BIN = join(ROOT, 'dist', 'bin', 'calico-cni-agent.js');
const POOL = '10.244.0.0/16';
const CLEAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const INSIDE_ENV = 'CALICO_TS_BENCH_CNI_INSIDE';

function sh(cmd: string, args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function must(cmd: string, args: string[]): string {
  const r = sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

function removeLeftovers(): void {
  for (const ns of existsSync('/run/netns') ? readdirSync('/run/netns') : []) {
    if (ns.startsWith(`${PREFIX}-`)) sh('ip', ['netns', 'del', ns]);
  }
  for (const d of readdirSync(tmpdir())) {
    if (d.startsWith('calico-ts-bench-cni-')) rmSync(join(tmpdir(), d), { recursive: true, force: true });
  }
}

function ensureCnitool(): void {
  if (existsSync(CNITOOL)) return;
  const script = join(ROOT, 'scripts', 'build-cnitool.sh');
  if (!existsSync(script)) throw new Error(`${CNITOOL} is missing and there is no ${script} to build it`);
  const r = spawnSync('bash', [script], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(CNITOOL))
    throw new Error('scripts/build-cnitool.sh did not build mini-cnitool');
}

function setUpHost(): void {
  must('ip', ['netns', 'add', HOST_NS]);
  const ipn = (args: string[]) => must('ip', ['-n', HOST_NS, ...args]);
  ipn(['link', 'set', 'lo', 'up']);
  ipn(['link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'uplink-peer']);
  ipn(['addr', 'add', '192.0.2.11/24', 'dev', 'uplink']);
  ipn(['link', 'set', 'uplink', 'up']);
  ipn(['link', 'set', 'uplink-peer', 'up']);
  ipn(['route', 'add', 'default', 'via', '192.0.2.1', 'dev', 'uplink']);
  must('nsenter', [`--net=/run/netns/${HOST_NS}`, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
}

/** Wall-clock ms of one command run in the host namespace with a runtime-like clean environment. */
function timedInHost(
  argv: string[],
  env: Record<string, string>,
  input?: string,
): { ms: number; ok: boolean; code: number; err: string } {
  const t0 = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), {
    env: { PATH: CLEAN_PATH, ...env },
    input,
    encoding: 'utf8',
  });
  const ms = performance.now() - t0;
  return { ms, ok: r.status === 0, code: r.status ?? -1, err: `${r.stderr ?? ''}${r.stdout ?? ''}`.trim() };
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

interface Variant {
  name: string;
  net: string;
  env: Record<string, string>;
  add: number[];
  del: number[];
  sum: number[];
}

function waitForSocket(path: string, child: ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (existsSync(path)) return resolve();
      if (child.exitCode !== null) return reject(new Error(`calico-cni-agent exited with ${child.exitCode}`));
      if (Date.now() > deadline) return reject(new Error('calico-cni-agent did not start'));
      setTimeout(tick, 20);
    };
    tick();
  });
}

/** Outside: the host namespace around the real run, removed whatever happens. */
function outside(): void {
  if (process.getuid?.() !== 0) throw new Error('bench/cni.ts needs root (network namespaces)');
  removeLeftovers();
  ensureCnitool();
  try {
    setUpHost();
    const r = spawnSync(
      'nsenter',
      [`--net=/run/netns/${HOST_NS}`, process.execPath, fileURLToPath(import.meta.url)],
      {
        env: { ...process.env, [INSIDE_ENV]: '1' },
        stdio: 'inherit',
        timeout: TIME_BUDGET_MS + 120_000,
      },
    );
    if (r.status !== 0) throw new Error(`bench/cni.ts inside ${HOST_NS} failed (${r.status ?? r.signal})`);
  } finally {
    removeLeftovers();
  }
}

async function inside(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'calico-ts-bench-cni-'));
  const confDir = join(work, 'net.d');
  const binDir = join(work, 'bin');
  const shimDir = join(work, 'bin-shim');
  mkdirSync(confDir);
  mkdirSync(binDir);
  mkdirSync(shimDir);
  const etcd: EtcdHandle = await startEtcd();
  let agent: ChildProcess | undefined;
  const deadline = Date.now() + TIME_BUDGET_MS;
  try {
    const backend = new EtcdBackend({ endpoints: etcd.endpoints });
    const client = new Client(backend);
    await ensureInitialized(client, 'bench', '');
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'IPPool',
      metadata: { name: 'bench-pool' },
      spec: { cidr: POOL, blockSize: 26, ipipMode: 'Never', vxlanMode: 'Never', natOutgoing: false },
    });
    // The plugin's node must exist (calico-node registers it on a real host).
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'Node',
      metadata: { name: HOST_NS },
      spec: {},
    });
    await backend.close();

    for (const plugin of ['calico', 'calico-ipam'] as const) {
      writeFileSync(join(binDir, plugin), pluginLauncher(plugin), { mode: 0o755 });
    }
    const installed = installPlugins(shimDir);
    if (!installed.shim) throw new Error(`the Go shim was not built: ${installed.note}`);
    const conflists = {
      [`${PREFIX}go`]: {
        type: 'bridge',
        bridge: `${PREFIX}br0`,
        isGateway: true,
        ipMasq: false,
        ipam: {
          type: 'host-local',
          dataDir: join(work, 'host-local'),
          ranges: [[{ subnet: '10.245.0.0/16' }]],
          routes: [{ dst: '0.0.0.0/0' }],
        },
      },
      [`${PREFIX}calico`]: {
        type: 'calico',
        datastore_type: 'etcdv3',
        etcd_endpoints: etcd.endpoints.join(','),
        nodename: HOST_NS,
        nodename_file_optional: true,
        mtu: 1500,
        log_level: 'error',
        ipam_lock_file: join(work, 'ipam.lock'),
        ipam: { type: 'calico-ipam', ipv4_pools: [POOL] },
      },
    };
    for (const [name, plugin] of Object.entries(conflists)) {
      writeFileSync(
        join(confDir, `50-${name}.conflist`),
        JSON.stringify({ cniVersion: '1.0.0', name, plugins: [plugin] }),
      );
    }

    const agentSock = join(work, 'agent.sock');
    // The agent logs its own time per request (the share of the work done inside the agent) to a
    // file: this process blocks in spawnSync while timing and could not drain a pipe.
    const agentLogFile = join(work, 'agent.log');
    const logFd = openSync(agentLogFile, 'w');
    agent = spawn(process.execPath, [AGENT_BIN, '--socket', agentSock], {
      env: { PATH: CLEAN_PATH },
      stdio: ['ignore', 'ignore', logFd],
    });
    closeSync(logFd);
    await waitForSocket(agentSock, agent, 15_000);

    const common = {
      NETCONFPATH: confDir,
      CNI_PATH: `${binDir}:/usr/lib/cni`,
      CNI_IFNAME: 'eth0',
      CNI_CACHE_DIR: join(work, 'cache'),
    };
    const variants: Variant[] = [
      { name: 'go bridge+host-local', net: `${PREFIX}go`, env: common, add: [], del: [], sum: [] },
      {
        name: 'calico in-process (no agent)',
        net: `${PREFIX}calico`,
        env: { ...common, CALICO_CNI_AGENT_SOCKET: join(work, 'no-agent.sock') },
        add: [],
        del: [],
        sum: [],
      },
      {
        name: 'calico via agent (Node thin plugin)',
        net: `${PREFIX}calico`,
        env: { ...common, CALICO_CNI_AGENT_SOCKET: agentSock },
        add: [],
        del: [],
        sum: [],
      },
      {
        name: 'calico via agent (Go shim)',
        net: `${PREFIX}calico`,
        env: { ...common, CNI_PATH: `${shimDir}:/usr/lib/cni`, CALICO_CNI_AGENT_SOCKET: agentSock },
        add: [],
        del: [],
        sum: [],
      },
    ];
    const viaShim = variants[3];

    let pod = 0;
    let rounds = 0;
    const timedIds = new Set<string>();
    for (let round = 0; round < WARMUP + ROUNDS && Date.now() < deadline; round++) {
      for (const v of variants) {
        const ns = `${PREFIX}-p${pod}`;
        // Unique in its first 11 characters: Calico names the host veth cali<id[:11]>.
        const env = { ...v.env, CNI_CONTAINERID: `p${String(pod++).padStart(7, '0')}bench` };
        must('ip', ['netns', 'add', ns]);
        try {
          const add = timedInHost([CNITOOL, 'add', v.net, `/run/netns/${ns}`], env);
          if (!add.ok) throw new Error(`${v.name}: ADD failed: ${add.err}`);
          const del = timedInHost([CNITOOL, 'del', v.net, `/run/netns/${ns}`], env);
          if (!del.ok) throw new Error(`${v.name}: DEL failed: ${del.err}`);
          if (round >= WARMUP) {
            if (v.env.CALICO_CNI_AGENT_SOCKET === agentSock) timedIds.add(env.CNI_CONTAINERID);
            v.add.push(add.ms);
            v.del.push(del.ms);
            v.sum.push(add.ms + del.ms);
          }
        } finally {
          sh('ip', ['netns', 'del', ns]);
        }
      }
      if (round >= WARMUP) rounds++;
    }
    if (rounds === 0) throw new Error('no timed round fitted in the time budget');

    // etcd's own count of KV requests for a few ADD+DEL pairs through the agent (a diagnostic).
    const kvBefore = await etcdKvCalls(etcd.clientUrl);
    const PAIRS = 5;
    for (let i = 0; i < PAIRS; i++) {
      const ns = `${PREFIX}-p${pod}`;
      const env = { ...viaShim.env, CNI_CONTAINERID: `p${String(pod++).padStart(7, '0')}bench` };
      must('ip', ['netns', 'add', ns]);
      try {
        for (const cmd of ['add', 'del']) {
          const r = timedInHost([CNITOOL, cmd, viaShim.net, `/run/netns/${ns}`], env);
          if (!r.ok) throw new Error(`counting run: ${cmd} failed: ${r.err}`);
        }
      } finally {
        sh('ip', ['netns', 'del', ns]);
      }
    }
    const kvAfter = await etcdKvCalls(etcd.clientUrl);
    const kvPerPair: Record<string, number> = {};
    for (const k of Object.keys(kvAfter)) {
      const d = (kvAfter[k] - (kvBefore[k] ?? 0)) / PAIRS;
      if (d > 0) kvPerPair[k] = Math.round(d * 10) / 10;
    }

    // VERSION: the plugin executed directly, as libcni does, with a runtime's clean environment.
    const version = (argv: string[], env: Record<string, string> = {}, wantExit = 0): number[] => {
      const out: number[] = [];
      for (let i = 0; i < VERSION_RUNS + 2; i++) {
        const r = timedInHost(argv, { CNI_COMMAND: 'VERSION', ...env }, '{"cniVersion":"1.0.0"}');
        if (r.code !== wantExit) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.err}`);
        if (i >= 2) out.push(r.ms);
      }
      return out;
    };
    const versions = {
      go: version(['/usr/lib/cni/bridge']),
      calico: version([join(binDir, 'calico')]),
      shim: version([join(shimDir, 'calico')]),
      esmBin: version([process.execPath, join(ROOT, 'dist', 'bin', 'calico.js')]),
      node: version([process.execPath, '-e', '0']),
      exec: version(['/bin/true']),
      // A request runCni rejects at once (no CNI_CONTAINERID): the thin path's round trip to the
      // agent, and the in-process plugin's module loading, without datastore or kernel work.
      thinAgent: version(
        [join(binDir, 'calico')],
        { CNI_COMMAND: 'ADD', CALICO_CNI_AGENT_SOCKET: agentSock },
        1,
      ),
      thinInProcess: version(
        [join(binDir, 'calico')],
        { CNI_COMMAND: 'ADD', CALICO_CNI_AGENT_SOCKET: join(work, 'no-agent.sock') },
        1,
      ),
      shimAgent: version(
        [join(shimDir, 'calico')],
        { CNI_COMMAND: 'ADD', CALICO_CNI_AGENT_SOCKET: agentSock },
        1,
      ),
      // No agent: the shim execs its Node launcher, which runs the plugin in-process.
      shimInProcess: version(
        [join(shimDir, 'calico')],
        { CNI_COMMAND: 'ADD', CALICO_CNI_AGENT_SOCKET: join(work, 'no-agent.sock') },
        1,
      ),
    };
    const agentLog = readFileSync(agentLogFile, 'utf8');
    const inAgent = (cmd: string): number[] =>
      [...agentLog.matchAll(new RegExp(`calico ${cmd} (\\S+) -> 0 in ([\\d.]+) ms`, 'g'))]
        .filter((m) => timedIds.has(m[1]))
        .map((m) => Number(m[2]));

    const table: Row[] = [];
    for (const what of ['ADD', 'DEL', 'ADD+DEL'] as const) {
      const pick = (v: Variant) => (what === 'ADD' ? v.add : what === 'DEL' ? v.del : v.sum);
      const anchor = `${what}: ${variants[0].name}`;
      for (const [i, v] of variants.entries()) {
        table.push({ name: `${what}: ${v.name}`, samples: pick(v), ...(i > 0 ? { anchor } : {}) });
      }
    }
    table.push({
      name: 'inside the agent: ADD (runCni)',
      samples: inAgent('ADD'),
      anchor: 'ADD: go bridge+host-local',
    });
    table.push({
      name: 'inside the agent: DEL (runCni)',
      samples: inAgent('DEL'),
      anchor: 'DEL: go bridge+host-local',
    });
    table.push({ name: 'VERSION: go bridge', samples: versions.go });
    table.push({
      name: 'VERSION: calico (thin plugin)',
      samples: versions.calico,
      anchor: 'VERSION: go bridge',
    });
    table.push({ name: 'VERSION: calico (Go shim)', samples: versions.shim, anchor: 'VERSION: go bridge' });
    table.push({
      name: 'VERSION: dist/bin/calico.js (ES module bin)',
      samples: versions.esmBin,
      anchor: 'VERSION: go bridge',
    });
    table.push({ name: 'floor: node -e 0', samples: versions.node, anchor: 'VERSION: go bridge' });
    table.push({ name: 'floor: exec /bin/true', samples: versions.exec });
    table.push({
      name: 'thin plugin -> agent, trivial request',
      samples: versions.thinAgent,
      anchor: 'floor: node -e 0',
    });
    table.push({
      name: 'in-process plugin, trivial request',
      samples: versions.thinInProcess,
      anchor: 'floor: node -e 0',
    });
    table.push({
      name: 'Go shim -> agent, trivial request',
      samples: versions.shimAgent,
      anchor: 'VERSION: go bridge',
    });
    table.push({
      name: 'Go shim -> Node fallback, trivial request',
      samples: versions.shimInProcess,
      anchor: 'in-process plugin, trivial request',
    });
    printTable(
      `cni: ADD/DEL through libcni (mini-cnitool), ${rounds} rounds interleaved, one etcd (medians; ratios within this run)`,
      table,
    );
    const out = writeResults('cni', {
      benchmark: 'cni',
      date: new Date().toISOString(),
      rounds,
      node: process.version,
      // The machine is shared: the 1/5/15-minute load averages when the run ended.
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      etcdRequestsPerAddDel: kvPerPair,
      rows: rowsJson(table),
    });
    process.stdout.write(`\netcd KV requests per ADD+DEL pair: ${JSON.stringify(kvPerPair)}\nwrote ${out}\n`);
  } finally {
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await timed(() => new Promise((r) => agent!.once('exit', r)));
    }
    await etcd.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.env[INSIDE_ENV]) await inside();
else outside();
