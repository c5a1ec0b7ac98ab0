/**
 * iperf3 between two pods on one host, routed through the host like Calico's workloads (/32
 * routes, proxy ARP), with and without a policy in the path whose selector set has 10,000
 * members (a GlobalNetworkSet plus the client pod). Anchor: the same pods with no Calico rules.
 * TCP, one stream, `-t IPERF_SECONDS`, median of IPERF_RUNS; receiver Gbit/s.
 */
import type { Resource } from '../src/api/index.js';
import { PolicyCalculator, type PolicyInput } from '../src/felix/calc/policy/index.js';
import { kernelRunner } from '../src/felix/dataplane/index.js';
import type { PolicyBackend } from '../src/felix/dataplane/policy/backend.js';
import { makePolicyBackend } from '../src/felix/dataplane/policy/make-backend.js';
import { createNetns, deleteNetns, ipBatch, setSysctl } from '../src/lab/netns.js';
import { mustRun, runCommand } from '../src/lab/run-command.js';
import { BENCH_CONFIG, BENCH_NODE } from './policy-scale.js';
import { median } from './stats.js';

const SECONDS = Number(process.env.IPERF_SECONDS ?? 3);
const RUNS = Number(process.env.IPERF_RUNS ?? 3);
const MEMBERS = 10_000;
const HOST = 'ctsbench-ih';
const PODS = [
  { ns: 'ctsbench-ia', veth: 'calibench0a', ip: '203.0.113.10', labels: { role: 'client' } },
  { ns: 'ctsbench-ib', veth: 'calibench0b', ip: '203.0.113.11', labels: { app: 'server' } },
];

function res(kind: string, name: string, namespace: string | undefined, spec: object, labels = {}): Resource {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}), labels, resourceVersion: '1' },
    spec,
  } as Resource;
}

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
  rows: { name: string; gbps: number[]; medianGbps: number; ratioToAnchor: number | null }[];
}

export async function runIperfBench(): Promise<IperfResult> {
  const rows: IperfResult['rows'] = [];
  const runner = kernelRunner({ netns: HOST, timeoutMs: 60_000 });
  try {
    await topology();
    const measure = async (name: string): Promise<void> => {
      const gbps: number[] = [];
      for (let i = 0; i < RUNS; i++) gbps.push(await iperfOnce());
      const anchor = rows[0]?.medianGbps;
      rows.push({
        name,
        gbps,
        medianGbps: median(gbps),
        ratioToAnchor: anchor ? median(gbps) / anchor : null,
      });
    };
    await measure('no Calico rules (kernel path)');
    for (const backendName of ['nftables', 'iptables'] as const) {
      const backend: PolicyBackend = makePolicyBackend(backendName, { runner });
      backend.setDesired(new PolicyCalculator().update(iperfInput(true)));
      await backend.reconcile({ full: true });
      await measure(`policy, ${MEMBERS}-member selector set (${backendName})`);
      await backend.remove();
    }
  } finally {
    for (const ns of [HOST, ...PODS.map((p) => p.ns)]) await deleteNetns(ns);
  }
  process.stdout.write(
    `\niperf3 pod -> pod through the host, ${SECONDS} s x ${RUNS} runs (receiver Gbit/s)\n`,
  );
  for (const r of rows) {
    const ratio = r.ratioToAnchor === null ? '(anchor)' : `${r.ratioToAnchor.toFixed(2)}x`;
    process.stdout.write(`${r.name.padEnd(52)} ${r.medianGbps.toFixed(2).padStart(7)}  ${ratio}\n`);
  }
  return { seconds: SECONDS, runs: RUNS, setMembers: MEMBERS, rows };
}
