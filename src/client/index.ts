export { Client, type ClientOptions, type ListOptions } from './client.js';
export type { ResourceEvent, ResourceWatch } from './resource-events.js';
export { ensureInitialized } from './initialize.js';
export { resourceKey, listPrefix, RESOURCE_ROOT } from './keys.js';
export { toStorage, fromStorage } from './storage.js';
