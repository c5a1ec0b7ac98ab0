/**
 * The process side of the plugins: turn argv, the environment and stdin into a CniRequest, run it,
 * print the response, exit. The datastore modules load only when a command needs them.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { VERSION } from '../version.js';
import { CNI_COMMANDS, runCni } from './dispatch.js';
import { createCniDeps } from './deps.js';
import type { CniCommand, CniHooks, CniRequest, PluginName } from './types.js';
import { SUPPORTED_VERSIONS } from './versions.js';

/**
 * Test-only hook: after IPAM assigned, write "<pid>\n<addresses…>" to this file, then wait until
 * "<file>.continue" appears (tests SIGKILL us meanwhile, or stop etcd and let us go on).
 */
export const PAUSE_AFTER_IPAM_ENV = 'CALICO_TS_CNI_TEST_PAUSE_AFTER_IPAM';

function processEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}

export function requestFromProcess(plugin: PluginName, stdin: string): CniRequest {
  return { command: (process.env.CNI_COMMAND ?? '') as CniCommand, env: processEnv(), stdin, plugin };
}

function testHooks(): CniHooks | undefined {
  const marker = process.env[PAUSE_AFTER_IPAM_ENV];
  if (!marker) return undefined;
  return {
    async afterIpamAssigned(ips: string[]): Promise<void> {
      writeFileSync(marker, [String(process.pid), ...ips].join('\n') + '\n');
      while (!existsSync(`${marker}.continue`)) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

export async function pluginMain(plugin: PluginName): Promise<never> {
  const arg = process.argv[2];
  if (arg === '-v' || arg === '--version') {
    process.stdout.write(`${plugin} (calico-ts) ${VERSION}\n`);
    process.exit(0);
  }
  const command = process.env.CNI_COMMAND ?? '';
  if (command === '' && process.stdin.isTTY) {
    // Run by hand: say what we are, as CNI plugins do.
    process.stderr.write(
      `${plugin} (calico-ts) ${VERSION}: a CNI plugin; run it through a CNI runtime\n` +
        `CNI protocol versions supported: ${SUPPORTED_VERSIONS.join(', ')}\n`,
    );
    process.exit(0);
  }
  const req = requestFromProcess(plugin, readStdin());
  const deps = createCniDeps(CNI_COMMANDS.includes(req.command) ? { hooks: testHooks() } : {});
  const res = await runCni(req, deps);
  if (res.stderr) process.stderr.write(res.stderr);
  process.stdout.write(res.stdout);
  // Pipes are written synchronously on Linux; exiting now skips closing gRPC channels.
  process.exit(res.exitCode);
}
