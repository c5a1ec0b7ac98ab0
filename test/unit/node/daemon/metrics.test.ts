import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FelixStatus } from '../../../../src/felix/felix.js';
import { createFelixMetrics } from '../../../../src/node/metrics/felix-metrics.js';
import { startMetricsServer } from '../../../../src/node/metrics/server.js';

function status(over: Partial<FelixStatus> = {}): FelixStatus {
  return {
    synced: true,
    ready: true,
    passes: 0,
    failures: 0,
    lastChanges: 0,
    routes: 0,
    vteps: 0,
    hosts: 0,
    endpoints: 0,
    waiting: [],
    notes: [],
    errors: [],
    ...over,
  };
}

function value(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  assert.ok(m, `${name} in\n${text}`);
  return Number(m[1]);
}

const FELIX_NAMES = [
  'felix_int_dataplane_apply_time_seconds',
  'felix_int_dataplane_failures',
  'felix_resyncs_started',
  'felix_resync_state',
  'felix_route_table_num_routes',
  'felix_cluster_num_hosts',
  'felix_active_local_endpoints',
  'felix_active_local_policies',
  'felix_calc_graph_update_time_seconds',
  'felix_vxlan_tunnel_num_vteps',
  'felix_host',
];

describe('Felix metrics', () => {
  it('registers Felix’s metric names (and process metrics unless turned off)', async () => {
    const m = createFelixMetrics({ nodeName: 'h1' });
    const text = await m.registry.metrics();
    for (const n of FELIX_NAMES) assert.match(text, new RegExp(`^# TYPE ${n} `, 'm'), n);
    assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
    assert.match(text, /^felix_host\{host="h1"\} 1$/m);
    const bare = await createFelixMetrics({ nodeName: 'h1', processMetrics: false }).registry.metrics();
    assert.doesNotMatch(bare, /process_cpu_seconds_total/);
  });

  it('turns status samples into counters, gauges and apply-time observations', async () => {
    const m = createFelixMetrics({ nodeName: 'h1', processMetrics: false });
    m.sample(
      status({ passes: 2, failures: 1, lastApplyMs: 250, routes: 7, hosts: 3, endpoints: 2, vteps: 2 }),
    );
    m.sample(
      status({ passes: 2, failures: 1, lastApplyMs: 250, routes: 7, hosts: 3, endpoints: 2, vteps: 2 }),
    );
    m.sample(
      status({ passes: 5, failures: 1, lastApplyMs: 50, routes: 8, hosts: 3, endpoints: 2, vteps: 2 }),
    );
    let t = await m.registry.metrics();
    assert.equal(value(t, 'felix_resyncs_started'), 5);
    assert.equal(value(t, 'felix_int_dataplane_failures'), 1);
    assert.equal(
      value(t, 'felix_int_dataplane_apply_time_seconds_count'),
      2,
      'one observation per sample with new passes',
    );
    assert.equal(value(t, 'felix_int_dataplane_apply_time_seconds_sum'), 0.3);
    assert.equal(value(t, 'felix_route_table_num_routes'), 8);
    assert.equal(value(t, 'felix_cluster_num_hosts'), 3);
    assert.equal(value(t, 'felix_active_local_endpoints'), 2);
    assert.equal(value(t, 'felix_resync_state'), 2);

    // A restarted Felix counts from zero: the counters continue, they never go back.
    m.sample(undefined);
    assert.equal(value(await m.registry.metrics(), 'felix_resync_state'), 1);
    m.sample(status({ passes: 1, failures: 0, lastApplyMs: 10 }));
    t = await m.registry.metrics();
    assert.equal(value(t, 'felix_resyncs_started'), 6);
    assert.equal(value(t, 'felix_int_dataplane_failures'), 1);
  });

  it('serves /metrics in Prometheus text format', async () => {
    const m = createFelixMetrics({ nodeName: 'h1', processMetrics: false });
    const srv = await startMetricsServer('127.0.0.1', 0, m.registry);
    try {
      const r = await fetch(`http://127.0.0.1:${srv.port}/metrics`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
      assert.match(await r.text(), /^# HELP felix_resyncs_started /m);
      assert.equal((await fetch(`http://127.0.0.1:${srv.port}/`)).status, 404);
    } finally {
      await srv.close();
    }
  });
});
