/**
 * confd's errors: rendering options BIRD cannot express, configurations BIRD rejects, and failures
 * talking to or running BIRD. `reason` is the stable, program-facing name; messages carry BIRD's own
 * words where it gave any.
 */
import { CalicoError, type ErrorCode } from '../errors/index.js';

export type BirdErrorReason =
  /** A render option is malformed (e.g. a router id that is not IPv4). */
  | 'invalidOption'
  /** BIRD refused the configuration (parse check or `configure`); the previous one stays active. */
  | 'rejected'
  /** The control socket could not be reached. */
  | 'unreachable'
  /** The control socket answered something we could not parse. */
  | 'protocol'
  | 'timeout'
  /** bird/birdc could not be started, or BIRD exited while starting. */
  | 'spawn';

export class BirdError extends CalicoError {
  constructor(
    readonly reason: BirdErrorReason,
    message: string,
    opts: { hint?: string; cause?: unknown; code?: ErrorCode } = {},
  ) {
    // The catalogue has no BGP-specific code yet: these are all configuration-side problems.
    super(opts.code ?? 'CONFIG', message, opts.hint, { cause: opts.cause });
    this.name = 'BirdError';
  }
}

export function isBirdError(e: unknown, reason?: BirdErrorReason): e is BirdError {
  return e instanceof BirdError && (reason === undefined || e.reason === reason);
}
