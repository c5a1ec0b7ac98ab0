export type { Backend, KV, ListResult, Watch, WatchEvent, WatchOptions } from './backend.js';
export { KeyConflictError, KeyExistsError, KeyNotFoundError } from './errors.js';
export { MemoryBackend } from './memory/memory-backend.js';
export { EtcdBackend, type EtcdBackendOptions } from './etcd/etcd-backend.js';
