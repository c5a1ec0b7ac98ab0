import { MAX_TXN_OPS, type KV, type TxnOp } from './backend.js';
import type { TxnFailure } from './errors.js';

export function checkTxnSize(ops: TxnOp[]): void {
  if (ops.length > MAX_TXN_OPS) {
    throw new RangeError(`a transaction takes at most ${MAX_TXN_OPS} operations, got ${ops.length}`);
  }
}

/** Which condition of a transaction op does not hold against the key's current state. */
export function txnFailure(o: TxnOp, current: KV | undefined): TxnFailure['reason'] | undefined {
  if (o.op === 'create') return current ? 'exists' : undefined;
  if (!current) return 'missing';
  if (o.op === 'update' || o.revision !== undefined) {
    return current.modRevision === o.revision ? undefined : 'revision';
  }
  return undefined;
}
