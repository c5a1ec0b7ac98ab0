/**
 * What the BIRD renderer reads and what it computes on the way. The input is plain data (v3
 * resources as the client returns them, block CIDRs as strings, resolved secrets), so rendering is a
 * pure function that unit tests drive without etcd, BIRD or a kernel.
 */
import type { BGPConfiguration, BGPPeer, IPPool, Node } from '../../api/index.js';
import type { IPFamily } from '../../net/index.js';

/** `secrets[name][key]`: the resolved values behind `secretKeyRef`s (there is no Secret store here). */
export type SecretValues = Readonly<Record<string, Readonly<Record<string, string>>>>;

export interface BirdTimers {
  /** Seconds BIRD waits before its first connection attempt (`connect delay time`). Calico: 2. */
  connectDelay?: number;
  /** Seconds between connection attempts (`connect retry time`). Calico: 5. */
  connectRetry?: number;
  /** `error wait time <min>,<max>` in seconds. Calico: 5,30. */
  errorWait?: [number, number];
}

export interface KernelProtocolOptions {
  /** Seconds between full kernel table scans (changes also arrive by netlink at once). Default 2. */
  scanTime?: number;
  /**
   * Kernel metric of every route BIRD writes. Default: the normal route priority (1024). One fixed
   * value, because BIRD 2 replaces a kernel route in place only while its metric stays the same.
   */
  metric?: number;
  /** Learn routes others added (Felix's blackholes, workload /32s) so they can be exported. Default true. */
  learn?: boolean;
  /** Leave routes in the kernel when BIRD stops. Default true. */
  persist?: boolean;
  /** ECMP: merge equal paths into one multipath kernel route. Default true. */
  mergePaths?: boolean;
  gracefulRestart?: boolean;
}

export interface BirdRenderOptions {
  /** `CALICO_ROUTER_ID`: `hash` (derived from the node name) or an IPv4 address. Default: the node's IPv4. */
  routerId?: string;
  /** Log file for BIRD; absent means `log stderr all` (the driver collects BIRD's stderr). */
  logFile?: string;
  timers?: BirdTimers;
  kernel?: KernelProtocolOptions;
  /** `scan time` of the device protocol, seconds. Default 2. */
  deviceScanTime?: number;
  /**
   * Emit `protocol static` blackholes for this host's blocks (Calico's bird_aggr.cfg), so export does
   * not depend on Felix having programmed its own. Default true.
   */
  staticBlockRoutes?: boolean;
}

export interface BirdInput {
  /** This node's name (the Node resource's name). */
  nodeName: string;
  /** Every Node resource (labels, spec.bgp addresses, AS number, routeReflectorClusterID). */
  nodes: readonly Node[];
  /** Every BGPConfiguration: `default` and `node.<name>` are used (other nodes' for their listen port). */
  bgpConfigurations: readonly BGPConfiguration[];
  bgpPeers: readonly BGPPeer[];
  ipPools: readonly IPPool[];
  /**
   * This node's affine blocks (e.g. `10.244.1.0/26`) whose affinity is confirmed (or has no state).
   * Pending affinities are left out by the caller (see buildBirdInput).
   */
  blocks: readonly string[];
  secrets?: SecretValues;
  options?: BirdRenderOptions;
}

export type PeerType = 'Mesh' | 'Global' | 'Node';

/** A password the peer needs: its value, or why it could not be resolved. */
export type PeerPassword = { value: string } | { problem: string };

/** One BGP session of this node, as it will be rendered into a `protocol bgp` block. */
export interface PeerRecord {
  /** BIRD protocol name: `Mesh_10_0_0_2`, `Global_192_0_2_254_port_180`, `Node_fd00__2`. */
  name: string;
  type: PeerType;
  family: IPFamily;
  ip: string;
  port?: number;
  asNumber: number;
  /** `localASNumber` of the BGPPeer: this session's local AS, when it differs from the node's. */
  localAS?: number;
  /** Omitted when the BGPPeer says `sourceAddress: None`. */
  sourceAddress?: string;
  passive: boolean;
  ttlSecurity?: number;
  password?: PeerPassword;
  restartTimeSeconds?: number;
  keepaliveSeconds?: number;
  nextHop?: 'self' | 'keep';
  allowLocalAS?: number;
  /** Set when this node is a route reflector and the peer is its client: `rr cluster id <id>`. */
  rrClusterId?: string;
  /** `reachableBy` of a peerIP BGPPeer: the gateway of a static host route to the peer. */
  reachableBy?: string;
  /** iBGP: the peer's AS equals this session's local AS. */
  internal: boolean;
  /** Where the peering came from, for a comment above the block. */
  origin: string;
}

/** This node and its identity in one address family. */
export interface LocalFamily {
  family: IPFamily;
  ip: string;
  /** The node address's subnet, e.g. `198.51.100.0/24`. */
  network: string;
}

/** A static route BIRD originates in one family. */
export interface StaticRoute {
  cidr: string;
  /** Absent: blackhole; else `via <gateway>`. */
  via?: string;
  comment: string;
}
