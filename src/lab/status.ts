/**
 * `calico-lab status`: the hosts (address, calico-node alive, Felix and BIRD readiness from
 * calico-node's own probes), the pods, the ToR's sessions, and in BGP mode every host's
 * `calicoctl node status` as a user would run it there.
 */
import { probeNode } from './calico-nodes.js';
import { execEnv } from './exec.js';
import { etcdHealthy } from './lab-etcd.js';
import type { LabNames } from './names.js';
import { binPath, NODE_BIN } from './paths.js';
import { isLabProcess, pidAlive } from './processes.js';
import type { Output } from './progress.js';
import { runInNetns } from './run-command.js';
import type { LabState } from './state.js';
import { torNeighbors, torRib } from './tor.js';

/** Left-aligned columns, two spaces apart. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return (
    rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') +
    '\n'
  );
}

export async function printStatus(names: LabNames, state: LabState, out: Output): Promise<boolean> {
  const etcdUp = state.etcd ? await etcdHealthy(state.etcd.dir) : false;
  const mesh =
    state.mode === 'vxlan'
      ? 'VXLAN'
      : state.routeReflectors.length > 0
        ? `BGP, route reflectors ${state.routeReflectors.join(', ')}`
        : 'BGP, node-to-node mesh';
  out.write(
    `lab '${state.name}': ${state.hosts.length} host(s), ${mesh}${state.tor ? ', GoBGP ToR' : ''}; ${state.phase}\n`,
  );
  if (state.phase !== 'ready') {
    const flag = state.name === 'lab' ? '' : ` --name ${state.name}`;
    out.write(
      pidAlive(state.upPid)
        ? `(calico-lab up, pid ${state.upPid}, is still building it)\n`
        : `(its calico-lab up, pid ${state.upPid}, did not finish: remove it with calico-lab down${flag})\n`,
    );
  }
  out.write(
    `etcd: ${state.etcd?.endpoint ?? '-'} (pid ${state.etcd?.pid ?? '-'}, ${etcdUp ? 'healthy' : 'NOT ANSWERING'})\n\n`,
  );

  const rows = [
    ['HOST', 'ADDRESS', 'CALICO-NODE', 'FELIX', ...(state.mode === 'bgp' ? ['BIRD'] : []), 'PODS'],
  ];
  let allGood = etcdUp && state.phase === 'ready';
  const probed = await Promise.all(
    state.hosts.map(async (h) => {
      const alive = h.nodePid !== undefined && isLabProcess(h.nodePid, names.dir);
      const verdict = async (p: 'felix-ready' | 'bird-ready'): Promise<string> => {
        if (!alive) return '-';
        const r = await probeNode(names, h, state.mode, [p]);
        if (r.code === 0) return 'ready';
        // The probe's reason, e.g. "datastore: unreachable for 3 s: ..." during an etcd outage.
        const why = r.stderr
          .trim()
          .split('\n')[0]
          ?.replace(/^calico\/node is not ready: \w+: /, '');
        return why ? `not ready (${why})` : 'not ready';
      };
      const felix = await verdict('felix-ready');
      const bird = state.mode === 'bgp' ? await verdict('bird-ready') : undefined;
      return { h, alive, felix, bird };
    }),
  );
  for (const { h, alive, felix, bird } of probed) {
    if (!alive || felix !== 'ready' || (bird !== undefined && bird !== 'ready')) allGood = false;
    rows.push([
      h.name,
      h.address,
      alive ? `pid ${h.nodePid} running` : 'NOT RUNNING',
      felix,
      ...(bird !== undefined ? [bird] : []),
      String(state.pods.filter((p) => p.host === h.name).length),
    ]);
  }
  out.write(table(rows));

  out.write('\n');
  if (state.pods.length === 0) out.write('no pods (add one: calico-lab pod add NAME [--node N])\n');
  else out.write(table([['POD', 'HOST', 'IP'], ...state.pods.map((p) => [p.name, p.host, p.ip ?? '-'])]));

  if (state.tor) {
    const tor = state.tor;
    const n = await torNeighbors(tor).catch(() => []);
    const est = n.filter((x) => x.state === 'established').length;
    if (est !== state.hosts.length) allGood = false;
    out.write(
      `\nToR (gobgpd pid ${tor.pid ?? '-'}, AS ${tor.asNumber}, ${tor.address}): ${est}/${state.hosts.length} sessions established\n`,
    );
    const rib = await torRib(tor).catch(() => []);
    if (rib.length > 0) {
      out.write(
        table([
          ['PREFIX', 'NEXT HOP', 'AS PATH', 'BEST'],
          ...rib.map((r) => [r.prefix, r.nextHop, r.asPath.join(' '), r.best ? '*' : '']),
        ]),
      );
    }
  }

  if (state.mode === 'bgp') {
    for (const h of state.hosts) {
      out.write(`\n${h.name}$ calicoctl node status\n`);
      const r = await runInNetns(h.name, NODE_BIN, [binPath('calicoctl'), 'node', 'status'], {
        env: execEnv(names, { kind: 'host', host: h, netns: h.name, ip: h.address }),
        timeoutMs: 15_000,
      });
      out.write(r.stdout + r.stderr);
    }
  }
  return allGood;
}
