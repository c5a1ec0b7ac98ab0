/**
 * confd and BIRD as one supervised component: the watcher renders bird.cfg from the datastore, the
 * driver installs it (checked by `bird -p`, then `birdc configure` once BIRD runs) and, after the
 * first configuration, starts BIRD and keeps it running (restarts with backoff are the driver's).
 * A BIRD left behind by a calico-node that was killed (SIGKILL: no chance to stop its child) is
 * found by the PID in bird.pid and ended first, the new one taking over by graceful restart; a
 * BIRD that dies while calico-node runs is restarted in graceful-restart recovery too.
 */
import { mkdir } from 'node:fs/promises';
import type { Client } from '../../../client/index.js';
import {
  BirdDriver,
  stopBirdFromPidFile,
  watchBirdConfig,
  type BirdDriverEvent,
  type ConfdWatcher,
} from '../../../confd/index.js';
import type { Logger } from '../../log.js';
import type { NodePaths } from '../paths.js';
import type { RunningComponent } from '../supervisor.js';

export interface ConfdComponentOptions {
  client: Client;
  nodeName: string;
  paths: NodePaths;
  /** CALICO_ROUTER_ID. */
  routerId?: string;
  log: Logger;
  birdLog: Logger;
  /** Command prefix for BIRD (tests); default: BIRD runs in our own network namespace. */
  birdLauncher?: readonly string[];
}

export interface ConfdComponent {
  start(): Promise<RunningComponent>;
  /** True once BIRD runs with a configuration from confd. */
  configured(): boolean;
  /** PID of the running BIRD. */
  birdPid(): number | undefined;
}

function describeEvent(e: BirdDriverEvent): { level: 'info' | 'warn' | 'error'; msg: string } {
  switch (e.type) {
    case 'started':
      return { level: 'info', msg: `BIRD started (pid ${e.pid})` };
    case 'exited':
      return {
        level: 'warn',
        msg: `BIRD (pid ${e.pid}) exited (${e.signal ?? `code ${e.code}`}): ${e.stderr.slice(-3).join(' / ')}`,
      };
    case 'restarting':
      return {
        level: 'warn',
        msg: `restarting BIRD in ${e.delayMs} ms${e.gracefulRestart ? ' (graceful restart: routes kept)' : ''}`,
      };
    case 'restartFailed':
      return { level: 'error', msg: `BIRD restart failed: ${e.error.message}` };
    case 'reconfigured':
      return { level: 'info', msg: 'BIRD reconfigured' };
    case 'rejected':
      return { level: 'error', msg: `BIRD refused the configuration: ${e.message}` };
  }
}

export function confdComponent(opts: ConfdComponentOptions): ConfdComponent {
  let driver: BirdDriver | undefined;
  let running = false;
  return {
    configured: () => running,
    birdPid: () => driver?.pid,
    start: async () => {
      const { paths, log } = opts;
      await mkdir(paths.runDir, { recursive: true });
      // A BIRD still running means our routes are in the kernel and at every peer. SIGKILL (no
      // Cease) leaves peers in graceful-restart helper mode, holding the routes, and `-R` makes the
      // new BIRD keep the kernel's routes until its sessions have resynced: a restart forwards on.
      const stale = await stopBirdFromPidFile(paths.birdPidFile, 5000, 'SIGKILL');
      if (stale !== undefined) {
        opts.birdLog.warn(`stopped a BIRD left by an earlier run (pid ${stale}); graceful restart`);
      }
      const d = new BirdDriver({
        configPath: paths.birdConfig,
        socketPath: paths.birdSocket,
        pidFile: paths.birdPidFile,
        gracefulRestart: stale !== undefined,
        // A BIRD that dies alone is replaced the same way as one left by a killed calico-node.
        gracefulRestartAfterCrash: true,
        launcher: opts.birdLauncher,
        onEvent: (e) => {
          const { level, msg } = describeEvent(e);
          opts.birdLog[level](msg);
        },
      });
      driver = d;
      let lastError = '';
      let watcher: ConfdWatcher | undefined = undefined;
      watcher = watchBirdConfig(opts.client, {
        nodeName: opts.nodeName,
        render: { routerId: opts.routerId },
        onConfig: async (text) => {
          const result = await d.apply(text);
          log.info(`bird.cfg ${result}`, { path: paths.birdConfig, bytes: text.length });
          if (!running) {
            const pid = await d.start();
            running = true;
            log.info('BIRD runs the rendered configuration', { pid, socket: paths.birdSocket });
          }
        },
        onError: (e) => {
          const m = e instanceof Error ? e.message : String(e);
          // The watcher retries every second: say it once per distinct problem.
          if (m !== lastError) log.warn(`confd: ${m} (retrying)`);
          lastError = m;
        },
      });
      return {
        // confd and the driver retry on their own; nothing here needs a restart from outside.
        failed: new Promise<Error>(() => undefined),
        stop: async () => {
          await watcher?.close();
          await d.stop();
          running = false;
        },
      };
    },
  };
}
