/**
 * Listings the ipam commands need in bulk: every block, every handle with the mod revision a later
 * delete is conditioned on, and the resources (pools, reservations, nodes, endpoints) the reports
 * are computed against.
 */
import type { Resource } from '../../../api/index.js';
import type { Client } from '../../../client/index.js';
import type { IPAMClient } from '../../../ipam/ipam-client.js';
import type { AllocationBlock } from '../../../ipam/model.js';
import type { HandleRecord } from './checker.js';

/** IPv4 blocks then IPv6 blocks, each in key order; soft-deleted blocks are left out. */
export async function listBlocks(ipam: IPAMClient): Promise<AllocationBlock[]> {
  const out: AllocationBlock[] = [];
  for (const family of [4, 6] as const) {
    for (const b of await ipam.listBlocks(family)) if (!b.block.deleted) out.push(b.block);
  }
  return out;
}

export async function listHandles(ipam: IPAMClient): Promise<HandleRecord[]> {
  return (await ipam.listHandles()).map((h) => ({ id: h.handleId, revision: h.revision.toString() }));
}

export async function listResources(client: Client, kind: string): Promise<Resource[]> {
  return (await client.list(kind)).items;
}

/** Wraps a listing's failure in the words calicoctl uses ("failed to list IPAM blocks: ..."). */
export function described<T>(what: string, load: () => Promise<T>): () => Promise<T> {
  return async () => {
    try {
      return await load();
    } catch (e) {
      throw new Error(`failed to ${what}: ${(e as Error).message}`, { cause: e });
    }
  };
}
