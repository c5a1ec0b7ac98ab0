/** Why startup stopped: a stable `reason` for programs, Calico's words in the message, a hint for people. */
import { CalicoError, type ErrorCode } from '../../errors/index.js';

export type StartupErrorReason =
  'autodetectFailed' | 'noAddress' | 'ipConflict' | 'poolCreate' | 'tunnelAllocation' | 'nodeWrite';

export class StartupError extends CalicoError {
  constructor(
    readonly reason: StartupErrorReason,
    message: string,
    opts: { code?: ErrorCode; hint?: string; cause?: unknown } = {},
  ) {
    super(opts.code ?? 'CONFIG', message, opts.hint, { cause: opts.cause });
    this.name = 'StartupError';
  }
}

export function isStartupError(e: unknown, reason?: StartupErrorReason): e is StartupError {
  return e instanceof StartupError && (reason === undefined || e.reason === reason);
}
