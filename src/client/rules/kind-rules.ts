import type { Resource } from '../../api/index.js';
import type { Client, ListOptions } from '../client.js';

/** Cross-resource rules of one kind: what the pure api layer cannot check alone. */
export interface KindRules {
  beforeCreate?(client: Client, r: Resource): Promise<void>;
  beforeUpdate?(client: Client, current: Resource, r: Resource): Promise<void>;
  /** May refuse, or do preparatory writes; returns the resourceVersion the delete must use. */
  beforeDelete?(client: Client, current: Resource, resourceVersion?: string): Promise<string | undefined>;
  afterDelete?(client: Client, previous: Resource): Promise<void>;
  /** Objects that exist without being stored (Profile projectcalico-default-allow). */
  synthetic?(name: string): Resource | undefined;
  syntheticList?(options: ListOptions): Resource[];
}
