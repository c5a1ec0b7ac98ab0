import { ValidationError, type FieldError, type ResourceRef } from '../errors/index.js';

/**
 * Collects field errors while a resource is validated, so that one pass reports every broken
 * field (as Calico's ErrorValidation does). Paths are JSON paths such as `spec.ingress[0].action`.
 */
export class Checker {
  readonly errors: FieldError[] = [];

  constructor(readonly resource?: ResourceRef) {}

  fail(field: string, value: unknown, reason: string): void {
    this.errors.push({ field, value, reason });
  }

  /** Records a failure when `ok` is false; returns `ok` so callers can skip dependent checks. */
  expect(ok: boolean, field: string, value: unknown, reason: string): boolean {
    if (!ok) this.fail(field, value, reason);
    return ok;
  }

  get ok(): boolean {
    return this.errors.length === 0;
  }

  /** Throws a ValidationError naming every failed field, if any. */
  throwIfErrors(): void {
    if (this.errors.length > 0) throw new ValidationError(this.errors, this.resource);
  }
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}
