/**
 * podman, a real CNI runtime, runs busybox containers on a Calico network: our `calico` +
 * `calico-ipam` plugins installed by `calico-cni-agent --install-plugins` (the compiled Go shim,
 * with the Node launchers beside it), on a real etcd, once with no agent (the shim execs the
 * launcher: the in-process plugin) and once through calico-cni-agent. Two containers ping each other through the host (the pods' /32 addresses,
 * default via 169.254.1.1, proxy ARP and /32 host routes); `podman rm` (CNI DEL) gives everything
 * back. podman runs inside a host namespace (test/helpers/podman.ts): the root namespace never
 * sees a veth, an address or a route.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client, ensureInitialized } from '../../../src/client/index.js';
import { shimUnavailable } from '../../../src/cni/agent/index.js';
import { EtcdBackend } from '../../../src/datastore/index.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { Netns, relayTcpIntoNetns, type NetnsRelay } from '../../helpers/netns.js';
import {
  podmanUnusableReason,
  run,
  runtimeEnv,
  startPodmanLab,
  type PodmanLab,
} from '../../helpers/podman.js';

const PREFIX = 'ctspm';
const NET = `${PREFIX}net`;
const NODE = 'podman-node';
const POOL = '10.244.0.0/16';
const AGENT_BIN = fileURLToPath(new URL('../../../bin/calico-cni-agent.js', import.meta.url));
const noShim = shimUnavailable();
const skip = podmanUnusableReason() ?? (noShim && `no Go shim: ${noShim}`);

let etcd: EtcdHandle;
let client: Client;
let lab: PodmanLab;
let relay: NetnsRelay;
let agent: ChildProcess | undefined;
let agentLog = '';

function agentSocket(): string {
  return join(lab.work, 'agent.sock');
}

async function startAgent(): Promise<void> {
  agentLog = '';
  agent = spawn(
    'nsenter',
    [`--net=/run/netns/${lab.hostNs}`, process.execPath, AGENT_BIN, '--socket', agentSocket()],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  lab.recordPid(agent.pid!);
  agent.stderr!.setEncoding('utf8').on('data', (d: string) => (agentLog += d));
  const deadline = Date.now() + 15_000;
  while (!/listening on/.test(agentLog)) {
    if (agent.exitCode !== null || Date.now() > deadline)
      throw new Error(`calico-cni-agent did not start: ${agentLog}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stopAgent(): Promise<void> {
  const a = agent;
  agent = undefined;
  if (!a || a.exitCode !== null || a.signalCode !== null) return;
  const exited = new Promise((r) => a.once('exit', r));
  a.kill('SIGTERM');
  await exited;
}

/**
 * The Calico network, naming the agent socket in the config: podman runs some CNI calls (the DEL
 * of a `--rm` container) from conmon's cleanup process, which does not carry our environment.
 */
function writeNetwork(agentSocketPath: string): void {
  lab.addNetwork({
    cniVersion: '1.0.0',
    name: NET,
    plugins: [
      {
        type: 'calico',
        etcd_endpoints: etcd.clientUrl,
        nodename: NODE,
        nodename_file_optional: true,
        ipam_lock_file: join(lab.work, 'ipam.lock'),
        mtu: 1500,
        log_level: 'info',
        cni_agent_socket: agentSocketPath,
        ipam: { type: 'calico-ipam', ipv4_pools: [POOL] },
      },
    ],
  });
}

async function pm(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await lab.podman(args, { env });
  assert.equal(r.code, 0, `podman ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function wepNames(): Promise<string[]> {
  return (await client.list('WorkloadEndpoint')).items.map((w) => w.metadata.name!);
}

async function ipamHandles(): Promise<string[]> {
  return (await client.backend.list('/calico/ipam/v2/handle/')).items.map((kv) => kv.key);
}

async function rootNamespaceClean(): Promise<void> {
  const links = await run('ip', ['-o', 'link', 'show']);
  assert.doesNotMatch(links.stdout, /cali[0-9a-f]/, 'no cali* interface in the root namespace');
  const routes = await run('ip', ['-4', 'route', 'show', 'table', 'all']);
  assert.doesNotMatch(routes.stdout, /10\.244\./, 'no pod route in the root namespace');
}

/** Two containers on the Calico network: c1 sleeps, c2 pings it; then both are gone. */
async function twoContainersPing(tag: string, env: Record<string, string> = {}): Promise<void> {
  const c1 = `${PREFIX}-${tag}-c1`;
  await pm(['run', '-d', '--name', c1, '--network', NET, lab.image, 'sleep', '120'], env);
  const ip = (
    await pm(['inspect', c1, '--format', `{{(index .NetworkSettings.Networks "${NET}").IPAddress}}`], env)
  ).trim();
  assert.match(ip, /^10\.244\.\d+\.\d+$/, `c1 got an address from ${POOL}: ${ip}`);

  // Inside c1: the /32, the default route via 169.254.1.1.
  const inside = await pm(['exec', c1, 'sh', '-c', 'ip -4 -o addr show eth0; ip -4 route'], env);
  assert.match(inside, new RegExp(`inet ${ip.replaceAll('.', '\\.')}/32`));
  assert.match(inside, /default via 169\.254\.1\.1 dev eth0/);

  // The host side: a cali veth with the fixed MAC and a /32 route to c1.
  const hostRoute = await lab.ip(['-4', 'route', 'show', `${ip}/32`]);
  assert.match(hostRoute.stdout, /dev cali[0-9a-f]{11} scope link/, `host route to c1: ${hostRoute.stdout}`);
  assert.match((await lab.ip(['-o', 'link', 'show'])).stdout, /cali[0-9a-f]{11}.*ee:ee:ee:ee:ee:ee/);
  assert.equal((await wepNames()).length, 1, 'one WorkloadEndpoint for c1');

  // c2 → c1 through the host (and c2 resolves 169.254.1.1 by the host's proxy ARP).
  const ping = await lab.podman(
    [
      'run',
      '--rm',
      '--network',
      NET,
      lab.image,
      'sh',
      '-c',
      `ping -c2 -W2 ${ip} && ip neigh show 169.254.1.1`,
    ],
    { env },
  );
  assert.equal(ping.code, 0, `c2 could not ping c1: ${ping.stdout}${ping.stderr}`);
  assert.match(ping.stdout, /2 packets received/);
  assert.match(ping.stdout, /169\.254\.1\.1 dev eth0 lladdr ee:ee:ee:ee:ee:ee/);
  await rootNamespaceClean();

  // podman rm runs CNI DEL: veth, route, endpoint and address all go.
  await pm(['rm', '-f', '-t', '0', c1], env);
  assert.doesNotMatch((await lab.ip(['-o', 'link', 'show'])).stdout, /cali[0-9a-f]/, 'host veths gone');
  assert.doesNotMatch((await lab.ip(['-4', 'route'])).stdout, /10\.244\./, 'host routes gone');
  assert.deepEqual(await wepNames(), [], 'WorkloadEndpoints gone');
  assert.deepEqual(await ipamHandles(), [], 'IPAM handles released');
}

describe('podman drives the calico CNI plugin', { skip }, () => {
  before(async () => {
    etcd = await startEtcd();
    client = new Client(new EtcdBackend({ endpoints: etcd.endpoints }), { poolDeleteDelayMs: 0 });
    await ensureInitialized(client, 'v0.1.0', 'cni');
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'Node',
      metadata: { name: NODE },
      spec: {},
    });
    await client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'IPPool',
      metadata: { name: 'podman-pool' },
      spec: { cidr: POOL, ipipMode: 'Never', vxlanMode: 'Never', natOutgoing: false },
    });
    lab = await startPodmanLab({ prefix: PREFIX });
    // As an installation does it; the plugins it writes exec this Node when they fall back.
    const inst = await run(process.execPath, [AGENT_BIN, '--install-plugins', lab.pluginDir], {
      env: runtimeEnv(),
      timeoutMs: 180_000,
    });
    assert.equal(inst.code, 0, inst.stderr);
    assert.equal(inst.stderr, '', 'the Go shim was installed');
    // The plugins run in the lab's host namespace: etcd's 127.0.0.1 URL must work there too.
    relay = await relayTcpIntoNetns(new Netns(lab.hostNs), Number(new URL(etcd.clientUrl).port));
    writeNetwork(join(lab.work, 'no-agent.sock'));
  });

  after(async () => {
    await stopAgent();
    await lab?.close();
    await relay?.close();
    await client?.close();
    await etcd?.stop();
    await assertNoLeaks();
  });

  it('the plugins are the Go shim (Node launchers beside them)', () => {
    for (const p of ['calico', 'calico-ipam']) {
      const head = readFileSync(join(lab.pluginDir, p)).subarray(0, 4);
      assert.deepEqual([...head], [0x7f, 0x45, 0x4c, 0x46], `${p} is an ELF binary`);
      assert.match(readFileSync(join(lab.pluginDir, `${p}.cjs`), 'utf8'), /entry\.cjs/);
    }
  });

  it('lists the Calico network', async () => {
    const out = await pm(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']);
    assert.match(out, new RegExp(`^${NET} calico$`, 'm'));
  });

  it('two containers ping each other through the host, the shim falling back in-process (no agent)', async () => {
    await twoContainersPing('inproc');
  });

  it('the same through calico-cni-agent, which serves every ADD and DEL', async () => {
    await startAgent();
    writeNetwork(agentSocket());
    await twoContainersPing('agent');
    const adds = agentLog.match(/calico ADD [0-9a-f]{64} -> 0 /g) ?? [];
    const dels = agentLog.match(/calico DEL [0-9a-f]{64} -> 0 /g) ?? [];
    assert.equal(adds.length, 2, `the agent served both ADDs:\n${agentLog}`);
    // Each container's DEL (podman may repeat one while cleaning up: DEL is idempotent).
    assert.ok(dels.length >= 2, `the agent served the DELs:\n${agentLog}`);
    await stopAgent();
  });
});
