/**
 * Builds the renderer's input from the datastore: every Node, BGPConfiguration, BGPPeer and IPPool
 * through the typed client, and this node's block affinities straight from IPAM's keys
 * (`/calico/ipam/v2/host/<node>/ipv4/block/<cidr>`, same for ipv6).
 */
import type { BGPConfiguration, BGPPeer, IPPool, Node } from '../api/index.js';
import type { Client } from '../client/index.js';
import type { Backend } from '../datastore/index.js';
import { IPAM_ROOT, type BlockAffinityValue } from '../ipam/model.js';
import { formatCIDR, keySegmentToCIDR } from '../net/index.js';
import type { BirdInput, BirdRenderOptions, SecretValues } from './render/index.js';

export interface BuildInputOptions {
  secrets?: SecretValues;
  render?: BirdRenderOptions;
}

/** The prefix under which IPAM keeps this host's affinities (both families). */
export function hostAffinityRoot(nodeName: string): string {
  return `${IPAM_ROOT}/host/${nodeName}/`;
}

export async function buildBirdInput(
  client: Client,
  nodeName: string,
  opts: BuildInputOptions = {},
): Promise<BirdInput> {
  const [nodes, configs, peers, pools, blocks] = await Promise.all([
    client.list('Node'),
    client.list('BGPConfiguration'),
    client.list('BGPPeer'),
    client.list('IPPool'),
    affineBlocks(client.backend, nodeName),
  ]);
  return {
    nodeName,
    nodes: nodes.items as Node[],
    bgpConfigurations: configs.items as BGPConfiguration[],
    bgpPeers: peers.items as BGPPeer[],
    ipPools: pools.items as unknown as IPPool[],
    blocks,
    secrets: opts.secrets,
    options: opts.render,
  };
}

/**
 * CIDRs of the blocks affine to `nodeName` that count for BGP: affinity state `confirmed` or empty
 * (Calico's "implicitly confirmed"); `pending` and `pendingDeletion` claims are not advertised.
 */
export async function affineBlocks(backend: Backend, nodeName: string): Promise<string[]> {
  const root = hostAffinityRoot(nodeName);
  const { items } = await backend.list(root);
  const out: string[] = [];
  for (const kv of items) {
    const m = /^ipv[46]\/block\/([^/]+)$/.exec(kv.key.slice(root.length));
    if (!m || !affinityCounts(kv.value)) continue;
    try {
      out.push(formatCIDR(keySegmentToCIDR(m[1])));
    } catch {
      // Not a block key IPAM would write: ignore it rather than fail the whole render.
    }
  }
  return out.sort();
}

/** True for an affinity value that is confirmed (an empty value or no state reads as confirmed). */
export function affinityCounts(value: string): boolean {
  let v: BlockAffinityValue = {};
  if (value.trim() !== '') {
    try {
      v = JSON.parse(value) as BlockAffinityValue;
    } catch {
      return false;
    }
  }
  if (v.deleted) return false;
  return v.state === undefined || v.state === '' || v.state === 'confirmed';
}
