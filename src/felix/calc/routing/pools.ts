/** IPPools as routing sees them: IPv4 CIDR, encapsulation and NAT. */
import type { EncapMode, IPPool } from '../../../api/index.js';
import { cidrContainsCIDR, formatCIDR, maskCIDR, tryParseCIDR, type CIDR } from '../../../net/index.js';

export type Encap = 'vxlan' | 'ipip' | 'none';

export interface PoolFacts {
  name: string;
  cidr: CIDR;
  text: string;
  encap: Encap;
  /** Always or CrossSubnet for an encapsulated pool; Never for a plain one. */
  mode: EncapMode;
  natOutgoing: boolean;
  /** Pools only for LoadBalancer addresses are not "pool" destinations for NAT. */
  loadBalancerOnly: boolean;
}

export function poolFacts(pool: IPPool): PoolFacts | undefined {
  const spec = pool.spec;
  const cidr = spec?.cidr ? tryParseCIDR(spec.cidr) : undefined;
  if (!spec || !cidr || cidr.family !== 4) return undefined;
  const masked = maskCIDR(cidr);
  const vx = spec.vxlanMode ?? 'Never';
  const ipip = spec.ipipMode ?? 'Never';
  const encap: Encap = vx !== 'Never' ? 'vxlan' : ipip !== 'Never' ? 'ipip' : 'none';
  const uses = spec.allowedUses ?? [];
  return {
    name: pool.metadata.name ?? '',
    cidr: masked,
    text: formatCIDR(masked),
    encap,
    mode: encap === 'vxlan' ? vx : encap === 'ipip' ? ipip : 'Never',
    natOutgoing: spec.natOutgoing === true,
    loadBalancerOnly: uses.length > 0 && uses.every((u) => u === 'LoadBalancer'),
  };
}

/** The pool containing `cidr` (pools never overlap, so there is at most one). */
export function poolContaining(pools: readonly PoolFacts[], cidr: CIDR): PoolFacts | undefined {
  return pools.find((p) => cidrContainsCIDR(p.cidr, cidr));
}
