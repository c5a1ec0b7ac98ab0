/**
 * The error catalogue. Every error the project raises on purpose is a CalicoError with a stable
 * `code` (for programs), a message (what was wrong, in Calico's words where Calico has words for it)
 * and an optional hint (what to do).
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'ALREADY_EXISTS'
  | 'NOT_FOUND'
  | 'UPDATE_CONFLICT'
  | 'OPERATION_NOT_SUPPORTED'
  | 'DATASTORE'
  | 'DATASTORE_TIMEOUT'
  | 'SELECTOR_PARSE'
  | 'DECODE'
  | 'CONFIG'
  | 'USAGE'
  /** IPAM could not do what was asked (no pool, block limit, retries exhausted, ...): see IPAMError.reason. */
  | 'IPAM';

export class CalicoError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CalicoError';
  }
}

/** Identifies a resource in messages the way Calico does: `Kind(name)` or `Kind(ns/name)`. */
export interface ResourceRef {
  kind: string;
  name: string;
  namespace?: string;
}

export function refString(ref: ResourceRef): string {
  return ref.namespace ? `${ref.kind}(${ref.namespace}/${ref.name})` : `${ref.kind}(${ref.name})`;
}

/** One invalid field: its JSON path (e.g. `spec.cidr`), the offending value and the rule it broke. */
export interface FieldError {
  field: string;
  value?: unknown;
  reason: string;
}

function showValue(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/**
 * Calico's ErrorValidation: `error with field <f> = '<v>' (<reason>)` for one field,
 * a list for several. We prefix the resource so the message says which document was wrong.
 */
export class ValidationError extends CalicoError {
  constructor(
    readonly fields: FieldError[],
    readonly resource?: ResourceRef,
  ) {
    super('VALIDATION', ValidationError.format(fields, resource));
    this.name = 'ValidationError';
  }

  static format(fields: FieldError[], resource?: ResourceRef): string {
    const who = resource ? `${refString(resource)}: ` : '';
    const one = (f: FieldError) =>
      f.value === undefined
        ? `${f.field} (${f.reason})`
        : `${f.field} = '${showValue(f.value)}' (${f.reason})`;
    if (fields.length === 1) return `${who}error with field ${one(fields[0])}`;
    return `${who}error with the following fields:\n${fields.map((f) => `-  ${one(f)}`).join('\n')}`;
  }
}

export class AlreadyExistsError extends CalicoError {
  constructor(readonly resource: ResourceRef) {
    super('ALREADY_EXISTS', `resource already exists: ${refString(resource)} with error: <nil>`);
    this.name = 'AlreadyExistsError';
  }
}

export class NotFoundError extends CalicoError {
  constructor(readonly resource: ResourceRef) {
    super('NOT_FOUND', `resource does not exist: ${refString(resource)} with error: <nil>`);
    this.name = 'NotFoundError';
  }
}

export class UpdateConflictError extends CalicoError {
  constructor(
    readonly resource: ResourceRef,
    detail?: string,
  ) {
    super(
      'UPDATE_CONFLICT',
      `update conflict: ${refString(resource)}${detail ? `: ${detail}` : ''}`,
      'read the resource again and retry with its current resourceVersion',
    );
    this.name = 'UpdateConflictError';
  }
}

export class OperationNotSupportedError extends CalicoError {
  constructor(operation: string, identifier: string, reason: string) {
    super('OPERATION_NOT_SUPPORTED', `operation ${operation} is not supported on ${identifier}: ${reason}`);
    this.name = 'OperationNotSupportedError';
  }
}

export class DatastoreError extends CalicoError {
  constructor(
    message: string,
    hint?: string,
    cause?: unknown,
    code: 'DATASTORE' | 'DATASTORE_TIMEOUT' = 'DATASTORE',
  ) {
    super(code, message, hint, { cause });
    this.name = 'DatastoreError';
  }
}

export function isCalicoError(e: unknown, code?: ErrorCode): e is CalicoError {
  return e instanceof CalicoError && (code === undefined || e.code === code);
}
