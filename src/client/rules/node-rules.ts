import { isCalicoError } from '../../errors/index.js';
import { ensureInitialized } from '../initialize.js';
import type { Client } from '../client.js';
import type { KindRules } from './kind-rules.js';

async function ignoreMissing(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!isCalicoError(e, 'NOT_FOUND') && !isCalicoError(e, 'OPERATION_NOT_SUPPORTED')) throw e;
  }
}

async function deleteWhereNode(client: Client, kind: string, node: string): Promise<void> {
  for (const r of (await client.list(kind)).items) {
    if ((r.spec as { node?: string } | undefined)?.node === node) {
      await ignoreMissing(client.delete(kind, r.metadata.name!, r.metadata.namespace));
    }
  }
}

export const nodeRules: KindRules = {
  async beforeCreate(client) {
    await ensureInitialized(client, '', '').catch(() => undefined);
  },
  /** Calico cascades a Node delete to everything that names the node. IP release joins with IPAM. */
  async afterDelete(client, previous) {
    const node = previous.metadata.name!;
    await deleteWhereNode(client, 'WorkloadEndpoint', node);
    await deleteWhereNode(client, 'BGPPeer', node);
    await deleteWhereNode(client, 'HostEndpoint', node);
    await ignoreMissing(client.delete('FelixConfiguration', `node.${node}`));
    await ignoreMissing(client.delete('BGPConfiguration', `node.${node}`));
  },
};
