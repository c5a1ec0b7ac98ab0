export type { Backend, KV, ListResult, TxnOp, Watch, WatchEvent, WatchOptions } from './backend.js';
export { MAX_TXN_OPS } from './backend.js';
export {
  KeyConflictError,
  KeyExistsError,
  KeyNotFoundError,
  TxnConflictError,
  type TxnFailure,
} from './errors.js';
export { MemoryBackend } from './memory/memory-backend.js';
export { EtcdBackend, type EtcdBackendOptions } from './etcd/etcd-backend.js';
export {
  createBackend,
  DEFAULT_CONFIG_FILE,
  loadDatastoreConfig,
  parseEndpoints,
  type BackendTimeouts,
  type DatastoreConfig,
  type LoadDatastoreConfigOptions,
} from './config.js';
