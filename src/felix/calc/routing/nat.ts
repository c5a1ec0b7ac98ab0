/** NAT outgoing: which pools masquerade, which destinations never do. */
import type { RoutingConfig } from './config.js';
import type { NodeFacts } from './nodes.js';
import type { PoolFacts } from './pools.js';
import type { NatOutgoing } from './types.js';

/**
 * Undefined when nothing needs NAT: no pool has natOutgoing and no tunnel device exists. Host IPs
 * are listed only when NATOutgoingExclusions asks for them.
 */
export function natOutgoing(
  pools: readonly PoolFacts[],
  nodes: Iterable<NodeFacts>,
  cfg: RoutingConfig,
  tunnelDevices: string[],
): NatOutgoing | undefined {
  const masqPools = pools.filter((p) => p.natOutgoing).map((p) => p.text);
  if (masqPools.length === 0 && tunnelDevices.length === 0) return undefined;
  const nat: NatOutgoing = {
    allPools: pools.filter((p) => !p.loadBalancerOnly).map((p) => p.text),
    masqPools,
    tunnelDevices: [...tunnelDevices],
  };
  if (cfg.natOutgoingExclusions === 'IPPoolsAndHostIPs') {
    nat.hostIPs = [...new Set([...nodes].flatMap((n) => (n.ip ? [`${n.ip}/32`] : [])))].sort();
  }
  if (cfg.natOutgoingAddress) nat.snatAddress = cfg.natOutgoingAddress;
  if (cfg.natPortRange) nat.portRange = cfg.natPortRange;
  nat.allPools.sort();
  nat.masqPools.sort();
  return nat;
}
