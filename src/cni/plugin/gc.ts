/**
 * GC (CNI 1.1): release the IPAM handles of this network, allocated on this node, whose container
 * is not in `cni.dev/valid-attachments`. Handles of container ids with a "." are left alone (the
 * network name and id cannot be told apart in them).
 */
import { isCalicoError } from '../../errors/index.js';
import { handleKey } from '../../ipam/model.js';
import { toCniError } from '../cni-error.js';
import { datastore, type PluginContext } from '../context.js';
import { checkDatastoreReady } from '../datastore-ready.js';

export async function cmdGC(ctx: PluginContext): Promise<string> {
  const { conf, log } = ctx;
  const ds = await datastore(ctx);
  await checkDatastoreReady(ds);
  const valid = new Set((conf.validAttachments ?? []).map((a) => a.containerID));
  const prefix = handleKey(`${conf.name}.`);
  const { items } = await ds.client.backend.list(prefix);
  let released = 0;
  for (const kv of items) {
    const handle = kv.key.slice(handleKey('').length);
    const containerId = kv.key.slice(prefix.length);
    if (containerId === '' || containerId.includes('.') || valid.has(containerId)) continue;
    let mine = false;
    try {
      for (const ip of await ds.ipam.ipsByHandle(handle)) {
        const info = await ds.ipam.getAssignmentAttributes(ip.split('/')[0]);
        if (info?.attrs.node === ctx.node) mine = true;
      }
      if (!mine) continue;
      await ds.ipam.releaseByHandle(handle);
      released++;
      log.info(`GC: released handle ${handle} (container ${containerId} is not attached any more)`);
    } catch (e) {
      if (isCalicoError(e, 'NOT_FOUND')) continue;
      throw toCniError(e, `GC: failed to release handle ${handle}`);
    }
  }
  log.info(`GC: released ${released} handle(s) of network ${conf.name}`);
  return '';
}
