/**
 * iperf3 pod → pod across two hosts of a calico-lab (BGP mode, then VXLAN mode) against the same
 * path built by hand (as lab-reference/bench-net.sh measures it, REPORT.md §4/§5/§9): two host
 * namespaces on a bridge, a pod on each behind a veth with a /32 route and proxy ARP, and either a
 * static route to the other host's block (what BIRD would program) or a hand-made VXLAN device
 * with static neighbour/FDB entries and MTU 1450. The lab keeps its network policy (Felix's
 * nftables rules, profiles allowing everything): that is part of Calico's path.
 *
 * A third path, for diagnosis only, is the hand-made one with connection tracking switched on (an
 * nftables forward chain holding only `ct state established,related accept`): any stateful policy
 * pays conntrack per packet, so lab / (hand + conntrack) is the cost of Calico's own rules.
 * (hand + conntrack) / hand is then the ceiling any stateful dataplane can reach against the anchor.
 * The paired ratio is the median of lab / hand within each round, less exposed to slow drift.
 *
 * TCP, one stream, `-t IPERF_SECONDS` (3), receiver Gbit/s, median of IPERF_RUNS (3) runs. The
 * paths run in rotating order round by round, so load from other work on this shared machine hits
 * all alike. iperf3 (client and server) runs under `chrt -f IPERF_RT` (10; 0 turns it off) on every
 * path alike, so other work on the machine disturbs the runs less. IPERF_CPU (unset: free) pins client
 * and server of every path to that CPU list (`taskset -c`); on one CPU the figures track each path's
 * CPU cost per byte rather than how the scheduler spread the work. Namespaces: the lab `bzn`, the
 * hand-made path `bzhand-*`.
 */
import { createNetns, ipBatch, setSysctl } from '../src/lab/netns.js';
import { mustRun } from '../src/lab/run-command.js';
import { addPods, deleteNetnsPrefixed, iperfGbps, labState, loadAverage, withLab } from './lab-util.js';
import { median, writeResults } from './stats.js';

const SECONDS = Number(process.env.IPERF_SECONDS ?? 3);
const RUNS = Number(process.env.IPERF_RUNS ?? 3);
const CPU = process.env.IPERF_CPU || undefined;
// Pinned to one CPU, real-time client and server would starve ksoftirqd there and stall the flow.
const RT_PRIO = Number(process.env.IPERF_RT ?? (CPU ? 0 : 10));
const LAB = 'bzn';
const HAND = 'bzhand-';
const VXLAN_MTU = 1450;

type Mode = 'bgp' | 'vxlan';

/** The hand-made hosts and pods (isolated namespaces, so the lab's addresses can be reused). */
const HOSTS = [
  { ns: `${HAND}h1`, port: 'h1', ip: '198.51.100.11', block: '203.0.113.0/28', vtep: '203.0.113.0' },
  { ns: `${HAND}h2`, port: 'h2', ip: '198.51.100.12', block: '203.0.113.16/28', vtep: '203.0.113.16' },
];
const PODS = [
  { ns: `${HAND}p1`, veth: 'calihand1', ip: '203.0.113.2' },
  { ns: `${HAND}p2`, veth: 'calihand2', ip: '203.0.113.18' },
];
const vtepMac = (i: number): string => `66:00:00:00:00:0${i + 1}`;

async function buildHandPath(mode: Mode): Promise<void> {
  await deleteNetnsPrefixed(HAND);
  const fab = `${HAND}fab`;
  await createNetns(fab);
  await ipBatch(fab, ['link add br0 type bridge', 'link set br0 up']);
  await setSysctl(fab, 'net/ipv4/ip_forward', '0');
  const mtu = mode === 'vxlan' ? VXLAN_MTU : 1500;
  for (const [i, h] of HOSTS.entries()) {
    await createNetns(h.ns);
    await ipBatch(fab, [
      `link add ${h.port} type veth peer name eth0 netns ${h.ns}`,
      `link set ${h.port} master br0 up`,
    ]);
    // A default route (to nobody): proxy ARP answers for 169.254.1.1 only if the host routes it.
    await ipBatch(h.ns, [
      `addr add ${h.ip}/24 dev eth0`,
      'link set eth0 up',
      'route add default via 198.51.100.1 dev eth0',
    ]);
    await setSysctl(h.ns, 'net/ipv4/ip_forward', '1');
    const p = PODS[i];
    await createNetns(p.ns);
    await ipBatch(h.ns, [`link add ${p.veth} mtu ${mtu} type veth peer name eth0 mtu ${mtu} netns ${p.ns}`]);
    await setSysctl(h.ns, `net/ipv4/conf/${p.veth}/proxy_arp`, '1');
    await setSysctl(h.ns, `net/ipv4/neigh/${p.veth}/proxy_delay`, '0');
    await ipBatch(h.ns, [
      `link set ${p.veth} address ee:ee:ee:ee:ee:ee`,
      `link set ${p.veth} up`,
      `route add ${p.ip}/32 dev ${p.veth} scope link`,
    ]);
    await ipBatch(p.ns, [
      `addr add ${p.ip}/32 dev eth0`,
      'link set eth0 up',
      'route add 169.254.1.1/32 dev eth0 scope link',
      'route add default via 169.254.1.1 dev eth0',
    ]);
    if (mode === 'vxlan') {
      await ipBatch(h.ns, [
        `link add vxlan.calico type vxlan id 4096 local ${h.ip} dev eth0 dstport 4789 nolearning`,
        `link set vxlan.calico address ${vtepMac(i)} mtu ${VXLAN_MTU}`,
        `addr add ${h.vtep}/32 dev vxlan.calico`,
        'link set vxlan.calico up',
        `route add blackhole ${h.block}`,
      ]);
    }
  }
  for (const [i, h] of HOSTS.entries()) {
    const j = 1 - i;
    const other = HOSTS[j];
    await ipBatch(
      h.ns,
      mode === 'bgp'
        ? [`route add ${other.block} via ${other.ip} dev eth0`]
        : [
            `neigh replace ${other.vtep} lladdr ${vtepMac(j)} dev vxlan.calico nud permanent`,
            `route replace ${other.block} via ${other.vtep} dev vxlan.calico onlink`,
          ],
    );
    if (mode === 'vxlan') {
      await mustRun('bridge', [
        '-n',
        h.ns,
        'fdb',
        'replace',
        vtepMac(j),
        'dev',
        'vxlan.calico',
        'dst',
        other.ip,
        'self',
        'permanent',
      ]);
    }
  }
  await mustRun('ip', ['netns', 'exec', PODS[0].ns, 'ping', '-n', '-c', '1', '-W', '2', PODS[1].ip]);
}

/** Connection tracking on (or off) in both hand-made hosts' forward path. */
async function handConntrack(on: boolean): Promise<void> {
  const rules =
    'table ip bzhand {\n chain forward {\n  type filter hook forward priority filter; policy accept;\n  ct state established,related accept\n }\n}\n';
  for (const h of HOSTS) {
    if (on) await mustRun('ip', ['netns', 'exec', h.ns, 'nft', '-f', '-'], { stdin: rules });
    else await mustRun('ip', ['netns', 'exec', h.ns, 'nft', 'delete', 'table', 'ip', 'bzhand']);
  }
}

interface ModeResult {
  mode: Mode;
  mtu: number;
  labGbps: number[];
  handGbps: number[];
  handConntrackGbps: number[];
  labMedianGbps: number;
  handMedianGbps: number;
  handConntrackMedianGbps: number;
  /** lab / hand: the goal is >= 0.95. */
  ratio: number;
  ratioToConntrack: number;
  /** (hand + conntrack) / hand: the most a stateful dataplane can reach against the anchor. */
  conntrackCeiling: number;
  /** Median over rounds of lab / hand within the same round (neighbouring runs share the machine's state). */
  pairedRatio: number;
}

async function measureMode(mode: Mode): Promise<ModeResult> {
  return withLab(
    LAB,
    ['--nodes', '2', '--mode', mode],
    async () => {
      const ips = await addPods(LAB, [
        { name: 'a', node: 1 },
        { name: 'b', node: 2 },
      ]);
      const s = labState(LAB);
      const [pa, pb] = ['a', 'b'].map((n) => s.pods.find((p) => p.name === n)!);
      const serverIp = ips.get('b')!;
      // --no-wait: wait here until a's pod reaches b's across the hosts.
      for (let i = 0; ; i++) {
        const r = await mustRun('ip', [
          'netns',
          'exec',
          pa.netns,
          'ping',
          '-n',
          '-c',
          '1',
          '-W',
          '1',
          serverIp,
        ]).then(
          () => true,
          () => false,
        );
        if (r) break;
        if (i > 30) throw new Error(`lab pod a cannot reach pod b (${serverIp}) in ${mode} mode`);
      }
      const mtuOut = await mustRun('ip', ['-n', pa.netns, '-o', 'link', 'show', 'eth0']);
      const mtu = Number(/ mtu (\d+)/.exec(mtuOut)?.[1] ?? 0);
      try {
        await buildHandPath(mode);
        const labGbps: number[] = [];
        const handGbps: number[] = [];
        const handConntrackGbps: number[] = [];
        const paths = [
          async () => labGbps.push(await iperfGbps(pa.netns, pb.netns, serverIp, SECONDS, RT_PRIO, CPU)),
          async () =>
            handGbps.push(await iperfGbps(PODS[0].ns, PODS[1].ns, PODS[1].ip, SECONDS, RT_PRIO, CPU)),
          async () => {
            await handConntrack(true);
            handConntrackGbps.push(
              await iperfGbps(PODS[0].ns, PODS[1].ns, PODS[1].ip, SECONDS, RT_PRIO, CPU),
            );
            await handConntrack(false);
          },
        ];
        // Rotating order: lab, hand, hand+ct; then hand, hand+ct, lab; ...
        for (let i = 0; i < RUNS; i++) {
          for (let k = 0; k < paths.length; k++) await paths[(i + k) % paths.length]();
        }
        const labMedianGbps = median(labGbps);
        const handMedianGbps = median(handGbps);
        const handConntrackMedianGbps = median(handConntrackGbps);
        return {
          mode,
          mtu,
          labGbps,
          handGbps,
          handConntrackGbps,
          labMedianGbps,
          handMedianGbps,
          handConntrackMedianGbps,
          ratio: labMedianGbps / handMedianGbps,
          ratioToConntrack: labMedianGbps / handConntrackMedianGbps,
          conntrackCeiling: handConntrackMedianGbps / handMedianGbps,
          pairedRatio: median(labGbps.map((g, i) => g / handGbps[i])),
        };
      } finally {
        await deleteNetnsPrefixed(HAND);
      }
    },
    () => deleteNetnsPrefixed(HAND),
  );
}

const results: ModeResult[] = [];
for (const mode of ['bgp', 'vxlan'] as const) results.push(await measureMode(mode));

const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(' ');
const lines = [
  [
    'mode',
    'MTU',
    'lab',
    'by hand',
    'lab/hand',
    'hand+ct',
    'lab/(hand+ct)',
    '(hand+ct)/hand',
    'paired lab/hand',
    'lab runs',
    'hand runs',
    'hand+ct runs',
  ],
];
for (const r of results) {
  lines.push([
    r.mode,
    String(r.mtu),
    r.labMedianGbps.toFixed(2),
    r.handMedianGbps.toFixed(2),
    `${r.ratio.toFixed(2)}x`,
    r.handConntrackMedianGbps.toFixed(2),
    `${r.ratioToConntrack.toFixed(2)}x`,
    `${r.conntrackCeiling.toFixed(2)}x`,
    `${r.pairedRatio.toFixed(2)}x`,
    fmt(r.labGbps),
    fmt(r.handGbps),
    fmt(r.handConntrackGbps),
  ]);
}
const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
process.stdout.write(
  `\nlab-net: iperf3 pod -> pod across 2 hosts, lab vs the same path built by hand, ${SECONDS} s x ${RUNS} runs (receiver Gbit/s, medians; goal lab/hand >= 0.95)\n`,
);
for (const l of lines) process.stdout.write(l.map((c, i) => c.padEnd(widths[i])).join('  ') + '\n');
const out = writeResults('lab-net', {
  benchmark: 'lab-net',
  date: new Date().toISOString(),
  node: process.version,
  loadAverage: loadAverage(),
  iperf: { seconds: SECONDS, runs: RUNS, streams: 1, protocol: 'tcp', rtPriority: RT_PRIO, cpu: CPU ?? null },
  goal: { ratio: 0.95 },
  modes: results,
});
process.stdout.write(`wrote ${out}\n`);
