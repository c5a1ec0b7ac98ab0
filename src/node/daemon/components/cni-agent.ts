/**
 * The CNI agent in-process: the thin `calico`/`calico-ipam` plugins hand their requests to it over
 * a unix socket (CALICO_RUN_DIR/cni-agent.sock unless CALICO_CNI_AGENT_SOCKET says otherwise), so
 * a host running calico-node serves CNI with warm datastore connections. Same server and handler
 * as the calico-cni-agent binary; its log lines join ours.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createCniDeps } from '../../../cni/index.js';
import { agentHandler } from '../../../cni/agent/agent-handler.js';
import { CniAgentServer } from '../../../cni/agent/server.js';
import type { Logger } from '../../log.js';
import type { RunningComponent } from '../supervisor.js';

export interface CniAgentComponentOptions {
  socketPath: string;
  log: Logger;
}

export function cniAgentComponent(opts: CniAgentComponentOptions): { start(): Promise<RunningComponent> } {
  return {
    start: async () => {
      await mkdir(dirname(opts.socketPath), { recursive: true });
      const deps = createCniDeps();
      let server: CniAgentServer;
      try {
        server = await CniAgentServer.start({
          socketPath: opts.socketPath,
          handle: agentHandler(deps),
          onStop: () => deps.close(),
          log: (line) => opts.log.info(line),
        });
      } catch (e) {
        await deps.close();
        throw e;
      }
      opts.log.info(`listening on ${server.socketPath}`);
      return {
        failed: new Promise<Error>(() => undefined),
        // Requests in flight finish first, within a bound: SIGTERM must not wait for a stuck one.
        stop: () => server.stop(10_000),
      };
    },
  };
}
