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

  let keptFor: string | undefined;
  const removeWep = () =>
    deleteWepIfOwned(ds, ids, (other) => {
      keptFor = other;
      log.info(`WorkloadEndpoint ${ids.wepName} belongs to container ${other}: keeping it`);
    });
  const cleanNetns = async () => {
    const removed = await deps.dataplane.removeContainerInterface(ctx.env.netns, ids.ifname, log);
    // The sandbox is gone but its host end may linger (a crashed ADD): remove it unless the name
    // now belongs to a newer sandbox of the same pod.
    if (!removed && keptFor === undefined) await deps.dataplane.removeHostVeth(ids.hostVeth, log);
  };

  if (ids.orchestrator === 'k8s') {
    await removeWep();
    await cleanNetns();
    await ipamDel(ctx);
  } else {
    let ipamError: unknown;
    try {
      await ipamDel(ctx);
    } catch (e) {
      ipamError = e;
    }
    await removeWep();
    await cleanNetns();
    if (ipamError) throw toCniError(ipamError);
  }
  log.info(`deleted ${ids.wepName}`);
  return '';
}
