/** Autodetection with its two inputs fetched: the interface list and, for can-reach, a route lookup. */
import type { IPFamily } from '../../../net/index.js';
import type { Iface } from './iface.js';
import type { AutodetectMethod } from './method.js';
import { selectAddress, type DetectResult } from './select.js';

export interface AutodetectIO {
  interfaces(): Promise<Iface[]>;
  /** The source address the kernel would use towards `destination` (an IP or a DNS name). */
  routeGet(destination: string, family: IPFamily): Promise<string | undefined>;
}

export async function autodetectAddress(
  method: AutodetectMethod,
  family: IPFamily,
  io: AutodetectIO,
): Promise<DetectResult> {
  const ifaces = await io.interfaces();
  if (method.kind !== 'can-reach') return selectAddress(ifaces, method, family);
  const source = await io.routeGet(method.destination, family);
  return selectAddress(ifaces, method, family, { destination: method.destination, source });
}
