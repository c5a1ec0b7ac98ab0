import { KeyConflictError, KeyExistsError, KeyNotFoundError } from '../datastore/errors.js';
import { AlreadyExistsError, NotFoundError, UpdateConflictError, type ResourceRef } from '../errors/index.js';

/** Re-raises key-level datastore errors as resource-level ones naming Kind(name). */
export function resourceError(e: unknown, ref: ResourceRef): unknown {
  if (e instanceof KeyExistsError) return new AlreadyExistsError(ref);
  if (e instanceof KeyNotFoundError) return new NotFoundError(ref);
  if (e instanceof KeyConflictError) return new UpdateConflictError(ref);
  return e;
}
