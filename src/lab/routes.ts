/**
 * Reading what the hosts' kernels route, to know when a new pod is reachable from everywhere and
 * to show which routes carry cross-host traffic (`proto bird` in BGP mode, `vxlan.calico` in VXLAN).
 */
import { LabError } from './lab-error.js';
import { sameSubnet } from './names.js';
import { runCommand } from './run-command.js';
import type { HostState, LabState } from './state.js';

export interface RouteInfo {
  dst?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
}

async function routeGet(netns: string, ip: string): Promise<RouteInfo | undefined> {
  const r = await runCommand('ip', ['-n', netns, '-j', 'route', 'get', ip], { timeoutMs: 5000 });
  if (r.code !== 0) return undefined;
  try {
    return (JSON.parse(r.stdout) as RouteInfo[])[0];
  } catch {
    return undefined;
  }
}

/** Does `from` send traffic for a pod on `owner` the way the lab's mode should? */
async function routesToPod(state: LabState, from: HostState, owner: HostState, ip: string): Promise<boolean> {
  const r = await routeGet(from.name, ip);
  if (!r) return false;
  if (from.name === owner.name) return r.dev?.startsWith('cali') ?? false;
  // CrossSubnet: hosts of one subnet route to each other directly, like BGP mode.
  const direct = state.mode === 'bgp' || (state.vxlanMode === 'CrossSubnet' && sameSubnet(from, owner));
  if (!direct) return r.dev === 'vxlan.calico';
  return r.gateway === owner.address && r.dev === 'eth0';
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until every host routes to the pod (BGP or VXLAN convergence); returns the time taken. */
export async function waitPodRoutes(
  state: LabState,
  owner: HostState,
  ip: string,
  timeoutMs: number,
): Promise<number> {
  const start = Date.now();
  let pending = state.hosts;
  for (;;) {
    const ok = await Promise.all(pending.map((h) => routesToPod(state, h, owner, ip)));
    pending = pending.filter((_, i) => !ok[i]);
    if (pending.length === 0) return Date.now() - start;
    if (Date.now() - start > timeoutMs) {
      throw new LabError(
        `no route to ${ip} (on ${owner.name}) from ${pending.map((h) => h.name).join(', ')} after ${timeoutMs / 1000} s`,
        state.mode === 'bgp'
          ? 'look at the BGP sessions: calico-lab status (or calico-lab exec <host> -- calicoctl node status)'
          : "look at Felix's VXLAN routes: calico-lab exec <host> -- ip route",
      );
    }
    await sleep(200);
  }
}
