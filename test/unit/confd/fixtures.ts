/** Resource builders and text helpers shared by the renderer's unit tests. */
import type {
  BGPConfiguration,
  BGPConfigurationSpec,
  BGPPeer,
  BGPPeerSpec,
  IPPool,
  IPPoolSpec,
  Node,
  NodeBGPSpec,
} from '../../../src/api/index.js';
import type { Resource } from '../../../src/api/index.js';
import type { BirdInput } from '../../../src/confd/index.js';

const V = 'projectcalico.org/v3';

export function node(name: string, bgp: NodeBGPSpec, labels: Record<string, string> = {}): Node {
  return { apiVersion: V, kind: 'Node', metadata: { name, labels }, spec: { bgp } };
}

export function peer(name: string, spec: BGPPeerSpec): BGPPeer {
  return { apiVersion: V, kind: 'BGPPeer', metadata: { name }, spec };
}

export function bgpConfig(name: string, spec: BGPConfigurationSpec): BGPConfiguration {
  return { apiVersion: V, kind: 'BGPConfiguration', metadata: { name }, spec };
}

export function pool(name: string, cidr: string, spec: Partial<IPPoolSpec> = {}): IPPool {
  return {
    apiVersion: V,
    kind: 'IPPool',
    metadata: { name },
    spec: { cidr, ipipMode: 'Never', vxlanMode: 'Never', ...spec },
  };
}

/** Three hosts on TEST-NET-2, as in the e2e lab. */
export const H1 = node('h1', { ipv4Address: '198.51.100.11/24' });
export const H2 = node('h2', { ipv4Address: '198.51.100.12/24' });
export const H3 = node('h3', { ipv4Address: '198.51.100.13/24' });

export function input(nodeName: string, rest: Partial<BirdInput> = {}): BirdInput {
  return {
    nodeName,
    nodes: [H1, H2, H3],
    bgpConfigurations: [],
    bgpPeers: [],
    ipPools: [pool('default-ipv4-ippool', '10.244.0.0/16')],
    blocks: [],
    ...rest,
  };
}

/** The route-reflector recipe: h1 is the RR, peers selected by label. */
export function rrInput(nodeName: string, rest: Partial<BirdInput> = {}): BirdInput {
  const rr = node(
    'h1',
    { ipv4Address: '198.51.100.11/24', routeReflectorClusterID: '224.0.0.1' },
    { 'calico-route-reflector': '' },
  );
  return input(nodeName, {
    nodes: [rr, H2, H3],
    bgpConfigurations: [bgpConfig('default', { nodeToNodeMeshEnabled: false })],
    bgpPeers: [
      peer('peer-to-rrs', {
        nodeSelector: '!has(calico-route-reflector)',
        peerSelector: 'has(calico-route-reflector)',
      }),
      peer('rrs-to-rrs', {
        nodeSelector: 'has(calico-route-reflector)',
        peerSelector: 'has(calico-route-reflector)',
      }),
    ],
    ...rest,
  });
}

/** Names of the `protocol bgp` blocks, in the order rendered. */
export function bgpProtocols(text: string): string[] {
  return [...text.matchAll(/^protocol bgp (\S+) from /gm)].map((m) => m[1]);
}

/** The body lines (trimmed, comments dropped) of one `protocol <type> <name>` block. */
export function block(text: string, name: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^(protocol \\S+|template bgp) ${name}( |$)`).test(l));
  if (start < 0) throw new Error(`no block ${name} in:\n${text}`);
  const out: string[] = [];
  for (let i = start + 1; i < lines.length && lines[i] !== '}'; i++) {
    const l = lines[i].replace(/\s+#.*$/, '').trim();
    if (l && !l.startsWith('#')) out.push(l);
  }
  return out;
}

/** The body of a `function`/`filter` by name, trimmed, comments dropped. */
export function fn(text: string, name: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^(function|filter) ${name}[ (]`).test(l));
  if (start < 0) throw new Error(`no function ${name}`);
  if (lines[start].endsWith('}')) return [lines[start]];
  const out: string[] = [];
  for (let i = start + 1; i < lines.length && lines[i] !== '}'; i++) {
    const l = lines[i].replace(/\s+#.*$/, '').trim();
    if (l && !l.startsWith('#')) out.push(l);
  }
  return out;
}

/** A typed resource as the client's create() takes it. */
export function res(r: Node | BGPPeer | BGPConfiguration | IPPool): Resource {
  return r as unknown as Resource;
}
