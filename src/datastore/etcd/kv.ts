import type { IKeyValue } from 'etcd3';
import type { KV } from '../backend.js';

/** etcd's wire KV (revisions as decimal strings, bytes as Buffers) to ours. */
export function toKV(kv: IKeyValue): KV {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value ? kv.value.toString('utf8') : '',
    modRevision: BigInt(kv.mod_revision),
    createRevision: BigInt(kv.create_revision),
  };
}
