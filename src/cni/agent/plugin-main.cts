/**
 * The thin plugin: what the `calico` / `calico-ipam` executables run. It reads stdin and the
 * environment, answers VERSION itself, hands every other command to calico-cni-agent over its
 * unix socket, and only when no agent listens loads the real plugin in-process.
 *
 * CommonJS and built-ins only (node:fs here, node:net when the agent is asked): the thin path
 * must cost about what `node -e 0` costs. The in-process plugin is an ES module, loaded with
 * import() only on fallback.
 */
import { readFileSync, writeSync } from 'node:fs';
import {
  agentDisabled,
  agentSocketPath,
  ownNetns,
  PROTOCOL_VERSION,
  type AgentRequest,
  type AgentResponse,
  type PluginName,
} from './protocol.cjs';
import type { TryAgentOptions } from './thin-client.cjs';
import { versionAnswer } from './version-answer.cjs';

export type InProcessRunner = (req: AgentRequest) => Promise<AgentResponse>;

type TryAgent = (req: AgentRequest, opts: TryAgentOptions) => Promise<AgentResponse | undefined>;

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch (e) {
    // No stdin at all (closed or a terminal in non-blocking mode): the plugin reports the empty config.
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN' || (e as NodeJS.ErrnoException).code === 'EOF')
      return '';
    throw e;
  }
}

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  for (let off = 0; off < buf.length;) {
    try {
      off += writeSync(fd, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
  }
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** Asks the agent; undefined when none listens (or the environment turned it off). */
export async function askAgent(req: AgentRequest): Promise<AgentResponse | undefined> {
  if (agentDisabled(req.env)) return undefined;
  // Loaded here, not at the top: VERSION must not pay for node:net.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { tryAgent } = require('./thin-client.cjs') as { tryAgent: TryAgent };
  return tryAgent(req, { socketPath: agentSocketPath(req.env, req.stdin) });
}

/** Runs one plugin invocation and exits with its status. */
export async function pluginMain(
  plugin: PluginName,
  loadInProcess: () => Promise<InProcessRunner>,
): Promise<void> {
  const env = stringEnv(process.env);
  const stdin = readStdin();
  const command = env.CNI_COMMAND ?? '';
  const req: AgentRequest = {
    v: PROTOCOL_VERSION,
    plugin,
    command,
    env,
    stdin,
    netns: ownNetns(),
  };
  let resp: AgentResponse | undefined =
    command === 'VERSION' ? { stdout: versionAnswer(stdin), exitCode: 0 } : await askAgent(req);
  resp ??= await (await loadInProcess())(req);
  if (resp.stderr) writeAll(2, resp.stderr);
  writeAll(1, resp.stdout);
  // Exit now: an in-process run may leave datastore connections winding down.
  process.exit(resp.exitCode);
}
