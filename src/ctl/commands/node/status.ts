/**
 * `calicoctl node status` (calicoctl.md §5.1): is calico-node running, and the state of BIRD's BGP
 * sessions. Our BIRD 2 serves both families from one daemon and one control socket, so one
 * `show protocols` feeds both the IPv4 and the IPv6 section, split by the peer's address family.
 */
import type { CtlIO } from '../../io.js';
import { CommandError } from '../../io.js';
import {
  BirdReplyError,
  DEFAULT_BIRD_SOCKETS,
  queryBirdProtocols,
  type BirdQueryResult,
} from './bird-query.js';
import { peersOf, renderPeerSection, type Family } from './peer-table.js';
import { processIsRoot, requireRoot } from './privileges.js';
import { isBirdProcess, isCalicoNodeProcess, listProcArgv, type ProcessLister } from './processes.js';

export interface NodeStatusOptions {
  /** Our extension: the BIRD control socket to ask (else CALICO_BIRD_SOCKET, else Calico's paths). */
  birdSocket?: string;
}

/** Effects, injectable for tests. */
export interface NodeStatusDeps {
  isRoot: () => boolean;
  listProcesses: ProcessLister;
  query: (sockets: readonly string[]) => Promise<BirdQueryResult>;
}

export const defaultNodeStatusDeps: NodeStatusDeps = {
  isRoot: processIsRoot,
  listProcesses: () => listProcArgv(),
  query: (sockets) => queryBirdProtocols(sockets),
};

/** `--bird-socket`, then `CALICO_BIRD_SOCKET`, then `/var/run/calico/bird.ctl` and `/var/run/bird/bird.ctl`. */
export function birdSockets(opts: NodeStatusOptions, env: NodeJS.ProcessEnv): string[] {
  const chosen = opts.birdSocket || env.CALICO_BIRD_SOCKET;
  return chosen ? [chosen] : [...DEFAULT_BIRD_SOCKETS];
}

export async function runNodeStatus(
  io: CtlIO,
  opts: NodeStatusOptions,
  deps: NodeStatusDeps = defaultNodeStatusDeps,
): Promise<void> {
  requireRoot(io, deps.isRoot());

  const processes = await deps.listProcesses();
  if (!processes.some(isCalicoNodeProcess)) throw new CommandError('Calico process is not running.');
  io.stdout('Calico process is running.\n');

  if (!processes.some(isBirdProcess)) {
    io.stdout('\nThe BGP backend process (BIRD) is not running.\n');
  } else {
    const families: Family[] = [4, 6];
    let result: BirdQueryResult | undefined;
    for (const family of families) {
      io.stdout(`\nIPv${family} BGP status\n`);
      try {
        result ??= await deps.query(birdSockets(opts, io.env));
      } catch (e) {
        if (e instanceof BirdReplyError) throw new CommandError(`Error executing command: ${e.message}`);
        throw e;
      }
      if (!result.connected) {
        // No newline, as calicoctl prints it: the next section's leading newline ends the line.
        io.stdout(`Error querying BIRD: unable to connect to BIRDv${family} socket: ${result.error}`);
        continue;
      }
      io.stdout(renderPeerSection(peersOf(result.protocols, family), family));
    }
  }
  // calicoctl ends with an empty line (a table's last border already ends its own line).
  io.stdout('\n');
}
