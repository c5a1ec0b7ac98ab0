/**
 * Felix's Prometheus metrics, under Felix's names, fed from `felix.status()`. Felix's status is a
 * snapshot, so a sampler turns it into metrics: counters advance by the difference since the last
 * sample, gauges take the current value, and the apply-time summary observes the duration of the
 * last pass whenever new passes happened since the previous sample (several passes between two
 * samples count once in the summary, their number still in felix_resyncs_started).
 *
 * Names Calico exports that this Felix cannot fill yet (it has no policy calculation and does not
 * time its calculation step separately) are registered anyway so dashboards find them: they stay
 * at zero. Those are marked "(not measured yet)" in their help text.
 */
import { Counter, Gauge, Registry, Summary, collectDefaultMetrics } from 'prom-client';
import type { FelixStatus } from '../../felix/felix.js';

const QUANTILES = [0.5, 0.9, 0.99];

export interface FelixMetrics {
  readonly registry: Registry;
  /** Feeds one status sample (undefined: Felix is not running right now). */
  sample(status: FelixStatus | undefined): void;
}

export interface FelixMetricsOptions {
  nodeName: string;
  /** Node.js process metrics (process_*, nodejs_*): Felix's PrometheusProcessMetricsEnabled. */
  processMetrics?: boolean;
  registry?: Registry;
}

export function createFelixMetrics(opts: FelixMetricsOptions): FelixMetrics {
  const registry = opts.registry ?? new Registry();
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const r = [registry];

  const applyTime = new Summary({
    name: 'felix_int_dataplane_apply_time_seconds',
    help: 'Time in seconds that it took to apply a dataplane update.',
    percentiles: QUANTILES,
    registers: r,
  });
  const failures = new Counter({
    name: 'felix_int_dataplane_failures',
    help: 'Number of dataplane passes that failed to apply some of their changes.',
    registers: r,
  });
  const resyncs = new Counter({
    name: 'felix_resyncs_started',
    help: 'Number of dataplane passes (reads of the kernel state followed by a reconcile) started.',
    registers: r,
  });
  const resyncState = new Gauge({
    name: 'felix_resync_state',
    help: 'Datastore sync state: 1 = initial listing in progress, 2 = in sync.',
    registers: r,
  });
  const routes = new Gauge({
    name: 'felix_route_table_num_routes',
    help: 'Number of routes Felix wants in the route tables it owns.',
    registers: r,
  });
  const hosts = new Gauge({
    name: 'felix_cluster_num_hosts',
    help: 'Total number of Calico hosts in the cluster.',
    registers: r,
  });
  const vteps = new Gauge({
    name: 'felix_vxlan_tunnel_num_vteps',
    help: 'Number of remote VXLAN tunnel endpoints programmed.',
    registers: r,
  });
  const endpoints = new Gauge({
    name: 'felix_active_local_endpoints',
    help: 'Number of active endpoints on this host.',
    registers: r,
  });
  new Summary({
    name: 'felix_calc_graph_update_time_seconds',
    help: 'Seconds to update the calculation graph for each datastore OnUpdate call (not measured yet).',
    percentiles: QUANTILES,
    registers: r,
  });
  new Gauge({
    name: 'felix_active_local_policies',
    help: 'Number of active policies on this host (not measured yet).',
    registers: r,
  });
  const host = new Gauge({
    name: 'felix_host',
    help: 'Configured Felix hostname (as a label); the value is always 1.',
    labelNames: ['host'],
    registers: r,
  });
  host.set({ host: opts.nodeName }, 1);
  resyncState.set(1);

  let seenPasses = 0;
  let seenFailures = 0;
  return {
    registry,
    sample(s) {
      if (!s) {
        resyncState.set(1);
        // A restarted Felix counts from zero again: counters continue from there.
        seenPasses = 0;
        seenFailures = 0;
        return;
      }
      if (s.passes < seenPasses || s.failures < seenFailures) {
        seenPasses = 0;
        seenFailures = 0;
      }
      const newPasses = s.passes - seenPasses;
      if (newPasses > 0) {
        resyncs.inc(newPasses);
        if (s.lastApplyMs !== undefined) applyTime.observe(s.lastApplyMs / 1000);
      }
      if (s.failures > seenFailures) failures.inc(s.failures - seenFailures);
      seenPasses = s.passes;
      seenFailures = s.failures;
      resyncState.set(s.synced ? 2 : 1);
      routes.set(s.routes);
      hosts.set(s.hosts);
      vteps.set(s.vteps);
      endpoints.set(s.endpoints);
    },
  };
}
