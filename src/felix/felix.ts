/**
 * Felix's routing loop for one host: mirror the datastore (syncer), compute the desired dataplane
 * from the snapshot (calc), and let the drivers reconcile the kernel (dataplane). A pass runs after
 * a change (debounced), and on a timer so drift (a route or FDB entry deleted by hand) is repaired.
 * Nothing is programmed before the mirror is complete: a restart first learns what should exist,
 * then reads the kernel, so it never sweeps working routes.
 *
 * Metrics and health are not served yet; the names they will have are noted on FelixStatus.
 */
import type { Client } from '../client/index.js';
import { CalicoError } from '../errors/index.js';
import type { Backend } from '../datastore/index.js';
import type { Resource } from '../api/index.js';
import {
  computeDesired,
  resolveRoutingConfig,
  type DesiredDataplane,
  type MTUs,
  type RoutingConfig,
} from './calc/routing/index.js';
import {
  kernelRunner,
  RoutingDataplane,
  startKernelMonitor,
  type DataplaneReport,
  type KernelMonitor,
  type Runner,
} from './dataplane/index.js';
import { IPIP_DEVICE, VXLAN_DEVICE } from './calc/routing/index.js';
import {
  PolicyCalculator,
  resolvePolicyBackend,
  resolvePolicyConfig,
  type PolicyConfig,
  type PolicyRulesets,
} from './calc/policy/index.js';
import { makePolicyBackend } from './dataplane/policy/make-backend.js';
import {
  PolicyPlane,
  type MakePolicyBackend,
  type PolicyBackendChoice,
} from './dataplane/policy/policy-plane.js';
import { startSyncer, type FelixSnapshot } from './syncer.js';

export interface FelixOptions {
  client: Client;
  /** Defaults to client.backend. */
  backend?: Backend;
  nodeName: string;
  /** A name under /run/netns to program instead of this process's namespace. */
  netns?: string;
  /** Highest-precedence settings (Felix's environment): over FelixConfiguration `node.<name>` and `default`. */
  config?: Partial<RoutingConfig>;
  /** Quiet period after a datastore change before a pass (default 100 ms). */
  debounceMs?: number;
  /** Grace period before unwanted routes on workload interfaces are removed (default 10 s). */
  graceMs?: number;
  /** Replaces the kernel tools (unit tests); also turns the kernel monitor off. */
  runner?: Runner;
  /** Program network policy (default true). */
  policy?: boolean;
  /** Highest-precedence policy settings, over the FelixConfigurations. */
  policyConfig?: Partial<PolicyConfig>;
  /**
   * FelixConfiguration fields from Felix's environment (FELIX_IPV6SUPPORT, FELIX_NFTABLESMODE, ...):
   * for policy they take precedence over `node.<name>` and `default`.
   */
  envSpec?: Record<string, unknown>;
  /** Overrides the backend FelixConfiguration chooses (nftablesMode, iptablesBackend). */
  policyBackend?: Partial<PolicyBackendChoice>;
  /** Replaces the backend factory (tests). */
  makePolicyBackend?: MakePolicyBackend;
  /**
   * Follow `ip monitor` so kernel changes (drift, new workload interfaces) start a pass at once;
   * the periodic re-read is the backstop. Default: on, unless a runner is given.
   */
  monitor?: boolean;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * Where Felix is. Future Prometheus names: felix_int_dataplane_apply_time_seconds (lastApplyMs),
 * felix_int_dataplane_failures (failures), felix_resyncs_started (passes),
 * felix_route_table_num_routes (routes), felix_cluster_num_hosts (hosts),
 * felix_active_local_endpoints (endpoints); health: "calc graph" ready = synced,
 * "int_dataplane" ready = ready.
 */
export interface FelixStatus {
  synced: boolean;
  /** The first pass after sync has run. */
  ready: boolean;
  passes: number;
  failures: number;
  lastApplyAt?: string;
  lastApplyMs?: number;
  lastChanges: number;
  routes: number;
  vteps: number;
  hosts: number;
  endpoints: number;
  /** The policy backend in use (nftables | iptables), when policy is on. */
  policyBackend?: string;
  /** Policy chains and sets of the last pass (IPv4 + IPv6). */
  policyChains?: number;
  policySets?: number;
  /** How long the last policy apply took, and whether it re-read the kernel. */
  lastPolicyApplyMs?: number;
  mtu?: MTUs;
  waiting: string[];
  notes: string[];
  errors: { driver: string; message: string }[];
}

export interface Felix {
  ready(): Promise<void>;
  status(): FelixStatus;
  /** Runs a pass now (after the current one) and resolves when it is done. */
  resync(): Promise<void>;
  /** The desired state of the last pass. */
  desired(): DesiredDataplane | undefined;
  /** The policy rulesets of the last pass. */
  policy(): PolicyRulesets | undefined;
  /** Closes every watch and timer; the kernel state stays as it is. */
  stop(): Promise<void>;
}

const MIN_RETRY_MS = 1000;

/** The env's fields merged over `node.<name>` (Felix's precedence: env, then per-node, then default). */
function withEnvLayer(nodeName: string, configs: Resource[], env?: Record<string, unknown>): Resource[] {
  if (!env || Object.keys(env).length === 0) return configs;
  const name = `node.${nodeName}`;
  const perNode = configs.find((c) => c.metadata.name === name);
  const merged: Resource = {
    apiVersion: 'projectcalico.org/v3',
    kind: 'FelixConfiguration',
    metadata: { name },
    spec: { ...(perNode?.spec ?? {}), ...env },
  };
  return [...configs.filter((c) => c !== perNode), merged];
}
const MONITOR_DEBOUNCE_MS = 250;

export function startFelix(opts: FelixOptions): Felix {
  const backend = opts.backend ?? opts.client.backend;
  const log = opts.log ?? (() => undefined);
  const runner = opts.runner ?? kernelRunner({ netns: opts.netns });
  const debounceMs = opts.debounceMs ?? 100;
  const initialCfg = resolveRoutingConfig(opts.nodeName, [], opts.config);
  const dataplane = new RoutingDataplane({ runner, config: initialCfg, graceMs: opts.graceMs });

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let retryMs = MIN_RETRY_MS;
  let lastErrors = '';
  let desired: DesiredDataplane | undefined;
  let rulesets: PolicyRulesets | undefined;
  const policyOn = opts.policy ?? true;
  const policyCalc = new PolicyCalculator();
  const policyPlane = new PolicyPlane({
    runner,
    makeBackend: opts.makePolicyBackend ?? makePolicyBackend,
    log,
  });
  const status: FelixStatus = {
    synced: false,
    ready: false,
    passes: 0,
    failures: 0,
    lastChanges: 0,
    routes: 0,
    vteps: 0,
    hosts: 0,
    endpoints: 0,
    policyChains: 0,
    policySets: 0,
    waiting: [],
    notes: [],
    errors: [],
  };
  let markReady: () => void = () => {};
  let failReady: (e: Error) => void = () => {};
  const readyP = new Promise<void>((res, rej) => {
    markReady = res;
    failReady = rej;
  });
  readyP.catch(() => undefined);

  let timerAt = 0;
  /** The earliest request wins: a change during a pass is not pushed back by the pass's refresh timer. */
  const schedule = (delay: number) => {
    if (stopped) return;
    const at = Date.now() + delay;
    if (timer && timerAt <= at) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(() => {
      timer = undefined;
      void pass();
    }, delay);
  };

  const record = (report: DataplaneReport, cfg: RoutingConfig) => {
    status.passes++;
    status.lastApplyAt = new Date().toISOString();
    status.lastApplyMs = report.durationMs;
    status.lastChanges = report.changes;
    status.waiting = report.waiting;
    status.errors = report.failures.map((f) => ({ driver: f.driver, message: f.error.message }));
    if (report.failures.length) status.failures++;
    const errs = status.errors.map((e) => `${e.driver}: ${e.message}`).join('\n');
    if (errs && errs !== lastErrors) log('error', `dataplane: ${errs}`);
    if (!errs && lastErrors) log('info', 'dataplane: errors cleared');
    lastErrors = errs;
    if (report.changes)
      log('info', `dataplane: ${report.changes} changes ${JSON.stringify(report.byDriver)}`);
    // Failing passes retry sooner, backing off to the refresh interval.
    retryMs = report.failures.length ? Math.min(retryMs * 2, cfg.routeRefreshMs) : MIN_RETRY_MS;
  };

  /**
   * Policy first: a new workload's interface is dropped by the dispatch until its chains exist,
   * so routes to it never open a window before its policy is in place.
   */
  const policyPass = async (snapshot: FelixSnapshot): Promise<DataplaneReport['failures']> => {
    if (!policyOn) return [];
    try {
      const felixConfigs = withEnvLayer(opts.nodeName, snapshot.felixConfigs, opts.envSpec);
      const config = resolvePolicyConfig(opts.nodeName, felixConfigs, opts.policyConfig);
      const choice = { ...resolvePolicyBackend(opts.nodeName, felixConfigs), ...opts.policyBackend };
      rulesets = policyCalc.update({
        nodeName: opts.nodeName,
        config,
        tiers: snapshot.tiers,
        networkPolicies: snapshot.networkPolicies,
        globalNetworkPolicies: snapshot.globalNetworkPolicies,
        profiles: snapshot.profiles,
        workloadEndpoints: snapshot.allEndpoints,
        hostEndpoints: snapshot.hostEndpoints,
        networkSets: snapshot.networkSets,
        globalNetworkSets: snapshot.globalNetworkSets,
      });
      const r = await policyPlane.apply(rulesets, choice);
      status.policyBackend = r.backend;
      status.policyChains = rulesets.v4.chains.length + (rulesets.v6?.chains.length ?? 0);
      status.policySets = rulesets.v4.sets.length + (rulesets.v6?.sets.length ?? 0);
      status.lastPolicyApplyMs = r.durationMs;
      if (r.changes) log('info', `policy: ${r.changes} changes (${r.backend}${r.full ? ', full' : ''})`);
      return [];
    } catch (e) {
      return [{ driver: 'policy', error: e instanceof Error ? e : new Error(String(e)) }];
    }
  };

  const onePass = async () => {
    if (!syncer.isSynced()) return;
    const snapshot: FelixSnapshot = syncer.snapshot();
    const cfg = resolveRoutingConfig(opts.nodeName, snapshot.felixConfigs, opts.config);
    let next = cfg.routeRefreshMs;
    try {
      const policyFailures = await policyPass(snapshot);
      const links = await dataplane.readLinks();
      desired = computeDesired({
        nodeName: opts.nodeName,
        nodes: snapshot.nodes,
        pools: snapshot.pools,
        blocks: snapshot.blocks,
        endpoints: snapshot.endpoints,
        config: cfg,
        hostInterfaces: links.hostInterfaces,
      });
      dataplane.setDesired(desired, cfg);
      const report = await dataplane.reconcile(links);
      report.failures.unshift(...policyFailures);
      Object.assign(status, {
        routes: desired.routes.length,
        vteps: desired.fdb.length,
        hosts: snapshot.nodes.length,
        endpoints: snapshot.endpoints.length,
        mtu: desired.mtu,
        notes: desired.notes,
      });
      record(report, cfg);
      if (report.failures.length) next = retryMs;
    } catch (e) {
      // The interfaces could not be read or the desired state not computed: nothing was changed.
      status.failures++;
      status.errors = [{ driver: 'felix', message: (e as Error).message }];
      log('error', `dataplane: ${(e as Error).message}`);
      retryMs = Math.min(retryMs * 2, cfg.routeRefreshMs);
      next = retryMs;
    }
    if (!status.ready) {
      status.ready = true;
      markReady();
    }
    schedule(next);
  };

  const pass = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        if (stopped) return;
        await onePass();
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const syncer = startSyncer(backend, {
    nodeName: opts.nodeName,
    onChange: () => {
      if (syncer.isSynced()) schedule(debounceMs);
    },
    onError: (e) => log('warn', `datastore: ${(e as Error).message ?? String(e)}`),
  });
  void syncer.synced.then(() => {
    status.synced = true;
    schedule(0);
  });
  const monitor: KernelMonitor | undefined =
    (opts.monitor ?? !opts.runner)
      ? startKernelMonitor({
          netns: opts.netns,
          devices: [VXLAN_DEVICE, IPIP_DEVICE],
          // A little slower than datastore changes: our own writes echo back as events.
          onChange: () => {
            if (status.ready) schedule(Math.max(debounceMs, MONITOR_DEBOUNCE_MS));
          },
          onError: (e) => log('warn', `kernel monitor: ${e.message}`),
        })
      : undefined;

  return {
    ready: () => readyP,
    status: () => ({
      ...status,
      waiting: [...status.waiting],
      notes: [...status.notes],
      errors: [...status.errors],
    }),
    desired: () => desired,
    policy: () => rulesets,
    resync: async () => {
      if (running) await running;
      await pass();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      failReady(
        new CalicoError('OPERATION_NOT_SUPPORTED', 'Felix was stopped before its first dataplane pass'),
      );
      await Promise.all([syncer.close(), monitor?.close()]);
      await running;
      await policyPlane.close();
    },
  };
}
