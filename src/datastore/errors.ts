import { CalicoError } from '../errors/index.js';

/** Key-level errors; the client layer turns them into resource-level errors with Kind(name). */
export class KeyExistsError extends CalicoError {
  constructor(
    readonly key: string,
    readonly existing?: import('./backend.js').KV,
  ) {
    super('ALREADY_EXISTS', `key already exists: ${key}`);
    this.name = 'KeyExistsError';
  }
}

export class KeyNotFoundError extends CalicoError {
  constructor(readonly key: string) {
    super('NOT_FOUND', `key does not exist: ${key}`);
    this.name = 'KeyNotFoundError';
  }
}

export class KeyConflictError extends CalicoError {
  constructor(
    readonly key: string,
    readonly current?: import('./backend.js').KV,
  ) {
    super('UPDATE_CONFLICT', `revision conflict on key ${key}`);
    this.name = 'KeyConflictError';
  }
}

export interface TxnFailure {
  index: number;
  key: string;
  reason: 'exists' | 'missing' | 'revision';
  current?: import('./backend.js').KV;
}

/** A multi-key transaction whose conditions did not all hold; nothing was written. */
export class TxnConflictError extends CalicoError {
  constructor(readonly failures: TxnFailure[]) {
    super(
      'UPDATE_CONFLICT',
      `transaction not applied: ${failures.map((f) => `${f.key} (${f.reason})`).join(', ')}`,
    );
    this.name = 'TxnConflictError';
  }
}
