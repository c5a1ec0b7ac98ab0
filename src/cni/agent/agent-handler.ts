/** What the agent runs per request: runCni over one set of deps shared by every request. */
import { existsSync, writeFileSync } from 'node:fs';
import { runCni, type CniCommand, type CniDeps, type CniHooks } from '../index.js';
import { PAUSE_AFTER_IPAM_ENV } from '../main.js';
import type { RequestHandler } from './server.js';

/** Set to 1 in the agent's own environment to honour the plugin's test pause (tests only). */
export const AGENT_TEST_HOOKS_ENV = 'CALICO_TS_CNI_AGENT_TEST_HOOKS';
const PAUSE_LIMIT_MS = 60_000;

/**
 * The plugin's pause-after-IPAM test hook (src/cni/main.ts): write "<pid>\n<addresses…>" to the
 * marker file, then wait until "<marker>.continue" appears; bounded here, as an agent must go on.
 */
function pauseHooks(env: Record<string, string>): CniHooks | undefined {
  const marker = env[PAUSE_AFTER_IPAM_ENV];
  if (!marker) return undefined;
  return {
    async afterIpamAssigned(ips: string[]): Promise<void> {
      writeFileSync(marker, [String(process.pid), ...ips].join('\n') + '\n');
      const deadline = Date.now() + PAUSE_LIMIT_MS;
      while (!existsSync(`${marker}.continue`) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

export function agentHandler(deps: CniDeps, opts: { testHooks?: boolean } = {}): RequestHandler {
  // runCni never throws (failures come back as CNI error answers) and finishes or rolls back an
  // ADD on its own; the signal only bounds how long the server waits (see server.ts).
  return (req) => {
    const hooks = opts.testHooks ? pauseHooks(req.env) : undefined;
    return runCni(
      { command: req.command as CniCommand, env: req.env, stdin: req.stdin, plugin: req.plugin },
      hooks ? { ...deps, hooks } : deps,
    );
  };
}
