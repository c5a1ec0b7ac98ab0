/**
 * The policy conformance suite's topology: one host namespace (forwarding on, an uplink carrying
 * the default routes) and pods wired as the calico CNI plugin wires them — a veth `cali…` in the
 * host without an address (MAC ee:ee:ee:ee:ee:ee, proxy ARP, a /32 and a /128 route), in the pod
 * eth0 with an IPv4 /32 and an IPv6 /128, default routes via 169.254.1.1 and via the host veth's
 * link-local address. Every pod runs a small node agent: it serves TCP (answers `ok`) and UDP
 * (echo) ports and probes other pods on request, so a probe costs a socket, not a process.
 * Namespaces are `<prefix>h`, `<prefix>a` …; set-up first removes whatever a crashed run left.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Netns } from './netns.js';

/** The host veth's link-local address (EUI-64 of ee:ee:ee:ee:ee:ee): the pods' IPv6 gateway. */
const HOST_LL = 'fe80::ecee:eeff:feee:eeee';

export interface PodSpec {
  label: string;
  /** Host-side veth name (`cali…`, ≤ 15 chars). */
  iface: string;
  ip4: string;
  ip6: string;
  tcpPorts: number[];
  udpPorts: number[];
}

export interface Pod extends PodSpec {
  ns: Netns;
  agent: Agent;
}

export type ProbeProto = 'tcp' | 'udp';

/** Served by every pod agent: TCP connections get `ok\n`, UDP datagrams are echoed. */
const AGENT = `
const net = require('net'), dgram = require('dgram'), readline = require('readline');
const [tcp, udp] = JSON.parse(process.argv[1]);
let pending = tcp.length + udp.length;
const up = () => { if (--pending === 0) console.log(JSON.stringify({ ready: true })); };
if (pending === 0) console.log(JSON.stringify({ ready: true }));
for (const port of tcp) {
  net.createServer((s) => { s.on('error', () => {}); s.end('ok\\n'); })
    .listen({ port, host: '::', ipv6Only: false }, up);
}
for (const port of udp) {
  const u = dgram.createSocket({ type: 'udp6' });
  u.on('message', (m, r) => u.send(m, r.port, r.address));
  u.bind(port, '::', up);
}
function probe(req, done) {
  let finished = false;
  const end = (ok, err) => { if (!finished) { finished = true; done(ok, err); } };
  if (req.op === 'tcp') {
    const s = net.connect({ host: req.host, port: req.port });
    const t = setTimeout(() => { s.destroy(); end(false, 'timeout'); }, req.timeoutMs);
    let got = '';
    s.on('data', (d) => { got += d; if (got.includes('ok')) { clearTimeout(t); s.destroy(); end(true); } });
    s.on('error', (e) => { clearTimeout(t); end(false, e.code || e.message); });
    s.on('close', () => { clearTimeout(t); end(got.includes('ok'), 'closed'); });
  } else {
    const u = dgram.createSocket(req.host.includes(':') ? 'udp6' : 'udp4');
    const t = setTimeout(() => { u.close(); end(false, 'timeout'); }, req.timeoutMs);
    u.on('message', () => { clearTimeout(t); u.close(); end(true); });
    u.on('error', (e) => { clearTimeout(t); try { u.close(); } catch {} end(false, e.code || e.message); });
    u.send('ping', req.port, req.host);
  }
}
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const req = JSON.parse(line);
  probe(req, (ok, err) => console.log(JSON.stringify({ id: req.id, ok, err })));
});
rl.on('close', () => process.exit(0));
`;

/** A pod's agent process (it exits when its stdin closes, so it never outlives the test). */
export class Agent {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: { ok: boolean; err?: string }) => void>();
  private readyResolve!: () => void;
  readonly ready: Promise<void>;
  private output = '';

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.ready = new Promise((resolve) => (this.readyResolve = resolve));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    createInterface({ input: child.stdout }).on('line', (line) => {
      let msg: { id?: number; ok?: boolean; err?: string; ready?: boolean };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        this.output += line + '\n';
        return;
      }
      if (msg.ready) this.readyResolve();
      if (msg.id !== undefined) {
        this.waiting.get(msg.id)?.({ ok: !!msg.ok, err: msg.err });
        this.waiting.delete(msg.id);
      }
    });
    child.stdin.on('error', () => undefined);
  }

  static start(ns: Netns, tcpPorts: number[], udpPorts: number[]): Agent {
    const child = spawn(
      'nsenter',
      [`--net=${ns.path}`, process.execPath, '-e', AGENT, JSON.stringify([tcpPorts, udpPorts])],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    return new Agent(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** stderr and stray output, for failure messages. */
  get log(): string {
    return this.output;
  }

  probe(proto: ProbeProto, host: string, port: number, timeoutMs = 1000): Promise<boolean> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, (r) => resolve(r.ok));
      this.child.stdin.write(JSON.stringify({ id, op: proto, host, port, timeoutMs }) + '\n');
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const closed = new Promise<void>((r) => this.child.once('close', () => r()));
    this.child.stdin.end();
    const t = setTimeout(() => this.child.pid && process.kill(this.child.pid, 'SIGKILL'), 2000);
    await closed;
    clearTimeout(t);
  }
}

export interface PolicyLab {
  host: Netns;
  pods: Map<string, Pod>;
  destroy(): Promise<void>;
}

function deleteNetns(name: string): void {
  spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
}

/** Removes the namespaces a previous run with this prefix left behind. */
export function cleanupLab(prefix: string): void {
  if (!existsSync('/run/netns')) return;
  for (const name of readdirSync('/run/netns')) if (name.startsWith(prefix)) deleteNetns(name);
}

async function addNetns(name: string): Promise<Netns> {
  deleteNetns(name);
  const r = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip netns add ${name}: ${r.stderr}`);
  const ns = new Netns(name);
  await ns.ip('link', 'set', 'lo', 'up');
  // No duplicate address detection: addresses are usable at once.
  await ns.setSysctl('net/ipv6/conf/default/accept_dad', '0');
  await ns.setSysctl('net/ipv6/conf/all/accept_dad', '0');
  return ns;
}

async function wirePod(host: Netns, prefix: string, spec: PodSpec): Promise<Pod> {
  const ns = await addNetns(`${prefix}${spec.label}`);
  await host.ipBatch([
    `link add ${spec.iface} type veth peer name eth0 netns ${ns.name}`,
    `link set ${spec.iface} address ee:ee:ee:ee:ee:ee`,
  ]);
  await host.setSysctl(`net/ipv4/conf/${spec.iface}/proxy_arp`, '1');
  await host.setSysctl(`net/ipv4/neigh/${spec.iface}/proxy_delay`, '0');
  await host.setSysctl(`net/ipv4/conf/${spec.iface}/forwarding`, '1');
  await host.setSysctl(`net/ipv6/conf/${spec.iface}/accept_dad`, '0');
  await host.ipBatch([
    `link set ${spec.iface} up`,
    `route add ${spec.ip4}/32 dev ${spec.iface} scope link`,
    `route add ${spec.ip6}/128 dev ${spec.iface}`,
  ]);
  await ns.setSysctl('net/ipv6/conf/eth0/accept_dad', '0');
  await ns.ipBatch([
    `addr add ${spec.ip4}/32 dev eth0`,
    `addr add ${spec.ip6}/128 dev eth0 nodad`,
    'link set eth0 up',
    'route add 169.254.1.1 dev eth0 scope link',
    'route add default via 169.254.1.1 dev eth0',
    `route add ::/0 via ${HOST_LL} dev eth0`,
  ]);
  const agent = Agent.start(ns, spec.tcpPorts, spec.udpPorts);
  return { ...spec, ns, agent };
}

/** Builds the host and its pods (removing leftovers of `prefix` first); agents are ready on return. */
export async function createPolicyLab(prefix: string, specs: PodSpec[]): Promise<PolicyLab> {
  cleanupLab(prefix);
  const pods = new Map<string, Pod>();
  const lab: PolicyLab = {
    host: undefined as unknown as Netns,
    pods,
    destroy: async () => {
      for (const p of pods.values()) await p.agent.stop();
      for (const p of pods.values()) await p.ns.delete();
      await lab.host?.delete();
      cleanupLab(prefix);
    },
  };
  try {
    lab.host = await addNetns(`${prefix}h`);
    const host = lab.host;
    await host.setSysctl('net/ipv4/ip_forward', '1');
    await host.setSysctl('net/ipv6/conf/all/forwarding', '1');
    // Proxy ARP answers for 169.254.1.1 only when its route leaves through another interface.
    await host.ipBatch([
      'link add uplink type veth peer name uplink-peer',
      'addr add 198.51.100.2/24 dev uplink',
      'addr add fd00:198:51:100::2/64 dev uplink nodad',
      'link set uplink up',
      'link set uplink-peer up',
      'route add default via 198.51.100.1 dev uplink onlink',
      'route add ::/0 via fd00:198:51:100::1 dev uplink onlink',
    ]);
    for (const spec of specs) pods.set(spec.label, await wirePod(host, prefix, spec));
    await Promise.all(
      [...pods.values()].map((p) =>
        Promise.race([
          p.agent.ready,
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error(`agent in ${p.ns.name} not ready: ${p.agent.log}`)), 10_000),
          ),
        ]),
      ),
    );
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return lab;
}
