/**
 * Interfaces first-found and skip-interface never pick: container bridges, veths, tunnels and
 * Calico's own devices. Anchored at the start only, as Calico writes them, so `^lo` also skips
 * `loopback0` and `local-br`.
 */
import type { NamePattern } from './method.js';

export const DEFAULT_INTERFACE_EXCLUDES: readonly string[] = [
  '^docker.*',
  '^cbr.*',
  '^dummy.*',
  '^podman.*',
  '^virbr.*',
  '^lxcbr.*',
  '^veth.*',
  '^lo',
  '^br-.*',
  '^cali.*',
  '^tunl.*',
  '^flannel.*',
  '^kube-ipvs.*',
  '^cni.*',
  '^vxlan\\.calico.*',
  '^vxlan-v6\\.calico.*',
  '^wireguard\\.cali.*',
  '^wg-v6\\.cali.*',
  '^nodelocaldns.*',
];

export const DEFAULT_EXCLUDE_PATTERNS: readonly NamePattern[] = DEFAULT_INTERFACE_EXCLUDES.map((source) => ({
  source,
  re: new RegExp(source),
}));

export function matchesAny(name: string, pats: readonly NamePattern[]): NamePattern | undefined {
  return pats.find((p) => p.re.test(name));
}
