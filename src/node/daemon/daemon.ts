/**
 * The calico-node daemon: startup, then the components the networking backend needs, each under a
 * supervisor, all in this process's network namespace; the health and metrics servers report on
 * them. stop() undoes everything start did (servers, timers, components, BIRD by PID, the
 * datastore connection) so the process can exit on its own.
 */
import { writeFile } from 'node:fs/promises';
import { Client } from '../../client/index.js';
import { createBackend, loadDatastoreConfig } from '../../datastore/index.js';
import { parseNodeConfig, type NodeConfig } from '../config.js';
import { birdReporter } from '../health/bird-reporter.js';
import { startDatastoreMonitor } from '../health/datastore-reporter.js';
import { felixReporters } from '../health/felix-reporters.js';
import type { HealthReporter } from '../health/aggregate.js';
import type { Listening } from '../health/http.js';
import { startHealthServer } from '../health/server.js';
import { componentSink, createLogger, type Logger, type LogSink } from '../log.js';
import { createFelixMetrics, type FelixMetrics } from '../metrics/felix-metrics.js';
import { startMetricsServer } from '../metrics/server.js';
import { realHostFiles } from '../startup/host-files.js';
import { startupMain } from '../startup/main.js';
import { cniAgentComponent } from './components/cni-agent.js';
import { confdComponent } from './components/confd.js';
import { felixComponent, type FelixComponent } from './components/felix.js';
import { felixOverridesFromEnv, felixPolicyEnv } from './felix-env.js';
import type { Component, NodeMode } from './mode.js';
import { remapHostFiles, resolvePaths, startupEnv, type NodePaths } from './paths.js';
import { componentsFor, parseDaemonSettings, type DaemonSettings } from './settings.js';
import { Supervisor, type Backoff, type SupervisorOptions } from './supervisor.js';

export interface DaemonOptions {
  env: NodeJS.ProcessEnv;
  mode: Extract<NodeMode, { kind: 'run' }>;
  out?: LogSink;
  /** Restart backoff of the in-process components (tests shorten it). */
  backoff?: Backoff;
}

export interface Daemon {
  readonly nodeName: string;
  readonly paths: NodePaths;
  readonly components: readonly Component[];
  readonly health?: Listening;
  readonly metrics?: Listening;
  readonly log: Logger;
  stop(): Promise<void>;
}

/** Startup failed: its exit status (its own log lines said why). */
export class StartupFailed extends Error {
  constructor(readonly status: number) {
    super(`calico-node startup failed (status ${status})`);
  }
}

const SAMPLE_MS = 1000;

/** FELIX_HEALTHHOST=localhost means the IPv4 loopback, as Felix (Go) binds it. */
function bindHost(host: string): string {
  return host === 'localhost' ? '127.0.0.1' : host;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { env } = opts;
  const out = opts.out ?? process.stderr;
  const settings: DaemonSettings = parseDaemonSettings(env);
  const paths = resolvePaths(env);
  const log = createLogger('calico-node', settings.logLevel, out);

  if (opts.mode.startup) {
    const status = await startupMain({
      env: startupEnv(env, paths),
      out: componentSink('startup', out),
      files: remapHostFiles(realHostFiles, paths),
    });
    if (status !== 0) throw new StartupFailed(status);
  }
  const cfg: NodeConfig = parseNodeConfig(startupEnv(env, paths));
  const components = componentsFor(opts.mode, cfg.networkingBackend, env, cfg.disableFelix);
  log.info(`calico-node ${cfg.nodeName}: starting ${components.join(', ') || 'no components'}`, {
    node: cfg.nodeName,
    backend: cfg.networkingBackend,
    runDir: paths.runDir,
    stateDir: paths.stateDir,
  });
  if (cfg.networkingBackend === 'none') log.info('CALICO_NETWORKING_BACKEND is none - no BGP daemon running');
  if (cfg.networkingBackend === 'vxlan')
    log.info('CALICO_NETWORKING_BACKEND is vxlan - no need to run a BGP daemon');

  const undo: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const u of undo.splice(0).reverse()) {
      await u().catch((e: unknown) => log.warn(`stop: ${e instanceof Error ? e.message : String(e)}`));
    }
  };

  try {
    let client: Client | undefined;
    if (components.includes('felix') || components.includes('confd')) {
      client = new Client(createBackend(await loadDatastoreConfig({ env })));
      const c = client;
      undo.push(() => c.close());
    }

    const supervisors: Supervisor[] = [];
    undo.push(async () => {
      await Promise.all(supervisors.map((s) => s.stop()));
    });
    const supervise = async (name: string, start: SupervisorOptions['start'], l: Logger) => {
      const s = new Supervisor({ name, start, log: l, backoff: opts.backoff });
      supervisors.push(s);
      await s.start();
      return s;
    };

    const reporters: HealthReporter[] = [];
    let felix: FelixComponent | undefined;
    if (components.includes('felix') && client) {
      const felixLog = log.child('felix', settings.felixLogLevel);
      const { overrides, problems } = felixOverridesFromEnv(cfg.nodeName, cfg.felix);
      const policyEnv = felixPolicyEnv(cfg.felix);
      for (const p of [...problems, ...policyEnv.problems]) felixLog.warn(`ignoring ${p}`);
      felix = felixComponent({
        client,
        nodeName: cfg.nodeName,
        overrides,
        envSpec: policyEnv.spec,
        log: felixLog,
      });
      reporters.push(...felixReporters({ status: () => felix?.status() }));
      await supervise('Felix', felix.start, felixLog);
    }
    if (components.includes('confd') && client) {
      const c = confdComponent({
        client,
        nodeName: cfg.nodeName,
        paths,
        routerId: cfg.routerId,
        log: log.child('confd'),
        birdLog: log.child('bird'),
      });
      reporters.push(birdReporter({ socketPath: paths.birdSocket, configured: () => c.configured() }));
      await supervise('confd', c.start, log.child('confd'));
    }
    if (client) {
      // Not ready while the datastore does not answer (the dataplane forwards on regardless).
      const monitor = startDatastoreMonitor({ backend: client.backend, log: log.child('datastore') });
      reporters.push(monitor.reporter);
      undo.push(async () => monitor.stop());
    }
    if (components.includes('cniAgent')) {
      const agentLog = log.child('cni-agent');
      const s = await supervise(
        'CNI agent',
        cniAgentComponent({ socketPath: paths.cniAgentSocket, log: agentLog }).start,
        agentLog,
      );
      reporters.push({
        name: 'cni-agent',
        reportsLive: true,
        reportsReady: true,
        check: () => ({ live: s.state !== 'backoff', ready: s.state === 'running', detail: s.state }),
      });
    }

    let metrics: FelixMetrics | undefined;
    let mtuWritten: number | undefined;
    const sample = (): void => {
      const s = felix?.status();
      metrics?.sample(s);
      const mtu = s?.mtu?.pod;
      if (mtu && mtu !== mtuWritten) {
        mtuWritten = mtu;
        // The CNI plugin gives new pods this MTU (Calico's /var/lib/calico/mtu).
        writeFile(paths.mtuFile, `${mtu}\n`).catch((e: unknown) =>
          log.warn(`cannot write ${paths.mtuFile}: ${e instanceof Error ? e.message : String(e)}`),
        );
      }
    };
    if (felix) {
      const timer = setInterval(sample, SAMPLE_MS);
      undo.push(async () => clearInterval(timer));
    }

    let healthServer: Listening | undefined;
    if (settings.health.enabled) {
      const h = await startHealthServer({
        host: bindHost(settings.health.host),
        port: settings.health.port,
        reporters: () => reporters,
      });
      healthServer = h;
      undo.push(() => h.close());
      log.info(`health endpoints on ${h.host}:${h.port} (/liveness, /readiness)`);
    }
    let metricsServer: Listening | undefined;
    if (settings.metrics.enabled) {
      metrics = createFelixMetrics({
        nodeName: cfg.nodeName,
        processMetrics: settings.metrics.processMetrics,
      });
      const registry = metrics.registry;
      const m = await startMetricsServer(bindHost(settings.metrics.host), settings.metrics.port, {
        contentType: registry.contentType,
        // Sample at scrape time too, so gauges are current to the request.
        metrics: () => {
          sample();
          return registry.metrics();
        },
      });
      metricsServer = m;
      undo.push(() => m.close());
      log.info(`Prometheus metrics on ${m.host}:${m.port}/metrics`);
    }

    let stopping: Promise<void> | undefined;
    return {
      nodeName: cfg.nodeName,
      paths,
      components,
      health: healthServer,
      metrics: metricsServer,
      log,
      stop: () => (stopping ??= stopAll().then(() => log.info('calico-node stopped'))),
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
