export type { Backend, KV, ListResult, Watch, WatchEvent, WatchOptions } from './backend.js';
export { KeyConflictError, KeyExistsError, KeyNotFoundError } from './errors.js';
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
