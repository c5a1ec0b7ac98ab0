/**
 * BIRD alone SIGKILLed under a continuous cross-host ping, calico-node left running (BGP mode).
 * Three hosts, pod a on h1 pinging pod b on h2 every 100 ms; the BIRD of the source's host, then of
 * the destination's, is killed. calico-node notices and starts BIRD again with `-R`: the dead BIRD
 * left its routes in the kernel and sent no Cease (its peers keep its routes as graceful-restart
 * helpers), and the new one keeps the kernel's routes until its sessions have resynced. Not one
 * ping may go unanswered, no host may see a route deleted, calico-node keeps its PID, and
 * afterwards the tables are what they were and every session is Established again.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LabNames } from '../../../src/lab/names.js';
import { pidAlive } from '../../../src/lab/processes.js';
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

const LAB = 'hebird';
const N = ['--name', LAB];
const names = new LabNames(LAB);
const hosts = [1, 2, 3].map((i) => `${LAB}-h${i}`);
const skip = labSkip(['birdc']);

/** The host's BIRD as calico-node runs it: PID (from bird.pid, if that process is a BIRD) and argv. */
function birdOf(host: number): { pid: number; argv: string[] } | undefined {
  const runDir = requireState(names).hosts[host - 1].runDir;
  try {
    const pid = Number(readFileSync(join(runDir, 'bird.pid'), 'utf8').trim());
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (!/^\d+ \(bird\) [^Z]/.test(stat)) return undefined;
    return { pid, argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean) };
  } catch {
    return undefined;
  }
}

async function allEstablished(): Promise<void> {
  for (const h of [1, 2, 3]) {
    await eventually(
      `h${h}'s sessions Established`,
      async () => {
        const peers = await bgpPeers(N, h);
        return (
          (peers.size === 2 && [...peers.values()].every((s) => s === 'Established')) || String([...peers])
        );
      },
      60_000,
      250,
    );
  }
}

describe('calico-lab faults (bgp): BIRD alone SIGKILLed under a cross-host ping', { skip }, () => {
  const bgs: Bg[] = [];
  let srcNetns = '';
  let dstIp = '';

  before(async () => {
    await runLab(['down', ...N]); // a crashed run's leftovers
    await mustLab(['up', ...N, '--nodes', '3', '--mode', 'bgp'], 300_000);
    await mustLab(['pod', 'add', 'a', '--node', '1', ...N]);
    dstIp = podIp(await mustLab(['pod', 'add', 'b', '--node', '2', ...N]));
    srcNetns = requireState(names).pods.find((p) => p.name === 'a')!.netns;
    // A new block is briefly advertised as the pod's /32 until confd has rendered the block: let
    // that settle, and warm up the neighbour caches.
    await settleBlockRoutes(hosts);
    await allEstablished();
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
    it(`kill -9 of the ${role} host’s BIRD: restarted with -R, no ping lost, no route deleted`, async () => {
      const nodePid = requireState(names).hosts[host - 1].nodePid!;
      const old = birdOf(host);
      assert.ok(old, `h${host} runs a BIRD`);
      const before = hosts.map(podRoutes);
      const monitor = watchRoutes(hosts);
      const ping = startPing(srcNetns, dstIp);
      bgs.push(ping);
      try {
        await sleep(2000);
        const t0 = Date.now();
        process.kill(old.pid, 'SIGKILL');
        const backMs = await eventually(
          `a new BIRD on h${host}`,
          async () => {
            const b = birdOf(host);
            return (b !== undefined && b.pid !== old.pid) || `bird.pid: ${b?.pid ?? 'none'}`;
          },
          30_000,
          50,
        );
        const fresh = birdOf(host)!;
        await allEstablished();
        const syncedMs = Date.now() - t0;
        // Traffic after the sessions resynced and BIRD's recovery ended (kernel sync).
        await sleep(3000);
        const r = await stopPing(ping);
        const deleted = monitor.deletions();
        console.log(
          `# h${host}: BIRD back after ${backMs} ms, sessions Established after ${syncedMs} ms; ping ${r.received}/${r.transmitted} (lost ${r.lost.length}); ${deleted.length} route deletion(s)`,
        );
        assert.ok(r.transmitted >= 50, JSON.stringify(r));
        assert.deepEqual(
          r.lost,
          [],
          `pings lost: ${JSON.stringify(r)}; route events:\n${monitor.events().join('\n')}`,
        );
        assert.deepEqual(r.errors, []);
        assert.deepEqual(deleted, [], `routes deleted while BIRD restarted:\n${monitor.events().join('\n')}`);
        assert.ok(
          fresh.argv.includes('-R'),
          `the new BIRD recovers by graceful restart: ${fresh.argv.join(' ')}`,
        );
        assert.ok(pidAlive(nodePid), 'calico-node kept running');
        assert.equal(requireState(names).hosts[host - 1].nodePid, nodePid);
      } finally {
        await monitor.stop();
      }
      await eventually('the route tables as before the kill', async () => {
        const now = hosts.map(podRoutes);
        return JSON.stringify(now) === JSON.stringify(before) || JSON.stringify(now);
      });
      const log = readFileSync(requireState(names).hosts[host - 1].logFile, 'utf8');
      assert.match(log, new RegExp(`BIRD \\(pid ${old.pid}\\) exited \\(SIGKILL\\)`));
      assert.match(log, /restarting BIRD in \d+ ms \(graceful restart: routes kept\)/);
    });
  }

  it('afterwards every host is ready; status exits 0 and pods ping both ways', async () => {
    await allEstablished();
    const s = await runLab(['status', ...N]);
    assert.equal(s.code, 0, s.stdout + s.stderr);
    const ping = await runLab(['ping', 'b', 'a', ...N]);
    assert.equal(ping.code, 0, ping.stdout);
  });
});
