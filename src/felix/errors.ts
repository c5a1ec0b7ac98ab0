/**
 * Felix's errors: kernel state that could not be read or programmed, and datastore content that
 * cannot be turned into a dataplane. `reason` is the stable, program-facing name.
 */
import { CalicoError, type ErrorCode } from '../errors/index.js';

export type DataplaneErrorReason =
  /** A tool (`ip`, `bridge`, `nft`, `sh`) exited non-zero; the message carries its stderr. */
  | 'command'
  /** A tool did not finish in time. */
  | 'timeout'
  /** A tool could not be started (not installed?). */
  | 'spawn'
  /** A tool printed something we could not parse. */
  | 'parse'
  /** The kernel lacks a feature the desired state needs (e.g. no ipip). */
  | 'unsupported';

export class DataplaneError extends CalicoError {
  constructor(
    readonly reason: DataplaneErrorReason,
    message: string,
    opts: { hint?: string; cause?: unknown; code?: ErrorCode } = {},
  ) {
    super(
      opts.code ?? (reason === 'unsupported' ? 'OPERATION_NOT_SUPPORTED' : 'CONFIG'),
      message,
      opts.hint,
      {
        cause: opts.cause,
      },
    );
    this.name = 'DataplaneError';
  }
}

export function isDataplaneError(e: unknown, reason?: DataplaneErrorReason): e is DataplaneError {
  return e instanceof DataplaneError && (reason === undefined || e.reason === reason);
}

/** The kernel here has no CONFIG_NET_IPIP: IPIP pools are computed but cannot be programmed. */
export const NO_IPIP_MESSAGE =
  'this kernel has no ipip support (CONFIG_NET_IPIP): IPIP pools cannot be programmed; use VXLAN';
