/**
 * BIRD's router id: an IPv4-shaped 32-bit number, needed even on IPv6-only nodes. Calico takes the
 * node's IPv4 address, an explicit CALICO_ROUTER_ID, or with `hash` one derived from the node name.
 */
import { createHash } from 'node:crypto';
import { formatIP, tryParseIP } from '../../net/index.js';
import { BirdError } from '../errors.js';
import type { ClusterView } from './cluster.js';

/** First four bytes of SHA-256(name) as a dotted quad; a first octet above 223 is lowered by 32. */
export function hashToIPv4(name: string): string {
  const b = createHash('sha256').update(name).digest();
  // Keep clear of multicast/reserved space (224.0.0.0 and up) as Calico does.
  const first = b[0] > 223 ? b[0] - 32 : b[0];
  return `${first}.${b[1]}.${b[2]}.${b[3]}`;
}

/** The router id for this node: option (`hash` or IPv4) > node IPv4 > hash of the name. */
export function routerIdFor(cluster: ClusterView, nodeName: string, option: string | undefined): string {
  if (option === 'hash') return hashToIPv4(nodeName);
  if (option) {
    const a = tryParseIP(option);
    if (a?.family !== 4) {
      throw new BirdError('invalidOption', `router id '${option}' is neither 'hash' nor an IPv4 address`, {
        hint: 'set CALICO_ROUTER_ID to hash or to a dotted quad such as 10.0.0.1',
      });
    }
    return formatIP(a);
  }
  return cluster.self?.v4?.ip ?? hashToIPv4(nodeName);
}
