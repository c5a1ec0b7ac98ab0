/**
 * `calico` DEL (spec cni.md §7): idempotent; an unknown container succeeds. It refuses when the
 * datastore cannot be reached, so an address is never left held for a container that is gone.
 */
import { toCniError } from '../cni-error.js';
import { datastore, ids as identity, type PluginContext } from '../context.js';
import { checkDatastoreReady } from '../datastore-ready.js';
import { ipamDel } from '../ipam/ipam-adapter.js';
import { deleteWepIfOwned } from '../workload-endpoint.js';

export async function cmdDel(ctx: PluginContext): Promise<string> {
  const ids = identity(ctx);
  const { log, deps } = ctx;
  const ds = await datastore(ctx);
  await checkDatastoreReady(ds);

  let wep: 'deleted' | 'absent' | 'kept' = 'absent';
  const removeWep = async () => {
    wep = await deleteWepIfOwned(ds, ids, (other) =>
      log.info(`WorkloadEndpoint ${ids.wepName} belongs to container ${other}: keeping it`),
    );
  };
  const cleanNetns = async () => {
    const removed = await deps.dataplane.removeContainerInterface(ctx.env.netns, ids.ifname, log);
    // The sandbox is gone but its host end lingers: remove it by name when the name is surely this
    // container's (plain CNI names it after the container; a pod's name is shared by its sandboxes,
    // so only when this container's endpoint was just deleted).
    if (!removed && (ids.orchestrator === 'cni' || wep === 'deleted')) {
      await deps.dataplane.removeHostVeth(ids.hostVeth, log);
    }
  };

  if (ids.orchestrator === 'k8s') {
    await removeWep();
    await cleanNetns();
    await ipamDel(ctx);
  } else {
    // Plain CNI: the release and the endpoint delete touch different objects, so they run at once;
    // an endpoint error ends the DEL, an IPAM error is reported once the interface is gone.
    const [ipam, endpoint] = await Promise.allSettled([ipamDel(ctx), removeWep()]);
    if (endpoint.status === 'rejected') throw endpoint.reason;
    await cleanNetns();
    if (ipam.status === 'rejected') throw toCniError(ipam.reason);
  }
  log.info(`deleted ${ids.wepName}`);
  return '';
}
