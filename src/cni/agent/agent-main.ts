/**
 * calico-cni-agent as a process: options, start-up (modules and datastore code loaded before the
 * first request), one log line per request, and a clean stop on SIGTERM/SIGINT.
 */
import { CalicoError } from '../../errors/index.js';
import { VERSION } from '../../version.js';
import { createCniDeps, type ClosableCniDeps } from '../index.js';
import { AGENT_TEST_HOOKS_ENV, agentHandler } from './agent-handler.js';
import { installPlugins } from './install.js';
import { agentSocketPath } from './protocol.cjs';
import { CniAgentServer } from './server.js';

export interface AgentOptions {
  socketPath: string;
  requestTimeoutMs?: number;
  maxConcurrent?: number;
  /** No per-request log lines. */
  quiet?: boolean;
}

export const AGENT_USAGE = `Usage: calico-cni-agent [--socket PATH] [--request-timeout-ms N] [--max-concurrent N] [--quiet]
       calico-cni-agent --install-plugins DIR [--no-go-shim]

Runs CNI requests for the calico and calico-ipam plugins over a unix socket, keeping datastore
connections open between requests. Without a running agent the plugins do the work themselves.

  --socket PATH            socket to listen on (env CALICO_CNI_AGENT_SOCKET,
                           default /var/run/calico/cni-agent.sock); mode 0600
  --request-timeout-ms N   abort and fail a request after N ms (default 80000)
  --max-concurrent N       requests run at once; more wait (default 16)
  --quiet                  no log line per request
  --install-plugins DIR    write the thin calico and calico-ipam plugins into DIR (a CNI bin dir)
                           and exit: the compiled Go shim when Go can build it, with the Node
                           launcher (<name>.cjs, the in-process fallback) beside it
  --no-go-shim             with --install-plugins: install the Node launchers only
  -v, --version            print the version
`;

function positiveInt(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (!v || !Number.isInteger(n) || n <= 0) {
    throw new CalicoError('USAGE', `${flag} needs a positive integer, got ${v ?? 'nothing'}`, AGENT_USAGE);
  }
  return n;
}

export type AgentCommand = AgentOptions | 'help' | 'version' | { installPlugins: string; goShim?: false };

export function parseAgentArgs(argv: string[], env: NodeJS.ProcessEnv): AgentCommand {
  const opts: AgentOptions = { socketPath: agentSocketPath(env) };
  let install: string | undefined;
  let goShim = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '-h':
      case '--help':
        return 'help';
      case '-v':
      case '--version':
        return 'version';
      case '--socket': {
        const v = value();
        if (!v) throw new CalicoError('USAGE', '--socket needs a path', AGENT_USAGE);
        opts.socketPath = v;
        break;
      }
      case '--request-timeout-ms':
        opts.requestTimeoutMs = positiveInt(flag, value());
        break;
      case '--max-concurrent':
        opts.maxConcurrent = positiveInt(flag, value());
        break;
      case '--quiet':
        opts.quiet = true;
        break;
      case '--install-plugins': {
        const v = value();
        if (!v) throw new CalicoError('USAGE', '--install-plugins needs a directory', AGENT_USAGE);
        install = v;
        break;
      }
      case '--no-go-shim':
        goShim = false;
        break;
      default:
        throw new CalicoError('USAGE', `unknown argument ${a}`, AGENT_USAGE);
    }
  }
  if (install !== undefined)
    return goShim ? { installPlugins: install } : { installPlugins: install, goShim };
  if (!goShim) throw new CalicoError('USAGE', '--no-go-shim goes with --install-plugins', AGENT_USAGE);
  return opts;
}

function logLine(line: string): void {
  process.stderr.write(`${new Date().toISOString()} calico-cni-agent: ${line}\n`);
}

/**
 * Starts an agent over `deps` (default: the production deps). The datastore modules are loaded
 * now so the first request does not pay for them; connections open on first use, per config.
 */
export async function startAgent(
  opts: AgentOptions,
  deps: ClosableCniDeps = createCniDeps(),
): Promise<CniAgentServer> {
  await import('../datastore-connect.js');
  return CniAgentServer.start({
    socketPath: opts.socketPath,
    handle: agentHandler(deps, { testHooks: process.env[AGENT_TEST_HOOKS_ENV] === '1' }),
    requestTimeoutMs: opts.requestTimeoutMs,
    maxConcurrent: opts.maxConcurrent,
    onStop: () => deps.close(),
    log: opts.quiet ? undefined : logLine,
  });
}

/** The process: returns once stopped by a signal (exit status 0) or throws on a start failure. */
export async function agentMain(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseAgentArgs>;
  try {
    parsed = parseAgentArgs(argv, process.env);
  } catch (e) {
    process.stderr.write(`calico-cni-agent: ${(e as Error).message}\n\n${AGENT_USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(AGENT_USAGE);
    return 0;
  }
  if (parsed === 'version') {
    process.stdout.write(`calico-cni-agent (calico-ts) ${VERSION}\n`);
    return 0;
  }
  if ('installPlugins' in parsed) {
    let r: ReturnType<typeof installPlugins>;
    try {
      r = installPlugins(parsed.installPlugins, { goShim: parsed.goShim });
    } catch (e) {
      process.stderr.write(`calico-cni-agent: cannot install the plugins: ${(e as Error).message}\n`);
      return 1;
    }
    for (const f of r.files) process.stdout.write(`installed ${f}\n`);
    if (r.note !== undefined) {
      process.stderr.write(
        `calico-cni-agent: installed the Node launchers as the plugins (each call pays Node's start-up): ` +
          `the Go shim was not built: ${r.note}\n`,
      );
    }
    return 0;
  }
  let server: CniAgentServer;
  try {
    server = await startAgent(parsed);
  } catch (e) {
    const hint = e instanceof CalicoError && e.hint ? ` (${e.hint})` : '';
    logLine(`cannot start: ${(e as Error).message}${hint}`);
    return 1;
  }
  logLine(`listening on ${server.socketPath} (pid ${process.pid})`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (stopping) {
        logLine(`${sig} again: still finishing ${server.pending} request(s)`);
        return;
      }
      stopping = true;
      logLine(`${sig}: stopping (${server.pending} request(s) in flight)`);
      void server.stop().then(resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  logLine(`stopped after ${server.requestsServed} request(s)`);
  return 0;
}
