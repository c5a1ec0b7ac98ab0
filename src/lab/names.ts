/**
 * Every name and address of one lab, derived from its name alone, so a later command (or the
 * clean-up after a crash) finds the same namespaces, directories and addresses without asking
 * anyone. Underlay addresses are TEST-NET-2 (198.51.100.0/24), pod addresses TEST-NET-3
 * (203.0.113.0/24): documentation ranges that never clash with a real network.
 */
import { join } from 'node:path';
import { usageError } from './lab-error.js';

export const LAB_ROOT = '/var/run/calico-lab';
export const DEFAULT_LAB = 'lab';
export const NETNS_DIR = '/run/netns';

export const FABRIC_PREFIX = 24;
/** The ToR router's address, and every host's default gateway (proxy ARP needs some route). */
export const GATEWAY_IP = '198.51.100.1';
export const POD_POOL_CIDR = '203.0.113.0/24';
/** /28 blocks: 16 of them in the pool, so up to 16 hosts each get their own. */
export const POD_BLOCK_SIZE = 28;
export const NODE_AS = 64512;
export const TOR_AS = 64513;
export const RR_CLUSTER_ID = '224.0.0.1';
export const RR_LABEL = 'calico-route-reflector';
export const MAX_NODES = 16;
/** gobgpd's API inside the ToR namespace (nothing else listens there). */
export const TOR_API_PORT = 50051;

const LAB_NAME_RE = /^[a-z][a-z0-9]{0,11}$/;
const POD_NAME_RE = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

export function checkLabName(name: string): string {
  if (!LAB_NAME_RE.test(name)) {
    throw usageError(
      `invalid lab name '${name}'`,
      'a lab name is 1-12 lower-case letters and digits, starting with a letter (it prefixes namespace names)',
    );
  }
  return name;
}

export function checkPodName(name: string): string {
  if (!POD_NAME_RE.test(name)) {
    throw usageError(
      `invalid pod name '${name}'`,
      'a pod name is 1-40 lower-case letters, digits and dashes, starting and ending with a letter or digit',
    );
  }
  return name;
}

/** One underlay subnet: its fabric bridge's hosts, and where they send what is not on it. */
export interface Subnet {
  /** 0 or 1: which fabric (and, behind a router, which router port). */
  index: number;
  cidr: string;
  prefix: number;
  gateway: string;
  /** Host N's address is the subnet's base + this + N. */
  hostOffset: number;
}

/** The default lab: one /24, gateway 198.51.100.1 (the ToR when there is one). */
export const SINGLE_SUBNET: Subnet = {
  index: 0,
  cidr: `198.51.100.0/${FABRIC_PREFIX}`,
  prefix: FABRIC_PREFIX,
  gateway: GATEWAY_IP,
  hostOffset: 10,
};

/**
 * `up --subnets 2`: two /26s joined by a router namespace (gateway .1 and .129), so hosts .1N
 * and .14N reach each other only through it. OUTSIDE_IP, on the router and in neither subnet,
 * stands for the world outside the lab: what pods reach through NAT outgoing.
 */
export const CROSS_SUBNETS: readonly Subnet[] = [
  { index: 0, cidr: '198.51.100.0/26', prefix: 26, gateway: GATEWAY_IP, hostOffset: 10 },
  { index: 1, cidr: '198.51.100.128/26', prefix: 26, gateway: '198.51.100.129', hostOffset: 138 },
];
export const OUTSIDE_IP = '198.51.100.254';

/** Which subnet host `index` (1-based) of `nodes` joins: the first half the first, the rest the second. */
export function subnetOfHost(index: number, nodes: number, subnets: 1 | 2): Subnet {
  if (subnets === 1) return SINGLE_SUBNET;
  return index <= Math.ceil(nodes / 2) ? CROSS_SUBNETS[0] : CROSS_SUBNETS[1];
}

export function hostAddress(index: number, subnet: Subnet = SINGLE_SUBNET): string {
  return `198.51.100.${subnet.hostOffset + index}`;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

/** Do two hosts share a subnet (each address with its prefix length, /24 when not recorded)? */
export function sameSubnet(
  a: { address: string; prefixLength?: number },
  b: { address: string; prefixLength?: number },
): boolean {
  const prefix = a.prefixLength ?? FABRIC_PREFIX;
  if ((b.prefixLength ?? FABRIC_PREFIX) !== prefix) return false;
  const shift = 2 ** (32 - prefix);
  return Math.floor(ipv4ToInt(a.address) / shift) === Math.floor(ipv4ToInt(b.address) / shift);
}

/** Names and paths of one lab. */
export class LabNames {
  readonly dir: string;

  constructor(
    readonly lab: string,
    root = LAB_ROOT,
  ) {
    checkLabName(lab);
    this.dir = join(root, lab);
  }

  get stateFile(): string {
    return join(this.dir, 'state.json');
  }

  get lockFile(): string {
    return join(this.dir, 'state.lock');
  }

  /** calicoctl (and the CNI plugins, for CNI_PATH) as small wrapper scripts. */
  get binDir(): string {
    return join(this.dir, 'bin');
  }

  get etcdDir(): string {
    return join(this.dir, 'etcd');
  }

  get etcdEndpoint(): string {
    return `unix://${join(this.etcdDir, 'etcd.sock')}:2379`;
  }

  get fabricNetns(): string {
    return `${this.lab}-fab`;
  }

  /** The fabric of a subnet: the default one for the first (it also holds etcd), `-fab-2` for the second. */
  fabricNetnsOf(subnet: Subnet): string {
    return subnet.index === 0 ? this.fabricNetns : `${this.lab}-fab-2`;
  }

  /** The router between the two subnets of `up --subnets 2`. */
  get routerNetns(): string {
    return `${this.lab}-rtr`;
  }

  get torNetns(): string {
    return `${this.lab}-tor`;
  }

  get torDir(): string {
    return join(this.dir, 'tor');
  }

  hostName(index: number): string {
    return `${this.lab}-h${index}`;
  }

  hostDir(index: number): string {
    return join(this.dir, `h${index}`);
  }

  podNetns(pod: string): string {
    return `${this.lab}-p-${pod}`;
  }

  podContainerId(pod: string): string {
    return `${this.lab}-${pod}`;
  }

  /** A Kubernetes pod's namespace (`.` cannot occur in a plain pod's name, nor in a namespace). */
  k8sPodNetns(namespace: string, pod: string): string {
    return `${this.lab}-k-${namespace}.${pod}`;
  }

  /** Where `calico-lab apply` keeps the pods' server logs. */
  get k8sDir(): string {
    return join(this.dir, 'k8s');
  }

  /** Does a namespace name belong to this lab? (What a crashed run may have left.) */
  ownsNetns(name: string): boolean {
    return new RegExp(`^${this.lab}-(fab|fab-2|rtr|tor|h\\d+|p-[a-z0-9-]+|k-[a-z0-9-]+\\.[a-z0-9-]+)$`).test(
      name,
    );
  }
}

export function netnsPath(name: string): string {
  return join(NETNS_DIR, name);
}
