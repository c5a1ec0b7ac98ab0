/**
 * calico-node killed with SIGKILL under a continuous cross-host ping, in both networking modes.
 * Three hosts, pod a on h1 pinging pod b on h2 every 100 ms; the calico-node of the source's host,
 * then of the destination's, is killed, stays down a few seconds and is started again. Not one
 * ping may go unanswered and no host may see a route deleted: the kernel forwards on its own
 * while the agent is down, and the restarted agent takes over the dataplane as it finds it.
 * In BGP mode that needs BIRD's graceful restart: the dead agent's BIRD is replaced without a
 * Cease (peers keep its routes) by one started with `-R` (it keeps the kernel's routes until its
 * sessions have resynced). Afterwards the tables are what they were and every session is up.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { LabNames } from '../../../src/lab/names.js';
import { killCalicoNode, startHostNode } from '../../../src/lab/node-restart.js';
import { requireState } from '../../../src/lab/state.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { eventually, sleep } from '../policy/fixtures/calico-lab.js';
import {
  bgpPeers,
  podRoutes,
  settleBlockRoutes,
  startPing,
  stopPing,
  watchRoutes,
  type Bg,
} from './fault-traffic.js';
import { assertLabGone, labSkip, mustLab, podIp, runLab } from './lab-cli.js';

const DOWN_MS = 4000;
const skip = labSkip(['birdc']);

for (const mode of ['bgp', 'vxlan'] as const) {
  const LAB = mode === 'bgp' ? 'fznb' : 'fznv';
  const N = ['--name', LAB];
  const names = new LabNames(LAB);
  const hosts = [1, 2, 3].map((i) => `${LAB}-h${i}`);

  describe(`calico-lab faults (${mode}): calico-node SIGKILLed under a cross-host ping`, { skip }, () => {
    const bgs: Bg[] = [];
    let srcNetns = '';
    let dstIp = '';

    before(async () => {
      await runLab(['down', ...N]); // a crashed run's leftovers
      await mustLab(['up', ...N, '--nodes', '3', '--mode', mode], 300_000);
      await mustLab(['pod', 'add', 'a', '--node', '1', ...N]);
      dstIp = podIp(await mustLab(['pod', 'add', 'b', '--node', '2', ...N]));
      srcNetns = requireState(names).pods.find((p) => p.name === 'a')!.netns;
      // A new block is briefly advertised as the pod's /32 until confd has rendered the block
      // (BIRD learns Felix's route first): let that settle, and warm up the neighbour caches.
      await settleBlockRoutes(hosts);
      await mustLab(['ping', 'a', 'b', ...N]);
    });

    after(async () => {
      for (const bg of bgs) await bg.stop('SIGKILL');
      await runLab(['down', ...N]);
      assertLabGone(LAB);
      await assertNoLeaks();
    });

    for (const [host, role] of [
      [1, 'source'],
      [2, 'destination'],
    ] as const) {
      it(`kill -9 of the ${role} host’s calico-node: no ping lost, no route deleted, same tables after`, async () => {
        const before = hosts.map(podRoutes);
        const monitor = watchRoutes(hosts);
        const ping = startPing(srcNetns, dstIp);
        bgs.push(ping);
        try {
          await sleep(2000);
          const killed = await killCalicoNode(names, String(host));
          await sleep(DOWN_MS);
          const t0 = Date.now();
          const pid = await startHostNode(names, String(host), { readyTimeoutMs: 90_000 });
          const readyMs = Date.now() - t0;
          assert.notEqual(pid, killed);
          // Traffic through the new agent's first passes (and, in BGP mode, BIRD's recovery).
          await sleep(3000);
          const r = await stopPing(ping);
          const deleted = monitor.deletions();
          console.log(
            `# ${mode} h${host}: ready after ${readyMs} ms; ping ${r.received}/${r.transmitted} (lost ${r.lost.length}); ${deleted.length} route deletion(s)`,
          );
          assert.ok(r.transmitted >= 80, JSON.stringify(r));
          assert.deepEqual(
            r.lost,
            [],
            `pings lost: ${JSON.stringify(r)}; route events:\n${monitor.events().join('\n')}`,
          );
          assert.deepEqual(r.errors, []);
          assert.deepEqual(
            deleted,
            [],
            `routes deleted while calico-node was down or restarting; pods ${JSON.stringify(
              requireState(names).pods.map((p) => [p.name, p.host, p.ip]),
            )}; route events:\n${monitor.events().join('\n')}`,
          );
        } finally {
          await monitor.stop();
        }
        await eventually('the route tables as before the kill', async () => {
          const now = hosts.map(podRoutes);
          return JSON.stringify(now) === JSON.stringify(before) || JSON.stringify(now);
        });
        if (mode === 'bgp') {
          const log = readFileSync(requireState(names).hosts[host - 1].logFile, 'utf8');
          assert.match(log, /stopped a BIRD left by an earlier run \(pid \d+\); graceful restart/);
        }
      });
    }

    it('afterwards every host is ready (and every BGP session Established); status exits 0', async () => {
      if (mode === 'bgp') {
        for (const h of [1, 2, 3]) {
          await eventually(`h${h}'s sessions Established`, async () => {
            const peers = await bgpPeers(N, h);
            return (
              (peers.size === 2 && [...peers.values()].every((s) => s === 'Established')) ||
              String([...peers])
            );
          });
        }
      }
      const s = await runLab(['status', ...N]);
      assert.equal(s.code, 0, s.stdout + s.stderr);
      const ping = await runLab(['ping', 'b', 'a', ...N]);
      assert.equal(ping.code, 0, ping.stdout);
    });
  });
}
