/** MTU auto-detection: the host MTU and each encapsulation's MTU derived from it. */
import type { RoutingConfig } from './config.js';
import type { HostInterface, MTUs } from './types.js';

/** Used when no interface matches the MTU pattern. */
export const FALLBACK_HOST_MTU = 1460;
export const VXLAN_OVERHEAD = 50;
export const IPIP_OVERHEAD = 20;

/** The smallest MTU among up interfaces matching the pattern; 1460 when none matches. */
export function hostMTU(ifaces: readonly HostInterface[], pattern: RegExp): number {
  let min = 0;
  for (const i of ifaces) {
    if (!i.up || !pattern.test(i.name) || i.mtu <= 0) continue;
    if (min === 0 || i.mtu < min) min = i.mtu;
  }
  return min || FALLBACK_HOST_MTU;
}

export function computeMTUs(
  ifaces: readonly HostInterface[],
  cfg: RoutingConfig,
  enabled: { vxlan: boolean; ipip: boolean },
): MTUs {
  const host = hostMTU(ifaces, cfg.mtuIfacePattern);
  const vxlan = cfg.vxlanMTU > 0 ? cfg.vxlanMTU : host - VXLAN_OVERHEAD;
  const ipip = cfg.ipipMTU > 0 ? cfg.ipipMTU : host - IPIP_OVERHEAD;
  const inUse = [enabled.vxlan ? vxlan : 0, enabled.ipip ? ipip : 0].filter((m) => m > 0);
  return { host, vxlan, ipip, pod: inUse.length ? Math.min(...inUse) : host };
}
