/**
 * calico-node as a process, VXLAN backend: started inside a host network namespace against a real
 * etcd, it runs startup (Node resource, pools, nodename file), Felix, the health and metrics
 * servers; /readiness turns 200, /metrics carries Felix's names, SIGTERM exits 0, and after a
 * SIGKILL a restarted daemon converges again.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '../../../../src/client/index.js';
import { createBackend, loadDatastoreConfig } from '../../../../src/datastore/index.js';
import {
  createDaemonLab,
  eventually,
  labUnavailable,
  nsGet,
  spawnDaemon,
  type DaemonLab,
  type DaemonProcess,
  type LabHost,
} from './daemon-lab.js';

const skip = labUnavailable();
const READY_MS = 45_000;

interface Summary {
  live: boolean;
  ready: boolean;
  reporters: { name: string; live: boolean | null; ready: boolean | null; detail?: string }[];
}

describe('calico-node daemon (vxlan backend) in a network namespace', { skip }, () => {
  let lab: DaemonLab;
  let client: Client;
  let h1: LabHost;
  let env: Record<string, string>;

  before(async () => {
    lab = await createDaemonLab(1);
    h1 = lab.hosts[0];
    env = lab.env(h1, { CALICO_NETWORKING_BACKEND: 'vxlan', CALICO_IPV4POOL_VXLAN: 'Always' });
    client = new Client(createBackend(await loadDatastoreConfig({ env: lab.etcd.env() })));
  });
  after(async () => {
    await client?.close();
    await lab?.destroy();
  });

  const readiness = async (d: DaemonProcess): Promise<Summary> =>
    eventually(
      'readiness 200',
      async () => {
        if (d.child.exitCode !== null) throw new Error(`daemon exited:\n${d.lines.slice(-15).join('\n')}`);
        const r = await nsGet(h1.ns, 'http://127.0.0.1:9099/readiness');
        return r.status === 200 ? (JSON.parse(r.body) as Summary) : undefined;
      },
      READY_MS,
    );

  it('starts up, becomes ready, serves metrics, and stops on SIGTERM with status 0', async () => {
    const d = spawnDaemon(lab, h1, env);
    try {
      const started = Date.now();
      const summary = await readiness(d);
      const took = Date.now() - started;
      assert.ok(took < READY_MS, `ready after ${took} ms`);
      assert.deepEqual(
        summary.reporters.map((r) => [r.name, r.ready]),
        [
          ['calc graph', true],
          ['int_dataplane', true],
          ['datastore', true],
        ],
      );
      const live = await nsGet(h1.ns, 'http://127.0.0.1:9099/liveness');
      assert.equal(live.status, 200);

      // Startup wrote the Node, the default pool (VXLAN) and the nodename file under our state dir.
      const node = await client.get('Node', 'h1');
      assert.equal((node.spec as { bgp?: { ipv4Address?: string } }).bgp?.ipv4Address, '198.51.100.11/24');
      const pool = await client.get('IPPool', 'default-ipv4-ippool');
      assert.equal((pool.spec as { vxlanMode?: string }).vxlanMode, 'Always');
      assert.equal(readFileSync(join(h1.stateDir, 'nodename'), 'utf8'), 'h1');
      await eventually('mtu file', async () => {
        const mtu = Number(readFileSync(join(h1.stateDir, 'mtu'), 'utf8'));
        return mtu > 0 ? mtu : undefined;
      });

      // Felix programmed this namespace: the VXLAN device exists.
      await eventually('vxlan.calico', async () =>
        (await h1.ns.run('ip', ['link', 'show', 'vxlan.calico'])).code === 0 ? true : undefined,
      );

      const m = await nsGet(h1.ns, 'http://127.0.0.1:9091/metrics');
      assert.equal(m.status, 200);
      for (const name of [
        'felix_int_dataplane_apply_time_seconds',
        'felix_int_dataplane_failures',
        'felix_resyncs_started',
        'felix_route_table_num_routes',
        'felix_cluster_num_hosts',
        'felix_active_local_endpoints',
        'felix_calc_graph_update_time_seconds',
        'process_cpu_seconds_total',
      ]) {
        assert.match(m.body, new RegExp(`^# TYPE ${name} `, 'm'), name);
      }
      assert.match(m.body, /^felix_cluster_num_hosts 1$/m);
      assert.match(m.body, /^felix_host\{host="h1"\} 1$/m);

      // Every line is one JSON object with level, time, component and msg.
      const entries = d.entries();
      assert.equal(entries.length, d.lines.length, 'only JSON lines on stderr');
      assert.ok(entries.some((e) => e.component === 'startup'));
      assert.ok(entries.some((e) => e.component === 'felix'));
      for (const e of entries) for (const k of ['time', 'level', 'component', 'msg']) assert.ok(k in e, k);
    } finally {
      const r = await d.terminate();
      assert.deepEqual(r, { code: 0, signal: null }, d.lines.slice(-10).join('\n'));
    }
  });

  it('converges again after kill -9 and a restart', async () => {
    const first = spawnDaemon(lab, h1, env);
    await readiness(first);
    await first.kill9();
    const second = spawnDaemon(lab, h1, env);
    try {
      const s = await readiness(second);
      assert.ok(s.ready);
      // The restart found everything in place: startup wrote nothing new to the Node.
      assert.ok(!second.entries().some((e) => /^(Created|Updated) Node/.test(String(e.msg))));
    } finally {
      assert.deepEqual(await second.terminate(), { code: 0, signal: null });
    }
  });

  it('runs the CNI agent in-process when CALICO_CNI_AGENT_SOCKET is set, and removes its socket on stop', async () => {
    const sock = join(h1.runDir, 'agent.sock');
    const d = spawnDaemon(lab, h1, { ...env, CALICO_CNI_AGENT_SOCKET: sock });
    try {
      const s = await readiness(d);
      assert.deepEqual(
        s.reporters.map((r) => r.name),
        ['calc graph', 'int_dataplane', 'datastore', 'cni-agent'],
      );
      assert.ok(existsSync(sock));
      assert.ok(d.entries().some((e) => e.component === 'cni-agent' && e.msg === `listening on ${sock}`));
    } finally {
      assert.deepEqual(await d.terminate(), { code: 0, signal: null });
    }
    assert.ok(!existsSync(sock), 'socket removed on stop');
  });

  it('-startup runs startup only; -felix runs Felix without startup; a bad setting fails with status 1', async () => {
    const s = spawnDaemon(lab, h1, env, ['-startup']);
    assert.deepEqual(await s.exited, { code: 0, signal: null }, s.lines.join('\n'));
    assert.ok(s.entries().every((e) => e.component === 'startup'));

    const f = spawnDaemon(lab, h1, env, ['-felix']);
    try {
      const sum = await readiness(f);
      assert.deepEqual(
        sum.reporters.map((r) => r.name),
        ['calc graph', 'int_dataplane', 'datastore'],
      );
      assert.ok(!f.entries().some((e) => e.component === 'startup'));
    } finally {
      assert.deepEqual(await f.terminate(), { code: 0, signal: null });
    }

    const bad = spawnDaemon(lab, h1, { ...env, FELIX_HEALTHPORT: 'ninety' });
    assert.deepEqual(await bad.exited, { code: 1, signal: null });
    assert.ok(bad.entries().some((e) => e.level === 'error' && /FELIX_HEALTHPORT/.test(String(e.msg))));
    const badIp = spawnDaemon(lab, h1, { ...env, IP: '300.1.1.1' });
    assert.deepEqual(await badIp.exited, { code: 1, signal: null });
    assert.ok(badIp.entries().some((e) => e.component === 'startup' && e.level === 'error'));
  });

  it('SIGTERM in the middle of startup still exits 0', async () => {
    const d = spawnDaemon(lab, h1, env);
    await eventually('first startup line', async () => (d.lines.length > 0 ? true : undefined));
    assert.deepEqual(await d.terminate(), { code: 0, signal: null }, d.lines.join('\n'));
  });

  it('health can be turned off; the -felix-ready probe reports failure without it', async () => {
    const d = spawnDaemon(lab, h1, { ...env, FELIX_HEALTHENABLED: 'false' });
    try {
      await eventually('Felix in sync', async () =>
        d.entries().some((e) => e.msg === 'Felix dataplane in sync') ? true : undefined,
      );
      const r = await nsGet(h1.ns, 'http://127.0.0.1:9099/readiness');
      assert.equal(r.status, 0, 'nothing listens on 9099');
      const probe = await h1.ns.run(
        process.execPath,
        [join('dist', 'bin', 'calico-node.js'), '-felix-ready'],
        {
          env,
        },
      );
      assert.equal(probe.code, 1);
      assert.match(probe.stderr, /calico\/node is not ready: Felix: cannot reach/);
    } finally {
      assert.deepEqual(await d.terminate(), { code: 0, signal: null });
    }
  });
});
