/**
 * Asks BIRD for `show protocols` the way `calicoctl node status` needs it: try the control sockets
 * in order, and tell "could not connect" (printed, the command goes on) apart from a BIRD that
 * answered badly (the command fails).
 */
import { getSystemErrorMap } from 'node:util';
import { BirdControl, parseShowProtocols, type BirdProtocol } from '../../../confd/birdc.js';
import { isBirdError } from '../../../confd/errors.js';

/** Calico's socket, then BIRD's packaged default for non-containerised installs. */
export const DEFAULT_BIRD_SOCKETS = ['/var/run/calico/bird.ctl', '/var/run/bird/bird.ctl'];

export type BirdQueryResult =
  | { connected: true; protocols: BirdProtocol[] }
  /** `error` reads like Go's net.Dial error, e.g. `dial unix /x.ctl: connect: no such file or directory`. */
  | { connected: false; error: string };

/** Thrown when BIRD was reached but its reply could not be used. */
export class BirdReplyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BirdReplyError';
  }
}

/** Queries the first socket that accepts a connection; `timeoutMs` bounds the greeting and the reply. */
export async function queryBirdProtocols(
  sockets: readonly string[],
  timeoutMs = 2000,
): Promise<BirdQueryResult> {
  let lastError = 'no BIRD control socket configured';
  for (const path of sockets) {
    let ctl: BirdControl;
    try {
      ctl = await BirdControl.connect(path, { timeoutMs });
    } catch (e) {
      const dial = dialError(path, e);
      if (dial === undefined) throw new BirdReplyError(message(e), { cause: e });
      lastError = dial;
      continue;
    }
    try {
      return { connected: true, protocols: parseShowProtocols(await ctl.command('show protocols')) };
    } catch (e) {
      throw new BirdReplyError(message(e), { cause: e });
    } finally {
      ctl.close();
    }
  }
  return { connected: false, error: lastError };
}

/** Go-style text for a failed connect(2), or undefined when the failure came after connecting. */
function dialError(path: string, e: unknown): string | undefined {
  if (!isBirdError(e, 'unreachable')) return undefined;
  const cause = e.cause as NodeJS.ErrnoException | undefined;
  if (cause?.syscall !== 'connect' || typeof cause.errno !== 'number') return undefined;
  // libuv's messages are strerror's lower-case words, the same text Go prints.
  const text = getSystemErrorMap().get(cause.errno)?.[1] ?? cause.code ?? 'unknown error';
  return `dial unix ${path}: connect: ${text}`;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
