/**
 * The "datastore" health reporter: calico-node is not ready while its datastore does not answer.
 * The dataplane forwards on without it (Felix and BIRD keep what they programmed), but nothing new
 * can be learned, allocated or written, so an orchestrator should not count the node as ready, and
 * the probe should say why. Readiness only: an outage is not a reason to restart calico-node.
 *
 * A timer reads one key every `intervalMs`, each read bounded by `timeoutMs` (the backend's own
 * retries can outlast any probe); a read still out when the next is due is not doubled. The first
 * failed (or timed-out) read marks the node not ready, the first successful one ready again.
 */
import type { Backend } from '../../datastore/index.js';
import type { Logger } from '../log.js';
import type { HealthReport, HealthReporter } from './aggregate.js';

/** Any key does: a missing one answers too. ClusterInformation exists in every initialised datastore. */
const PROBE_KEY = '/calico/resources/v3/projectcalico.org/clusterinformations/default';

export interface DatastoreHealthOptions {
  backend: Pick<Backend, 'get'>;
  log?: Logger;
  /** Time between reads (default 2 s). */
  intervalMs?: number;
  /**
   * A read slower than this fails (default 5 s): generous, so a loaded machine's slow answer does not
   * flap readiness; an outage still shows within interval + timeout.
   */
  timeoutMs?: number;
  now?: () => number;
}

export interface DatastoreMonitor {
  reporter: HealthReporter;
  /** What the reporter reports, now. */
  state(): HealthReport;
  /** Reads once now (also what the timer does); resolves when that read has settled. */
  probe(): Promise<void>;
  stop(): void;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function startDatastoreMonitor(opts: DatastoreHealthOptions): DatastoreMonitor {
  const intervalMs = opts.intervalMs ?? 2000;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const now = opts.now ?? Date.now;
  // calico-node starts after startup has reached the datastore: reachable until a read says not.
  let failingSince: number | undefined;
  let lastError = '';
  // A read still out (it may outlast its timeout) is not doubled: probes share its outcome.
  let reading = false;
  let outcome: Promise<void> = Promise.resolve();
  let readTimer: NodeJS.Timeout | undefined;

  const fail = (why: string): void => {
    if (failingSince === undefined) {
      failingSince = now();
      opts.log?.warn(`datastore unreachable: ${why}; calico-node is not ready until it answers`);
    }
    lastError = why;
  };

  const succeed = (): void => {
    if (failingSince !== undefined) {
      opts.log?.info(`datastore reachable again after ${Math.round((now() - failingSince) / 1000)} s`);
    }
    failingSince = undefined;
    lastError = '';
  };

  const probe = (): Promise<void> => {
    if (reading) return outcome;
    reading = true;
    const read = opts.backend.get(PROBE_KEY);
    const done = (): void => {
      reading = false;
    };
    read.then(done, done);
    const timeout = new Promise<never>((_, reject) => {
      readTimer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    outcome = Promise.race([read, timeout])
      .finally(() => clearTimeout(readTimer))
      .then(succeed, (e: unknown) => fail(describe(e)));
    return outcome;
  };

  const timer = setInterval(() => void probe(), intervalMs);
  timer.unref();
  void probe();

  const check = (): HealthReport => {
    if (failingSince === undefined) return { ready: true, detail: 'reachable' };
    const secs = Math.round((now() - failingSince) / 1000);
    return { ready: false, detail: `unreachable for ${secs} s: ${lastError}` };
  };
  return {
    reporter: { name: 'datastore', reportsLive: false, reportsReady: true, check },
    state: check,
    probe,
    stop: () => {
      clearInterval(timer);
      clearTimeout(readTimer);
    },
  };
}
