/**
 * IPAM's errors. Messages are Calico's words (callers and users grep for them); `reason` is the
 * stable, program-facing name. Conflicts, duplicates and missing objects use the shared codes
 * (UPDATE_CONFLICT, ALREADY_EXISTS, NOT_FOUND) so generic callers treat them like other resources.
 */
import { CalicoError, type ErrorCode } from '../errors/index.js';
import type { AutoAssignResult } from './ipam-interface.js';

export type IPAMErrorReason =
  | 'useRequired'
  | 'noQualifiedPool'
  | 'poolNotEnabled'
  | 'noPoolsForNode'
  | 'wrongFamily'
  | 'blockLimit'
  | 'noFreeBlocks'
  | 'autoAllocateDisabled'
  | 'maxRetries'
  | 'affinityMismatch'
  | 'notInPool'
  | 'notAllowedUse'
  | 'alreadyAssigned'
  | 'badSequenceNumber'
  | 'badHandle'
  | 'blockClaimConflict'
  | 'staleAffinity'
  | 'blockNotEmpty'
  | 'blockChanged'
  | 'inCooldown'
  | 'invalidConfig'
  | 'invalidArgument'
  | 'handleInconsistent'
  /** A non-IPAM error (datastore, abort) cut an AutoAssign short; `cause` is the original. */
  | 'interrupted';

export class IPAMError extends CalicoError {
  /** What was assigned before the failure (AutoAssign's block-limit error carries it, as Calico's does). */
  readonly partial?: AutoAssignResult;

  constructor(
    readonly reason: IPAMErrorReason,
    message: string,
    opts: { code?: ErrorCode; hint?: string; cause?: unknown; partial?: AutoAssignResult } = {},
  ) {
    super(opts.code ?? 'IPAM', message, opts.hint, { cause: opts.cause });
    this.name = 'IPAMError';
    this.partial = opts.partial;
  }
}

export function isIPAMError(e: unknown, reason?: IPAMErrorReason): e is IPAMError {
  return e instanceof IPAMError && (reason === undefined || e.reason === reason);
}

export const MAX_RETRIES_MESSAGE = 'Max retries hit - excessive concurrent IPAM requests';

export function maxRetriesError(): IPAMError {
  return new IPAMError('maxRetries', MAX_RETRIES_MESSAGE, {
    hint: 'too many concurrent writers on the same IPAM blocks; retry later',
  });
}

/** Calico's ErrorResourceUpdateConflict{Identifier: ip, Err: ErrorBadSequenceNumber}. */
export function badSequenceNumber(address: string, requested: bigint, expected: bigint): IPAMError {
  const detail = new IPAMError(
    'badSequenceNumber',
    `the given sequence number (${requested}) does not match (${expected}) when attempting to release IP`,
  );
  return new IPAMError('badSequenceNumber', `update conflict: ${address}`, {
    code: 'UPDATE_CONFLICT',
    cause: detail,
    hint: detail.message,
  });
}

/** Calico's ErrorResourceUpdateConflict{Identifier: ip, Err: ErrorBadHandle}. */
export function badHandle(address: string, requested: string, expected: string): IPAMError {
  const detail = new IPAMError(
    'badHandle',
    `the given handle (${requested}) does not match (${expected}) when attempting to release IP`,
  );
  return new IPAMError('badHandle', `update conflict: ${address}`, {
    code: 'UPDATE_CONFLICT',
    cause: detail,
    hint: detail.message,
  });
}
