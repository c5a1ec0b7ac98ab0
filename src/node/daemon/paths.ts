/**
 * Where one calico-node keeps its files. Calico hard-codes /var/run/calico and /var/lib/calico; we
 * make both roots configurable so several calico-nodes (one per network namespace, as the lab runs
 * them) can share one machine without fighting over BIRD's socket or the nodename file.
 *
 * - `CALICO_RUN_DIR` (default /var/run/calico): bird.ctl (BIRD's control socket), bird.cfg,
 *   bird.pid, cni-agent.sock.
 * - `CALICO_STATE_DIR` (default /var/lib/calico): nodename, mtu (read by the CNI plugin).
 * - `CALICO_LOG_DIR` (default /var/log/calico): only created, as Calico's startup does, unless
 *   CALICO_DISABLE_FILE_LOGGING=true; nothing is written there (logs go to stderr).
 *
 * Explicit per-file variables still win: `CALICO_NODENAME_FILE`, `CALICO_CNI_AGENT_SOCKET`,
 * `CALICO_BIRD_SOCKET` (the name calicoctl node status reads).
 */
import { join } from 'node:path';
import type { HostFiles } from '../startup/host-files.js';

export const DEFAULT_RUN_DIR = '/var/run/calico';
export const DEFAULT_STATE_DIR = '/var/lib/calico';
export const DEFAULT_LOG_DIR = '/var/log/calico';

export interface NodePaths {
  runDir: string;
  stateDir: string;
  logDir: string;
  birdSocket: string;
  birdConfig: string;
  birdPidFile: string;
  cniAgentSocket: string;
  nodenameFile: string;
  mtuFile: string;
}

export function resolvePaths(env: NodeJS.ProcessEnv): NodePaths {
  const runDir = env.CALICO_RUN_DIR || DEFAULT_RUN_DIR;
  const stateDir = env.CALICO_STATE_DIR || DEFAULT_STATE_DIR;
  return {
    runDir,
    stateDir,
    logDir: env.CALICO_LOG_DIR || DEFAULT_LOG_DIR,
    birdSocket: env.CALICO_BIRD_SOCKET || join(runDir, 'bird.ctl'),
    birdConfig: join(runDir, 'bird.cfg'),
    birdPidFile: join(runDir, 'bird.pid'),
    cniAgentSocket: env.CALICO_CNI_AGENT_SOCKET || join(runDir, 'cni-agent.sock'),
    nodenameFile: env.CALICO_NODENAME_FILE || join(stateDir, 'nodename'),
    mtuFile: join(stateDir, 'mtu'),
  };
}

/** The environment startup sees: the nodename file under our state dir unless set explicitly. */
export function startupEnv(env: NodeJS.ProcessEnv, paths: NodePaths): NodeJS.ProcessEnv {
  return { ...env, CALICO_NODENAME_FILE: paths.nodenameFile };
}

/**
 * Startup creates Calico's fixed directories; this maps them onto ours, so a calico-node with its
 * own run/state dirs never touches the host's /var/run/calico or /var/lib/calico.
 */
export function remapHostFiles(files: HostFiles, paths: NodePaths): HostFiles {
  const map = (p: string): string => {
    for (const [from, to] of [
      [DEFAULT_RUN_DIR, paths.runDir],
      [DEFAULT_STATE_DIR, paths.stateDir],
      [DEFAULT_LOG_DIR, paths.logDir],
    ] as const) {
      if (p === from || p.startsWith(`${from}/`)) return to + p.slice(from.length);
    }
    return p;
  };
  return {
    ensureDir: (p) => files.ensureDir(map(p)),
    writeFile: (p, c) => files.writeFile(map(p), c),
  };
}
