/** The difference between desired routes and the main table: pure, so it is unit-tested in full. */
import type { DesiredRoute } from '../calc/routing/index.js';
import {
  isOwnedRoute,
  isWorkloadDevice,
  routeMatches,
  type KernelRoute,
  type RouteOwnership,
} from './kernel-routes.js';

export interface RouteDiffOptions {
  ownership: RouteOwnership;
  /** Interfaces that exist and are up: routes through others wait. */
  upLinks: ReadonlySet<string>;
  now: number;
  /** Unwanted routes on workload interfaces survive this long (the CNI adds the route before the endpoint exists). */
  graceMs: number;
  /** When each unwanted workload route was first seen (updated in place). */
  unwantedSince: Map<string, number>;
}

export interface RouteDiff {
  replace: DesiredRoute[];
  remove: KernelRoute[];
  /** Desired routes whose device is missing or down. */
  waiting: DesiredRoute[];
  /** Unwanted workload routes still in their grace period. */
  held: KernelRoute[];
}

const keyOf = (dst: string, metric: number) => `${dst}|${metric}`;

export function diffRoutes(
  desired: readonly DesiredRoute[],
  actual: readonly KernelRoute[],
  opts: RouteDiffOptions,
): RouteDiff {
  const diff: RouteDiff = { replace: [], remove: [], waiting: [], held: [] };
  const byKey = new Map<string, KernelRoute[]>();
  for (const k of actual) {
    const key = keyOf(k.dst, k.metric);
    const list = byKey.get(key);
    if (list) list.push(k);
    else byKey.set(key, [k]);
  }
  const wanted = new Set<string>();
  for (const d of desired) {
    const key = keyOf(d.dst, 0);
    wanted.add(key);
    if ((byKey.get(key) ?? []).some((k) => routeMatches(d, k))) continue;
    if (d.dev && !opts.upLinks.has(d.dev)) diff.waiting.push(d);
    else diff.replace.push(d);
  }
  const stillUnwanted = new Set<string>();
  for (const k of actual) {
    const key = keyOf(k.dst, k.metric);
    // A desired key is fixed by its replace (or left alone while its device is missing).
    if (wanted.has(key) || !isOwnedRoute(k, opts.ownership)) continue;
    if (isWorkloadDevice(k.dev, opts.ownership) && opts.graceMs > 0) {
      const gkey = `${key}|${k.dev}`;
      stillUnwanted.add(gkey);
      const since = opts.unwantedSince.get(gkey) ?? opts.now;
      opts.unwantedSince.set(gkey, since);
      if (opts.now - since < opts.graceMs) {
        diff.held.push(k);
        continue;
      }
    }
    diff.remove.push(k);
  }
  for (const gkey of [...opts.unwantedSince.keys()]) {
    if (!stillUnwanted.has(gkey)) opts.unwantedSince.delete(gkey);
  }
  return diff;
}
