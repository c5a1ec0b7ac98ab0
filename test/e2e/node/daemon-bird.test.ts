/**
 * Two calico-nodes with the bird backend, each in its own network namespace with its own
 * CALICO_RUN_DIR: startup, Felix, confd and BIRD per host; the mesh session comes up, so both
 * report ready (the "bird" reporter counts established sessions), `calicoctl node status` reads
 * the per-node BIRD socket, BIRD killed by hand comes back, a SIGKILLed daemon's orphaned BIRD is
 * replaced by the restarted daemon, and SIGTERM leaves no BIRD behind.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  birdsOn,
  CALICOCTL_BIN,
  createDaemonLab,
  eventually,
  labUnavailable,
  NODE_BIN,
  nsGet,
  processAlive,
  spawnDaemon,
  type DaemonLab,
  type DaemonProcess,
  type LabHost,
} from '../../integration/node/daemon/daemon-lab.js';

const skip =
  labUnavailable() ?? (spawnSync('bird', ['--version']).error ? 'bird is not installed' : undefined);
const READY_MS = 60_000;

interface Summary {
  ready: boolean;
  reporters: { name: string; ready: boolean | null; detail?: string }[];
}

describe('calico-node daemons (bird backend), two hosts', { skip }, () => {
  let lab: DaemonLab;
  const daemons = new Map<string, DaemonProcess>();
  const envOf = (h: LabHost) => lab.env(h, { CALICO_NETWORKING_BACKEND: 'bird' });
  const socket = (h: LabHost) => join(h.runDir, 'bird.ctl');

  before(async () => {
    lab = await createDaemonLab(2);
  });
  after(async () => {
    for (const d of daemons.values()) await d.terminate().catch(() => undefined);
    await lab?.destroy();
  });

  const ready = (h: LabHost): Promise<Summary> =>
    eventually(
      `${h.name} ready`,
      async () => {
        const d = daemons.get(h.name);
        if (d && d.child.exitCode !== null)
          throw new Error(`daemon exited:\n${d.lines.slice(-15).join('\n')}`);
        const r = await nsGet(h.ns, 'http://127.0.0.1:9099/readiness');
        if (r.status !== 200) throw new Error(r.body);
        return JSON.parse(r.body) as Summary;
      },
      READY_MS,
    );

  const birdPid = (h: LabHost): number => Number(readFileSync(join(h.runDir, 'bird.pid'), 'utf8').trim());

  it('both hosts become ready with the mesh session established', async () => {
    for (const h of lab.hosts) daemons.set(h.name, spawnDaemon(lab, h, envOf(h)));
    for (const h of lab.hosts) {
      const s = await ready(h);
      const bird = s.reporters.find((r) => r.name === 'bird');
      assert.equal(bird?.ready, true);
      assert.equal(bird?.detail, '1/1 BGP sessions established');
      assert.ok(existsSync(socket(h)), 'BIRD control socket under CALICO_RUN_DIR');
      assert.ok(existsSync(join(h.runDir, 'bird.cfg')));
      assert.deepEqual(birdsOn(socket(h)), [birdPid(h)]);
    }
  });

  it('calicoctl node status and the -bird-ready probe use the per-node socket', async () => {
    const [h1, h2] = lab.hosts;
    const r = spawnSync(process.execPath, [CALICOCTL_BIN, 'node', 'status'], {
      env: { ...process.env, CALICO_BIRD_SOCKET: socket(h1) },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Calico process is running\./);
    assert.match(
      r.stdout,
      new RegExp(`\\| ${h2.ip.replace(/\./g, '\\.')} +\\| node-to-node mesh +\\| up +\\|.*Established`),
    );
    const probe = await h1.ns.run(process.execPath, [NODE_BIN, '-bird-ready', '-bird-live', '-felix-ready'], {
      env: envOf(h1),
    });
    assert.equal(probe.code, 0, probe.stderr);
  });

  it('BIRD killed by hand is restarted by the daemon and the node is ready again', async () => {
    const h1 = lab.hosts[0];
    const old = birdPid(h1);
    process.kill(old, 'SIGKILL');
    await eventually('a new BIRD', async () => {
      const pids = birdsOn(socket(h1));
      return pids.length === 1 && pids[0] !== old ? pids[0] : undefined;
    });
    await ready(h1);
    await ready(lab.hosts[1]);
    // Started in graceful-restart recovery: it keeps the kernel routes the dead one left.
    const argv = readFileSync(`/proc/${birdPid(h1)}/cmdline`, 'utf8').split('\0');
    assert.ok(argv.includes('-R'), argv.join(' '));
  });

  it('kill -9 of a daemon leaves its BIRD; the restarted daemon replaces it and converges', async () => {
    const h1 = lab.hosts[0];
    const orphan = birdPid(h1);
    await daemons.get('h1')!.kill9();
    daemons.delete('h1');
    assert.ok(processAlive(orphan), 'BIRD outlives a SIGKILLed parent');
    daemons.set('h1', spawnDaemon(lab, h1, envOf(h1)));
    await ready(h1);
    assert.ok(!processAlive(orphan), 'the orphaned BIRD was stopped');
    assert.deepEqual(birdsOn(socket(h1)), [birdPid(h1)]);
    await ready(lab.hosts[1]);
    assert.ok(
      daemons
        .get('h1')!
        .entries()
        .some(
          (e) => e.component === 'bird' && String(e.msg).includes(`left by an earlier run (pid ${orphan})`),
        ),
    );
  });

  it('SIGTERM stops each daemon with status 0 and leaves no BIRD', async () => {
    for (const h of lab.hosts) {
      const pid = birdPid(h);
      const d = daemons.get(h.name)!;
      daemons.delete(h.name);
      assert.deepEqual(await d.terminate(), { code: 0, signal: null }, d.lines.slice(-10).join('\n'));
      assert.ok(!processAlive(pid), `BIRD ${pid} gone`);
      assert.deepEqual(birdsOn(socket(h)), []);
    }
  });
});
