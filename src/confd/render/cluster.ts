/**
 * The cluster as confd sees it: every node's BGP identity with Calico's defaults filled in (global
 * AS 64512, mesh on, per-node listen port over the global one), indexed for the peer computation.
 */
import {
  DEFAULT_AS_NUMBER,
  parseASNumber,
  type BGPConfiguration,
  type BGPConfigurationSpec,
} from '../../api/index.js';
import { formatCIDR, formatIP, maskCIDR, tryParseCIDR, tryParseIP, type IPFamily } from '../../net/index.js';
import type { BirdInput, LocalFamily } from './types.js';

const PER_NODE_PREFIX = 'node.';

export interface NodeFacts {
  name: string;
  labels: Readonly<Record<string, string>>;
  v4?: LocalFamily;
  v6?: LocalFamily;
  /** The node's own AS, or the global AS. */
  asNumber: number;
  /** Set on route reflectors. */
  clusterId?: string;
  /** `listenPort` of `node.<name>`, else of `default`; undefined means BIRD's 179. */
  listenPort?: number;
}

/** Parses a Node's `ipv4Address`/`ipv6Address` (`10.0.0.5/24`, host bits allowed). */
export function nodeAddress(text: string | undefined, family: IPFamily): LocalFamily | undefined {
  if (!text) return undefined;
  const c = tryParseCIDR(text) ?? tryParseCIDR(text, { allowBareIP: true });
  if (!c || c.family !== family) return undefined;
  return {
    family,
    ip: formatIP({ family, value: c.addr }),
    network: formatCIDR(maskCIDR(c)),
  };
}

/** Canonical text of an IP (`FD00::0:2` → `fd00::2`), or undefined. */
export function canonicalIP(text: string): string | undefined {
  const a = tryParseIP(text);
  return a ? formatIP(a) : undefined;
}

export class ClusterView {
  readonly globalAS: number;
  readonly meshEnabled: boolean;
  readonly global: BGPConfigurationSpec;
  /** `node.<this node>`, or empty. */
  readonly perNode: BGPConfigurationSpec;
  /** Every node with at least a name, sorted by name. */
  readonly nodes: readonly NodeFacts[];
  readonly self: NodeFacts | undefined;
  private readonly byIP = new Map<string, NodeFacts>();
  private readonly configs = new Map<string, BGPConfigurationSpec>();

  constructor(input: BirdInput) {
    for (const c of input.bgpConfigurations) {
      if (c.metadata.name) this.configs.set(c.metadata.name, configSpec(c));
    }
    this.global = this.configs.get('default') ?? {};
    this.perNode = this.configs.get(PER_NODE_PREFIX + input.nodeName) ?? {};
    this.globalAS = parseASNumber(this.global.asNumber) ?? DEFAULT_AS_NUMBER;
    this.meshEnabled = this.global.nodeToNodeMeshEnabled !== false;
    const nodes: NodeFacts[] = [];
    for (const n of input.nodes) {
      const name = n.metadata.name;
      if (!name) continue;
      const bgp = n.spec?.bgp ?? {};
      const facts: NodeFacts = {
        name,
        labels: n.metadata.labels ?? {},
        v4: nodeAddress(bgp.ipv4Address, 4),
        v6: nodeAddress(bgp.ipv6Address, 6),
        asNumber: parseASNumber(bgp.asNumber) ?? this.globalAS,
        clusterId: bgp.routeReflectorClusterID || undefined,
        listenPort: this.listenPortOf(name),
      };
      nodes.push(facts);
    }
    nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.nodes = nodes;
    for (const n of nodes) {
      for (const a of [n.v4, n.v6]) if (a && !this.byIP.has(a.ip)) this.byIP.set(a.ip, n);
    }
    this.self = nodes.find((n) => n.name === input.nodeName);
  }

  /** The Calico node owning this (canonical) address, if any. */
  nodeWithIP(ip: string): NodeFacts | undefined {
    return this.byIP.get(ip);
  }

  /** Per-node setting over the global one (Calico's host-specific v1 keys). */
  setting<K extends keyof BGPConfigurationSpec>(key: K): BGPConfigurationSpec[K] {
    return this.perNode[key] ?? this.global[key];
  }

  private listenPortOf(nodeName: string): number | undefined {
    const port = this.configs.get(PER_NODE_PREFIX + nodeName)?.listenPort ?? this.global.listenPort;
    return port ? port : undefined;
  }
}

export function addressOf(n: NodeFacts, family: IPFamily): LocalFamily | undefined {
  return family === 4 ? n.v4 : n.v6;
}

function configSpec(c: BGPConfiguration): BGPConfigurationSpec {
  return c.spec ?? {};
}
