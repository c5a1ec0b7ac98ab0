import assert from 'node:assert/strict';
import { Checker } from '../../../../src/api/check.js';
import type { KindDef } from '../../../../src/api/kind.js';
import { API_VERSION, type Resource } from '../../../../src/api/types.js';
import type { FieldError } from '../../../../src/errors/index.js';

export function res(
  kind: KindDef,
  name: string | undefined,
  spec: object,
  extra: Partial<Resource> = {},
): Resource {
  const metadata = {
    ...(name === undefined ? {} : { name }),
    ...(kind.namespaced ? { namespace: 'default' } : {}),
  };
  return {
    apiVersion: API_VERSION,
    kind: kind.kind,
    metadata,
    spec: spec as Record<string, unknown>,
    ...extra,
  };
}

/** Defaults then validates, as the client does; returns the field errors. */
export function errorsOf(kind: KindDef, r: Resource, opts: { defaults?: boolean } = {}): FieldError[] {
  const c = new Checker();
  const input = opts.defaults === false ? r : kind.defaults(r);
  kind.validate(input, c, 'create');
  const name = input.metadata.name;
  if (name !== undefined && kind.nameRule) {
    const reason = kind.nameRule(name);
    if (reason) c.fail('metadata.name', name, reason);
  }
  return c.errors;
}

export function assertValid(kind: KindDef, r: Resource): void {
  assert.deepEqual(errorsOf(kind, r), []);
}

/** Asserts that one of the errors is at `field` and its reason contains `reason`. */
export function assertError(errors: FieldError[], field: string, reason: string | RegExp): void {
  const hit = errors.find(
    (e) =>
      e.field === field && (typeof reason === 'string' ? e.reason.includes(reason) : reason.test(e.reason)),
  );
  assert.ok(
    hit,
    `expected an error at ${field} matching ${String(reason)}, got ${JSON.stringify(errors, null, 1)}`,
  );
}

export function assertOnlyError(errors: FieldError[], field: string, reason: string | RegExp): void {
  assertError(errors, field, reason);
  assert.equal(errors.length, 1, `expected exactly one error, got ${JSON.stringify(errors, null, 1)}`);
}
