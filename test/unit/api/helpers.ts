import assert from 'node:assert/strict';
import {
  applyDefaults,
  validateResource,
  API_VERSION,
  type Operation,
  type Resource,
} from '../../../src/api/index.js';
import { ValidationError, type FieldError } from '../../../src/errors/index.js';

/** A resource of `kind` named `name` with the given spec (and optional metadata overrides). */
export function res(kind: string, name: string, spec: object, meta: Resource['metadata'] = {}): Resource {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: { name, ...meta },
    spec: spec as Record<string, unknown>,
  };
}

/** Field errors of validating `r` (defaulted first unless `raw`); [] when valid. */
export function errorsOf(r: Resource, op: Operation = 'create', raw = false): FieldError[] {
  try {
    validateResource(raw ? r : applyDefaults(r), op);
    return [];
  } catch (e) {
    if (e instanceof ValidationError) return e.fields;
    throw e;
  }
}

export function assertValid(r: Resource, op: Operation = 'create'): void {
  assert.deepEqual(errorsOf(r, op), [], `${r.kind}(${r.metadata.name}) should be valid`);
}

/** Asserts that validation fails with an error on `field` whose reason contains `reason`. */
export function assertRejects(r: Resource, field: string, reason: string, op: Operation = 'create'): void {
  const errs = errorsOf(r, op);
  assert.ok(
    errs.some((e) => e.field === field && e.reason.includes(reason)),
    `expected ${field} (${reason}); got ${JSON.stringify(errs.map((e) => `${e.field}: ${e.reason}`))}`,
  );
}
