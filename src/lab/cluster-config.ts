/**
 * The Calico resources a lab starts with, written before any calico-node runs so that every node
 * sees the final picture at once: the pod pool (TEST-NET-3, VXLAN Always or CrossSubnet in vxlan
 * mode, NAT outgoing when the lab has a router to leave through), the default
 * BGPConfiguration, the route-reflector peerings, and the ToR as a global BGPPeer. Route-reflector
 * nodes get their label and cluster ID once calico-node has created their Node resource.
 */
import type { BGPConfiguration, BGPPeer, IPPool, Node, Resource } from '../api/index.js';
import { Client } from '../client/index.js';
import { EtcdBackend } from '../datastore/index.js';
import { isCalicoError } from '../errors/index.js';
import { LabError } from './lab-error.js';
import {
  GATEWAY_IP,
  NODE_AS,
  POD_BLOCK_SIZE,
  POD_POOL_CIDR,
  RR_CLUSTER_ID,
  RR_LABEL,
  TOR_AS,
} from './names.js';
import type { LabMode } from './state.js';

const V3 = 'projectcalico.org/v3';

export type VxlanMode = 'Always' | 'CrossSubnet';

export interface ClusterPlan {
  mode: LabMode;
  routeReflectors: number;
  tor: boolean;
  /** The pool's vxlanMode in VXLAN mode (default Always). */
  vxlanMode?: VxlanMode;
  /** Masquerade pod traffic leaving the pools (only a lab with a router has somewhere to send it). */
  natOutgoing?: boolean;
}

/** A typed resource as the client takes it (specs are plain JSON objects there). */
function untyped<S extends object>(r: Resource<S>): Resource {
  return { ...r, spec: r.spec as Record<string, unknown> | undefined };
}

export function openClient(endpoint: string): Client {
  return new Client(
    new EtcdBackend({ endpoints: [endpoint], dialTimeoutMs: 5000, requestTimeoutMs: 10_000 }),
  );
}

/** The resources of a plan (pure, so the recipe can be read and tested on its own). */
export function clusterResources(plan: ClusterPlan): Resource[] {
  const pool: IPPool = {
    apiVersion: V3,
    kind: 'IPPool',
    metadata: { name: 'default-ipv4-ippool' },
    spec: {
      cidr: POD_POOL_CIDR,
      blockSize: POD_BLOCK_SIZE,
      ipipMode: 'Never',
      vxlanMode: plan.mode === 'vxlan' ? (plan.vxlanMode ?? 'Always') : 'Never',
      // A one-subnet lab has no way out: nothing to masquerade for.
      natOutgoing: plan.natOutgoing ?? false,
      nodeSelector: 'all()',
    },
  };
  const bgp: BGPConfiguration = {
    apiVersion: V3,
    kind: 'BGPConfiguration',
    metadata: { name: 'default' },
    spec: {
      logSeverityScreen: 'Info',
      asNumber: NODE_AS,
      // Calico's route-reflector recipe: reflectors replace the full mesh.
      nodeToNodeMeshEnabled: !(plan.mode === 'bgp' && plan.routeReflectors > 0),
    },
  };
  const out: Resource[] = [untyped(pool), untyped(bgp)];
  if (plan.mode === 'bgp' && plan.routeReflectors > 0) {
    const peer = (name: string, nodeSelector: string): BGPPeer => ({
      apiVersion: V3,
      kind: 'BGPPeer',
      metadata: { name },
      spec: { nodeSelector, peerSelector: `has(${RR_LABEL})` },
    });
    // Clients peer with every reflector; reflectors peer with each other.
    out.push(
      untyped(peer('peer-with-route-reflectors', `!has(${RR_LABEL})`)),
      untyped(peer('route-reflector-mesh', `has(${RR_LABEL})`)),
    );
  }
  if (plan.mode === 'bgp' && plan.tor) {
    const tor: BGPPeer = {
      apiVersion: V3,
      kind: 'BGPPeer',
      metadata: { name: 'tor' },
      spec: { peerIP: GATEWAY_IP, asNumber: TOR_AS },
    };
    out.push(untyped(tor));
  }
  return out;
}

export async function writeClusterConfig(client: Client, plan: ClusterPlan): Promise<void> {
  for (const r of clusterResources(plan)) await client.create(r);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits for calico-node's startup to create a Node resource; `stillWorth` throws to give up early. */
export async function waitForNode(
  client: Client,
  name: string,
  timeoutMs: number,
  stillWorth: () => void = () => undefined,
): Promise<Node> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    stillWorth();
    try {
      return (await client.get('Node', name)) as Node;
    } catch (e) {
      if (!isCalicoError(e, 'NOT_FOUND')) throw e;
    }
    if (Date.now() > deadline) {
      throw new LabError(
        `calico-node on ${name} did not create its Node resource within ${timeoutMs / 1000} s`,
      );
    }
    await sleep(100);
  }
}

/** Makes a node a route reflector: the label the BGPPeers select, and a cluster ID. */
export async function makeRouteReflector(client: Client, name: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const node = (await client.get('Node', name)) as Node;
    node.metadata.labels = { ...(node.metadata.labels ?? {}), [RR_LABEL]: '' };
    node.spec = {
      ...(node.spec ?? {}),
      bgp: { ...(node.spec?.bgp ?? {}), routeReflectorClusterID: RR_CLUSTER_ID },
    };
    try {
      await client.update(untyped(node));
      return;
    } catch (e) {
      // calico-node may update its Node at the same moment: read again and retry.
      if (!isCalicoError(e, 'UPDATE_CONFLICT') || attempt >= 10) throw e;
    }
  }
}
