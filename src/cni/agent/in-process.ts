/**
 * The fallback when no agent answers: the whole plugin in this process, exactly as bin/calico.js
 * runs it (fresh datastore clients, the test pause hook from the environment).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createCniDeps, runCni, type CniCommand, type CniHooks } from '../index.js';
import { PAUSE_AFTER_IPAM_ENV } from '../main.js';
import type { AgentRequest, AgentResponse } from './protocol.cjs';

/** bin/calico.js's test-only hook (src/cni/main.ts): record pid and addresses, wait for "<marker>.continue". */
function pauseHooks(env: Record<string, string>): CniHooks | undefined {
  const marker = env[PAUSE_AFTER_IPAM_ENV];
  if (!marker) return undefined;
  return {
    async afterIpamAssigned(ips: string[]): Promise<void> {
      writeFileSync(marker, [String(process.pid), ...ips].join('\n') + '\n');
      while (!existsSync(`${marker}.continue`)) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

/** Runs one request; the caller exits right after, so datastore connections are not closed. */
export async function runInProcess(req: AgentRequest): Promise<AgentResponse> {
  const deps = createCniDeps({ hooks: pauseHooks(req.env) });
  return runCni(
    { command: req.command as CniCommand, env: req.env, stdin: req.stdin, plugin: req.plugin },
    deps,
  );
}
