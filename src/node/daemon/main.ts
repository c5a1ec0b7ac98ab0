/**
 * `calico-node` as a command: parses the mode, runs startup, the daemon or the probes, and turns
 * SIGTERM/SIGINT into a clean stop (exit 0). A fatal error anywhere (an exception nobody caught)
 * is logged and also stops everything, BIRD included, before exiting 1.
 */
import { stopBirdFromPidFile } from '../../confd/index.js';
import { isCalicoError } from '../../errors/index.js';
import { VERSION } from '../../version.js';
import { componentSink, createLogger, type LogSink } from '../log.js';
import { realHostFiles } from '../startup/host-files.js';
import { startupMain } from '../startup/main.js';
import { startDaemon, StartupFailed, type Daemon } from './daemon.js';
import { NODE_USAGE, parseNodeArgs, type NodeMode } from './mode.js';
import { remapHostFiles, resolvePaths, startupEnv } from './paths.js';
import { runProbes } from './probes.js';

export interface NodeMainOptions {
  env?: NodeJS.ProcessEnv;
  out?: LogSink;
  /** Resolves when the daemon should stop (default: SIGTERM or SIGINT). */
  stopSignal?: Promise<string>;
}

function signalled(log: (m: string) => void): Promise<string> {
  return new Promise((resolve) => {
    let seen = false;
    const on = (sig: NodeJS.Signals): void => {
      if (seen) {
        log(`${sig} again: still stopping`);
        return;
      }
      seen = true;
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** Every part bounds its own stop (Felix 10 s, BIRD 5 s + SIGKILL, CNI requests 10 s); this is the backstop. */
const STOP_DEADLINE_MS = 30_000;

/** Stops the daemon; past the deadline BIRD is still ended by its PID file. False when late. */
async function stopWithin(daemon: Daemon, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
  const r = await Promise.race([daemon.stop().then(() => 'done' as const), late]);
  clearTimeout(timer);
  if (r === 'done') return true;
  daemon.log.error(`calico-node did not stop within ${ms / 1000} s; ending BIRD by its pid file and exiting`);
  await stopBirdFromPidFile(daemon.paths.birdPidFile).catch(() => undefined);
  return false;
}

function describe(e: unknown): string {
  if (isCalicoError(e)) return e.hint ? `${e.message} (${e.hint})` : e.message;
  return e instanceof Error ? e.message : String(e);
}

export async function nodeMain(argv: readonly string[], opts: NodeMainOptions = {}): Promise<number> {
  const env = opts.env ?? process.env;
  const out = opts.out ?? process.stderr;
  let mode: NodeMode;
  try {
    mode = parseNodeArgs(argv);
  } catch (e) {
    out.write(`${(e as Error).message}\n\n${NODE_USAGE}`);
    return 2;
  }
  switch (mode.kind) {
    case 'help':
      process.stdout.write(NODE_USAGE);
      return 0;
    case 'version':
      process.stdout.write(`calico-node (calico-ts) ${VERSION}\n`);
      return 0;
    case 'probe':
      return runProbes(mode.checks, env, out);
    case 'startup': {
      const paths = resolvePaths(env);
      return startupMain({
        env: startupEnv(env, paths),
        out: componentSink('startup', out),
        files: remapHostFiles(realHostFiles, paths),
      });
    }
    case 'run':
      return runDaemon(mode, env, out, opts.stopSignal);
  }
}

async function runDaemon(
  mode: Extract<NodeMode, { kind: 'run' }>,
  env: NodeJS.ProcessEnv,
  out: LogSink,
  stopSignal?: Promise<string>,
): Promise<number> {
  const log = createLogger('calico-node', 'info', out);
  let fatal: (e: unknown) => void = () => undefined;
  const fatalError = new Promise<unknown>((r) => (fatal = r));
  const onFatal = (e: unknown): void => fatal(e);
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
  const stop = stopSignal ?? signalled((m) => log.info(m));
  let daemon: Daemon | undefined;
  try {
    const started = startDaemon({ env, mode, out });
    started.catch(() => undefined);
    const first = await Promise.race([
      started.then((d) => ({ d })),
      stop.then((sig) => ({ sig })),
      fatalError.then((e) => ({ e })),
    ]);
    if ('sig' in first || 'e' in first) {
      // Stopped (or failed) during start: let the start finish, then undo it. Startup itself may
      // wait for the datastore forever (WAIT_FOR_DATASTORE): then nothing else runs yet, so leave.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), STOP_DEADLINE_MS)));
      const d = await Promise.race([started.catch(() => undefined), late]);
      clearTimeout(timer);
      if (d && d !== 'late') await stopWithin(d, STOP_DEADLINE_MS);
      else if (d === 'late') await stopBirdFromPidFile(resolvePaths(env).birdPidFile).catch(() => undefined);
      if ('e' in first) {
        log.error(`fatal: ${describe(first.e)}`);
        return 1;
      }
      log.info(`${first.sig} during start: stopped`);
      return 0;
    }
    daemon = first.d;
    daemon.log.info('Calico node started successfully');
    const why = await Promise.race([stop.then((sig) => ({ sig })), fatalError.then((e) => ({ e }))]);
    if ('e' in why) {
      daemon.log.error(`fatal: ${describe(why.e)}; stopping everything`);
      await stopWithin(daemon, STOP_DEADLINE_MS);
      return 1;
    }
    daemon.log.info(`${why.sig}: stopping`);
    return (await stopWithin(daemon, STOP_DEADLINE_MS)) ? 0 : 1;
  } catch (e) {
    if (e instanceof StartupFailed) return e.status;
    log.error(`calico-node failed to start: ${describe(e)}`);
    log.error('Calico node failed to start');
    return 1;
  } finally {
    process.off('uncaughtException', onFatal);
    process.off('unhandledRejection', onFatal);
  }
}
