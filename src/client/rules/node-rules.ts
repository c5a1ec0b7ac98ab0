import { isCalicoError } from '../../errors/index.js';
import { ensureInitialized } from '../initialize.js';
import type { Resource } from '../../api/index.js';
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

interface NodeAddressView {
  bgp?: { ipv4IPIPTunnelAddr?: string };
  ipv4VXLANTunnelAddr?: string;
  ipv6VXLANTunnelAddr?: string;
  wireguard?: { interfaceIPv4Address?: string; interfaceIPv6Address?: string };
}

/** The node's workload addresses (from its endpoints) and tunnel addresses, without prefixes. */
async function nodeAddresses(client: Client, previous: Resource, node: string): Promise<string[]> {
  const out: string[] = [];
  for (const wep of (await client.list('WorkloadEndpoint')).items) {
    const spec = wep.spec as { node?: string; ipNetworks?: string[] } | undefined;
    if (spec?.node !== node) continue;
    for (const net of spec.ipNetworks ?? []) out.push(net.split('/')[0]);
  }
  const spec = (previous.spec ?? {}) as NodeAddressView;
  for (const a of [
    spec.bgp?.ipv4IPIPTunnelAddr,
    spec.ipv4VXLANTunnelAddr,
    spec.ipv6VXLANTunnelAddr,
    spec.wireguard?.interfaceIPv4Address,
    spec.wireguard?.interfaceIPv6Address,
  ]) {
    if (a) out.push(a.split('/')[0]);
  }
  return out;
}

export const nodeRules: KindRules = {
  async beforeCreate(client) {
    await ensureInitialized(client, '', '').catch(() => undefined);
  },
  /**
   * Calico cascades a Node delete to everything that names the node: its addresses are released in
   * IPAM (workload and tunnel addresses, then its block affinities), then its endpoints, peers and
   * per-node configuration are deleted.
   */
  async afterDelete(client, previous) {
    const node = previous.metadata.name!;
    if (client.ipamHooks) {
      await client.ipamHooks.releaseNodeIPAM(node, await nodeAddresses(client, previous, node));
    }
    await deleteWhereNode(client, 'WorkloadEndpoint', node);
    await deleteWhereNode(client, 'BGPPeer', node);
    await deleteWhereNode(client, 'HostEndpoint', node);
    await ignoreMissing(client.delete('FelixConfiguration', `node.${node}`));
    await ignoreMissing(client.delete('BGPConfiguration', `node.${node}`));
  },
};
