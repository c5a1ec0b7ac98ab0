/**
 * The datastore goes away and comes back. The lab's etcd is SIGKILLed under a continuous cross-host
 * ping, stays down 5 s and is started again on its data directory (same keys, same revisions).
 * The dataplane needs no datastore: not one ping is lost and no route deleted, and every agent
 * keeps running. Afterwards the agents have reconnected and resumed their watches: a pod added on
 * the third host is routed from every host (its IPAM block rendered by confd, advertised by BIRD,
 * the pod's route programmed by Felix), a policy created afterwards is enforced by every Felix, a
 * BGP peer created afterwards is configured by every confd, and the lab reports healthy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stopLabEtcd, startLabEtcdAgain } from '../../../src/lab/etcd-restart.js';
import { LabNames } from '../../../src/lab/names.js';
import { pidAlive } from '../../../src/lab/processes.js';
import { requireState } from '../../../src/lab/state.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { calico, CalicoLab, eventually, sleep } from '../policy/fixtures/calico-lab.js';
import { bgpPeers, settleBlockRoutes, startPing, stopPing, watchRoutes, type Bg } from './fault-traffic.js';
import { assertLabGone, blockOf, hostRoutes, labSkip, mustLab, podIp, runLab } from './lab-cli.js';

const lab = new CalicoLab('fze');
const N = lab.flag;
const names = new LabNames(lab.name);
const hosts = [1, 2, 3].map((i) => lab.hostNetns(i));
const skip = labSkip(['birdc']);
const DOWN_MS = 5000;

const DENY_ICMP = calico(
  'GlobalNetworkPolicy',
  { name: 'fze-deny-icmp' },
  { selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Deny', protocol: 'ICMP' }] },
);
/** Nobody answers at this address: the session stays down, but every host must configure it. */
const GHOST_PEER = calico('BGPPeer', { name: 'fze-ghost' }, { peerIP: '198.51.100.99', asNumber: 64599 });

/** Exit status of `calico-lab ping FROM TO` (3 packets): 0 when answered. */
async function pings(from: string, to: string): Promise<boolean> {
  return (await runLab(['ping', from, to, ...N])).code === 0;
}

describe('calico-lab faults: etcd killed and restarted', { skip }, () => {
  const bgs: Bg[] = [];
  const ips = new Map<string, string>();

  before(async () => {
    await lab.up(3); // removes a crashed run's leftovers first
    for (const [pod, host] of [
      ['a', 1],
      ['b', 2],
    ] as const) {
      ips.set(pod, podIp(await mustLab(['pod', 'add', pod, '--node', String(host), ...N])));
    }
    // A new block is advertised as the pod's /32 until confd has rendered it: let that settle.
    await settleBlockRoutes(hosts);
    await mustLab(['ping', 'a', 'b', ...N]);
  });

  after(async () => {
    for (const bg of bgs) await bg.stop('SIGKILL');
    await lab.down();
    assertLabGone(lab.name);
    await assertNoLeaks();
  });

  it('etcd down 5 s and back on its data: no ping lost, no route deleted, every agent still running', async () => {
    const agents = requireState(names).hosts.map((h) => h.nodePid!);
    const monitor = watchRoutes(hosts);
    const ping = startPing(requireState(names).pods.find((p) => p.name === 'a')!.netns, ips.get('b')!);
    bgs.push(ping);
    try {
      await sleep(1000);
      const killed = await stopLabEtcd(names);
      const t0 = Date.now();
      const down = await runLab(['status', ...N]);
      assert.notEqual(down.code, 0, 'status exits non-zero while etcd is down');
      assert.match(down.stdout, /etcd: .*NOT ANSWERING/);
      await sleep(DOWN_MS - (Date.now() - t0));
      const pid = await startLabEtcdAgain(names);
      assert.notEqual(pid, killed);
      await sleep(2000);
      const r = await stopPing(ping);
      const deleted = monitor.deletions();
      console.log(
        `# etcd outage: ping ${r.received}/${r.transmitted} (lost ${r.lost.length}); ${deleted.length} route deletion(s)`,
      );
      assert.ok(r.transmitted >= 60, JSON.stringify(r));
      assert.deepEqual(r.lost, [], `pings lost: ${JSON.stringify(r)}\n${monitor.events().join('\n')}`);
      assert.deepEqual(deleted, [], 'routes deleted during the etcd outage');
    } finally {
      await monitor.stop();
    }
    for (const [i, pid] of agents.entries()) {
      assert.ok(pidAlive(pid), `calico-node of h${i + 1} (pid ${pid}) exited during the outage`);
    }
    assert.deepEqual(
      requireState(names).hosts.map((h) => h.nodePid),
      agents,
    );
  });

  it('a pod added on the third host afterwards is routed from every host', async () => {
    const out = await mustLab(['pod', 'add', 'c', '--node', '3', ...N]);
    assert.match(out, /routed from every host \(BGP\)/);
    const c = podIp(out);
    ips.set('c', c);
    // h3 had no block before: confd rendered the new one, BIRD advertised it to both others.
    for (const h of [1, 2]) {
      await eventually(`h${h} routes ${blockOf(c)} via h3`, async () => {
        const r = hostRoutes(lab.hostNetns(h), 'proto', 'bird').find((x) => x.dst === blockOf(c));
        return r?.gateway === '198.51.100.13' || JSON.stringify(r);
      });
    }
    for (const [from, to] of [
      ['a', 'c'],
      ['c', 'b'],
    ]) {
      assert.equal(await pings(from, to), true, `${from} -> ${to}`);
    }
  });

  it('a policy created afterwards is enforced by every Felix, and its deletion too', async () => {
    const pairs = [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'a'],
    ];
    await lab.apply(DENY_ICMP);
    await eventually(
      'ICMP denied into every pod',
      async () => {
        const ok = await Promise.all(pairs.map(([f, t]) => pings(f, t)));
        return ok.every((x) => !x) || JSON.stringify(ok);
      },
      30_000,
      500,
    );
    await lab.delete(DENY_ICMP);
    await eventually(
      'ICMP allowed again',
      async () => {
        const ok = await Promise.all(pairs.map(([f, t]) => pings(f, t)));
        return ok.every((x) => x) || JSON.stringify(ok);
      },
      30_000,
      500,
    );
  });

  it('a BGP peer created afterwards is configured by every confd, and removed again', async () => {
    await lab.apply(GHOST_PEER);
    for (const h of [1, 2, 3]) {
      await eventually(`h${h} has the new peer`, async () => (await bgpPeers(N, h)).has('198.51.100.99'));
    }
    await lab.delete(GHOST_PEER);
    for (const h of [1, 2, 3]) {
      await eventually(`h${h} dropped the peer`, async () => !(await bgpPeers(N, h)).has('198.51.100.99'));
    }
  });

  it('every mesh session Established, status exits 0', async () => {
    for (const h of [1, 2, 3]) {
      await eventually(`h${h}'s sessions Established`, async () => {
        const peers = await bgpPeers(N, h);
        return (
          (peers.size === 2 && [...peers.values()].every((s) => s === 'Established')) || String([...peers])
        );
      });
    }
    const s = await runLab(['status', ...N]);
    assert.equal(s.code, 0, s.stdout + s.stderr);
    assert.match(s.stdout, /etcd: .*healthy/);
  });
});
