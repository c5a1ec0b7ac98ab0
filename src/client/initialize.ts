import { randomBytes } from 'node:crypto';
import { API_VERSION, BUILTIN_TIERS, type Resource } from '../api/index.js';
import { isCalicoError } from '../errors/index.js';
import type { Client } from './client.js';

interface ClusterInfoSpec {
  clusterGUID?: string;
  clusterType?: string;
  calicoVersion?: string;
  datastoreReady?: boolean;
  variant?: string;
}

/**
 * Calico's EnsureInitialized: ClusterInformation `default` (created with a random GUID and
 * datastoreReady, or updated: version set, GUID/ready filled, cluster types unioned, never removed)
 * and the built-in tiers (create-if-absent). Safe to race with other callers.
 */
export async function ensureInitialized(client: Client, version: string, clusterType: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await ensureClusterInformation(client, version, clusterType);
      break;
    } catch (e) {
      if (!isCalicoError(e, 'ALREADY_EXISTS') && !isCalicoError(e, 'UPDATE_CONFLICT')) throw e;
    }
  }
  for (const tier of BUILTIN_TIERS) {
    try {
      await client.create(structuredClone(tier));
    } catch (e) {
      if (!isCalicoError(e, 'ALREADY_EXISTS')) throw e;
    }
  }
}

async function ensureClusterInformation(client: Client, version: string, clusterType: string): Promise<void> {
  let current: Resource | undefined;
  try {
    current = await client.get('ClusterInformation', 'default');
  } catch (e) {
    if (!isCalicoError(e, 'NOT_FOUND')) throw e;
  }
  if (!current) {
    const spec: ClusterInfoSpec = {
      clusterGUID: randomBytes(16).toString('hex'),
      clusterType: clusterType || undefined,
      calicoVersion: version || undefined,
      datastoreReady: true,
    };
    await client.create({
      apiVersion: API_VERSION,
      kind: 'ClusterInformation',
      metadata: { name: 'default' },
      spec: spec as Record<string, unknown>,
    });
    return;
  }
  const spec = { ...(current.spec ?? {}) } as ClusterInfoSpec;
  let changed = false;
  if (version && spec.calicoVersion !== version) {
    spec.calicoVersion = version;
    changed = true;
  }
  if (!spec.clusterGUID) {
    spec.clusterGUID = randomBytes(16).toString('hex');
    changed = true;
  }
  if (spec.datastoreReady === undefined) {
    spec.datastoreReady = true;
    changed = true;
  }
  const types = (spec.clusterType ?? '').split(',').filter(Boolean);
  for (const t of clusterType.split(',').filter(Boolean)) {
    if (!types.includes(t)) {
      types.push(t);
      changed = true;
    }
  }
  if (!changed) return;
  spec.clusterType = types.join(',') || undefined;
  await client.update({ ...current, spec: spec as Record<string, unknown> });
}
