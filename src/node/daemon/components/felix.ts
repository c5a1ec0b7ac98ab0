/**
 * Felix as a supervised component. startFelix recovers from datastore and kernel errors on its
 * own; what it cannot recover from is a pass that never ends (a hung kernel tool), so a watchdog
 * declares Felix failed when a ready Felix has not completed a pass for `stallMs`, and the
 * supervisor starts a fresh one.
 */
import type { Client } from '../../../client/index.js';
import type { RoutingConfig } from '../../../felix/calc/routing/index.js';
import { startFelix, type Felix, type FelixStatus } from '../../../felix/felix.js';
import type { Logger } from '../../log.js';
import type { RunningComponent } from '../supervisor.js';

export interface FelixComponentOptions {
  client: Client;
  nodeName: string;
  overrides: Partial<RoutingConfig>;
  /** FelixConfiguration fields from FELIX_* policy variables (top precedence for policy). */
  envSpec?: Record<string, unknown>;
  log: Logger;
  /** Default 60 s: twelve 5 s refresh intervals. */
  stallMs?: number;
  /** Bound on Felix's stop (a stuck pass is abandoned after it). Default 10 s. */
  stopTimeoutMs?: number;
}

export interface FelixComponent {
  start(): Promise<RunningComponent>;
  /** The running Felix's status; undefined while none runs. */
  status(): FelixStatus | undefined;
  /** The running Felix itself (for tests and the daemon's MTU file). */
  current(): Felix | undefined;
}

export function felixComponent(opts: FelixComponentOptions): FelixComponent {
  const stallMs = opts.stallMs ?? 60_000;
  let felix: Felix | undefined;
  return {
    status: () => felix?.status(),
    current: () => felix,
    start: async () => {
      const f = startFelix({
        client: opts.client,
        nodeName: opts.nodeName,
        config: opts.overrides,
        envSpec: opts.envSpec,
        log: (level, message) => opts.log[level](message),
      });
      felix = f;
      let fail: (e: Error) => void = () => undefined;
      const failed = new Promise<Error>((r) => (fail = r));
      const watchdog = setInterval(
        () => {
          const s = f.status();
          if (!s.ready || !s.lastApplyAt) return;
          const age = Date.now() - Date.parse(s.lastApplyAt);
          if (age > stallMs) fail(new Error(`no dataplane pass completed for ${Math.round(age / 1000)} s`));
        },
        Math.min(5000, stallMs),
      );
      void f.ready().then(
        () => opts.log.info('Felix dataplane in sync', { passes: f.status().passes }),
        () => undefined,
      );
      return {
        failed,
        stop: async () => {
          clearInterval(watchdog);
          if (felix === f) felix = undefined;
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<'timeout'>((r) => {
            timer = setTimeout(() => r('timeout'), opts.stopTimeoutMs ?? 10_000);
          });
          const r = await Promise.race([f.stop().then(() => 'stopped' as const), timeout]);
          clearTimeout(timer);
          if (r === 'timeout') opts.log.warn('Felix did not stop in time (a pass is stuck); abandoning it');
        },
      };
    },
  };
}
