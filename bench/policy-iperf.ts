/**
 * iperf3 between two pods on one host, routed through the host like Calico's workloads (/32
 * routes, proxy ARP), with and without a policy in the path whose selector set has 10,000
 * members (a GlobalNetworkSet plus the client pod). Anchor: the same pods under Calico's rules
 * with no policy (profiles allow), per backend; the bare kernel path (no rules, no conntrack) too.
 * TCP, one stream, `-t IPERF_SECONDS`, median of IPERF_RUNS; receiver Gbit/s.
 */
import { PolicyCalculator, type PolicyInput } from '../src/felix/calc/policy/index.js';
import { kernelRunner } from '../src/felix/dataplane/index.js';
import type { PolicyBackend } from '../src/felix/dataplane/policy/backend.js';
import { makePolicyBackend } from '../src/felix/dataplane/policy/make-backend.js';
import { createNetns, deleteNetns, ipBatch, setSysctl } from '../src/lab/netns.js';
import { mustRun, runCommand } from '../src/lab/run-command.js';
import { BENCH_CONFIG, BENCH_NODE, res } from './policy-scale.js';
import { median } from './stats.js';

const SECONDS = Number(process.env.IPERF_SECONDS ?? 3);
const RUNS = Number(process.env.IPERF_RUNS ?? 3);
const MEMBERS = 10_000;
const HOST = 'ctsbench-ih';
const PODS = [
  { ns: 'ctsbench-ia', veth: 'calibench0a', ip: '203.0.113.10', labels: { role: 'client' } },
  { ns: 'ctsbench-ib', veth: 'calibench0b', ip: '203.0.113.11', labels: { app: 'server' } },
];

function iperfInput(withPolicy: boolean): PolicyInput {
  const nets: string[] = [];
  for (let i = 0; nets.length < MEMBERS - 1; i++) nets.push(`198.18.${i >> 8}.${i & 255}/32`);
  return {
    nodeName: BENCH_NODE,
    config: BENCH_CONFIG,
    tiers: [],
    networkPolicies: withPolicy
      ? [
          res('NetworkPolicy', 'default.server', 'bench', {
            tier: 'default',
            selector: "app == 'server'",
            types: ['Ingress'],
            ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "role == 'client'" } }],
          }),
        ]
      : [],
    globalNetworkPolicies: [],
    profiles: [
      res('Profile', 'kns.bench', undefined, {
        ingress: [{ action: 'Allow' }],
        egress: [{ action: 'Allow' }],
      }),
    ],
    workloadEndpoints: PODS.map((p, i) =>
      res(
        'WorkloadEndpoint',
        `${BENCH_NODE}-k8s-p${i}-eth0`,
        'bench',
        { node: BENCH_NODE, interfaceName: p.veth, ipNetworks: [`${p.ip}/32`], profiles: ['kns.bench'] },
        { ...p.labels, 'projectcalico.org/namespace': 'bench' },
      ),
    ),
    hostEndpoints: [],
    networkSets: [],
    globalNetworkSets: withPolicy
      ? [res('GlobalNetworkSet', 'big', undefined, { nets }, { role: 'client' })]
      : [],
  };
}

async function topology(): Promise<void> {
  await createNetns(HOST);
  await setSysctl(HOST, 'net/ipv4/ip_forward', '1');
  for (const p of PODS) {
    await createNetns(p.ns);
    await mustRun('ip', [
      '-n',
      HOST,
      'link',
      'add',
      p.veth,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      p.ns,
    ]);
    await setSysctl(HOST, `net/ipv4/conf/${p.veth}/proxy_arp`, '1');
    await ipBatch(HOST, [
      `link set ${p.veth} address ee:ee:ee:ee:ee:ee`,
      `link set ${p.veth} up`,
      `route add ${p.ip}/32 dev ${p.veth} scope link`,
    ]);
    await ipBatch(p.ns, [
      `addr add ${p.ip}/32 dev eth0`,
      'link set eth0 up',
      'route add 169.254.1.1/32 dev eth0 scope link',
      'route add default via 169.254.1.1 dev eth0',
      // The host has no default route here, so proxy ARP would not answer for 169.254.1.1.
      'neigh add 169.254.1.1 lladdr ee:ee:ee:ee:ee:ee dev eth0 nud permanent',
    ]);
  }
}

async function iperfOnce(): Promise<number> {
  const [client, server] = PODS;
  const srv = runCommand('ip', ['netns', 'exec', server.ns, 'iperf3', '-s', '-1'], {
    timeoutMs: (SECONDS + 20) * 1000,
  });
  await new Promise((r) => setTimeout(r, 300));
  const r = await mustRun(
    'ip',
    ['netns', 'exec', client.ns, 'iperf3', '-c', server.ip, '-t', String(SECONDS), '-J'],
    {
      timeoutMs: (SECONDS + 15) * 1000,
    },
  );
  await srv;
  const j = JSON.parse(r) as { end?: { sum_received?: { bits_per_second?: number } } };
  const bps = j.end?.sum_received?.bits_per_second;
  if (!bps) throw new Error('iperf3 printed no receiver throughput');
  return bps / 1e9;
}

export interface IperfResult {
  seconds: number;
  runs: number;
  setMembers: number;
  rows: {
    name: string;
    gbps: number[];
    medianGbps: number;
    /** Against the same backend's Calico rules with no policy (profiles allow): the policy's cost. */
    ratioToAnchor: number | null;
    anchor: string | null;
    /** Against the bare kernel path (no netfilter rules at all, no conntrack). */
    ratioToKernel: number | null;
  }[];
}

const KERNEL = 'no Calico rules (kernel path)';

/**
 * Configurations are measured interleaved (one run of each, then the next round), so load that
 * comes and goes on this shared machine hits them alike.
 */
export async function runIperfBench(): Promise<IperfResult> {
  const runner = kernelRunner({ netns: HOST, timeoutMs: 60_000 });
  const configs: { name: string; backend?: 'nftables' | 'iptables'; policy?: boolean; anchor?: string }[] = [
    { name: KERNEL },
  ];
  for (const b of ['nftables', 'iptables'] as const) {
    const base = `Calico rules, no policy (${b})`;
    configs.push({ name: base, backend: b, policy: false });
    configs.push({
      name: `policy, ${MEMBERS}-member selector set (${b})`,
      backend: b,
      policy: true,
      anchor: base,
    });
  }
  const samples = new Map<string, number[]>(configs.map((c) => [c.name, []]));
  const backends = new Map<string, PolicyBackend>();
  try {
    await topology();
    for (let i = 0; i < RUNS; i++) {
      for (const c of configs) {
        for (const [name, b] of backends) {
          if (name !== c.backend) {
            await b.remove();
            await b.close?.();
            backends.delete(name);
          }
        }
        if (c.backend) {
          let b = backends.get(c.backend);
          if (!b) backends.set(c.backend, (b = makePolicyBackend(c.backend, { runner })));
          b.setDesired(new PolicyCalculator().update(iperfInput(!!c.policy)));
          await b.reconcile({ full: true });
        }
        samples.get(c.name)!.push(await iperfOnce());
      }
    }
  } finally {
    for (const b of backends.values()) {
      await b.remove().catch(() => undefined);
      await b.close?.();
    }
    for (const ns of [HOST, ...PODS.map((p) => p.ns)]) await deleteNetns(ns);
  }
  const med = (name: string) => median(samples.get(name)!);
  const rows: IperfResult['rows'] = configs.map((c) => ({
    name: c.name,
    gbps: samples.get(c.name)!,
    medianGbps: med(c.name),
    anchor: c.anchor ?? null,
    ratioToAnchor: c.anchor ? med(c.name) / med(c.anchor) : null,
    ratioToKernel: c.name === KERNEL ? null : med(c.name) / med(KERNEL),
  }));
  process.stdout.write(
    `\niperf3 pod -> pod through the host, ${SECONDS} s x ${RUNS} interleaved runs (receiver Gbit/s)\n`,
  );
  for (const r of rows) {
    const vsAnchor = r.ratioToAnchor === null ? '' : `${r.ratioToAnchor.toFixed(2)}x no-policy`;
    const vsKernel = r.ratioToKernel === null ? '(kernel)' : `${r.ratioToKernel.toFixed(2)}x kernel`;
    process.stdout.write(
      `${r.name.padEnd(52)} ${r.medianGbps.toFixed(2).padStart(7)}  ${vsKernel.padEnd(14)} ${vsAnchor}\n`,
    );
  }
  return { seconds: SECONDS, runs: RUNS, setMembers: MEMBERS, rows };
}
