/**
 * calico-node's readiness through an etcd outage. The lab's etcd is SIGKILLed: every calico-node
 * keeps running but turns not ready, its readiness probe (`calico-node -felix-ready`, the
 * /readiness endpoint) naming the datastore as the reason, and `calico-lab status` showing it.
 * Once etcd is back on its data every host is ready again, without a restart.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { probeNode } from '../../../src/lab/calico-nodes.js';
import { startLabEtcdAgain, stopLabEtcd } from '../../../src/lab/etcd-restart.js';
import { LabNames } from '../../../src/lab/names.js';
import { pidAlive } from '../../../src/lab/processes.js';
import { requireState } from '../../../src/lab/state.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { eventually } from '../policy/fixtures/calico-lab.js';
import { assertLabGone, labSkip, mustLab, runLab } from './lab-cli.js';

const LAB = 'heready';
const N = ['--name', LAB];
const names = new LabNames(LAB);
const skip = labSkip();

/** `calico-node -felix-ready` on host i (1-based): exit status and its one-line reason. */
async function felixReady(i: number): Promise<{ code: number; why: string }> {
  const s = requireState(names);
  const r = await probeNode(names, s.hosts[i - 1], s.mode, ['felix-ready']);
  return { code: r.code, why: r.stderr.trim() };
}

describe('calico-lab: calico-node readiness through an etcd outage', { skip }, () => {
  let nodePids: number[] = [];

  before(async () => {
    await runLab(['down', ...N]); // a crashed run's leftovers
    await mustLab(['up', ...N, '--nodes', '2', '--mode', 'vxlan'], 300_000);
    nodePids = requireState(names).hosts.map((h) => h.nodePid!);
  });

  after(async () => {
    await runLab(['down', ...N]);
    assertLabGone(LAB);
    await assertNoLeaks();
  });

  it('ready before the outage', async () => {
    for (const i of [1, 2]) assert.deepEqual(await felixReady(i), { code: 0, why: '' });
  });

  it('etcd killed: every calico-node keeps running, not ready, the datastore named as the reason', async () => {
    await stopLabEtcd(names);
    const t0 = Date.now();
    for (const i of [1, 2]) {
      await eventually(
        `h${i} not ready`,
        async () => {
          const r = await felixReady(i);
          return (r.code !== 0 && /datastore: unreachable for \d+ s: /.test(r.why)) || JSON.stringify(r);
        },
        30_000,
        250,
      );
    }
    console.log(`# not ready on both hosts ${Date.now() - t0} ms after the kill`);
    const r = await felixReady(1);
    assert.match(r.why, /^calico\/node is not ready: Felix: datastore: unreachable for \d+ s: .+/);
    const status = await runLab(['status', ...N]);
    assert.notEqual(status.code, 0);
    assert.match(status.stdout, /etcd: .*NOT ANSWERING/);
    assert.match(status.stdout, new RegExp(`${LAB}-h1 .*not ready \\(datastore: unreachable for \\d+ s: `));
    for (const pid of nodePids) assert.ok(pidAlive(pid), `calico-node ${pid} still running`);
  });

  it('etcd back on its data: ready again without a restart; status exits 0', async () => {
    await startLabEtcdAgain(names);
    const t0 = Date.now();
    for (const i of [1, 2]) {
      await eventually(`h${i} ready again`, async () => (await felixReady(i)).code === 0, 30_000, 250);
    }
    console.log(`# ready again on both hosts ${Date.now() - t0} ms after etcd was back`);
    assert.deepEqual(
      requireState(names).hosts.map((h) => h.nodePid),
      nodePids,
    );
    const log = readFileSync(requireState(names).hosts[0].logFile, 'utf8');
    assert.match(log, /datastore unreachable: .*calico-node is not ready until it answers/);
    assert.match(log, /datastore reachable again after \d+ s/);
    await eventually('status exits 0', async () => (await runLab(['status', ...N])).code === 0, 30_000, 500);
  });
});
