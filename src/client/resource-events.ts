import type { Resource } from '../api/index.js';

export type ResourceEvent =
  | { type: 'ADDED'; object: Resource }
  | { type: 'MODIFIED'; object: Resource; previous?: Resource }
  | { type: 'DELETED'; previous: Resource }
  | { type: 'ERROR'; error: Error };

export interface ResourceWatch extends AsyncIterable<ResourceEvent> {
  close(): Promise<void>;
}
