/** STATUS (CNI 1.1): can this plugin serve an ADD right now? */
import type { IPPoolSpec } from '../../api/kinds/ippool.js';
import { CniCode, CniError } from '../cni-error.js';
import { datastore, type PluginContext } from '../context.js';
import { checkDatastoreReady } from '../datastore-ready.js';
import { CALICO_IPAM } from '../ipam/ipam-adapter.js';

export async function cmdStatus(ctx: PluginContext): Promise<string> {
  try {
    const ds = await datastore(ctx);
    await checkDatastoreReady(ds);
    if (ctx.conf.ipam.type === CALICO_IPAM) {
      const pools = (await ds.client.list('IPPool')).items.map((p) => (p.spec ?? {}) as Partial<IPPoolSpec>);
      const enabled = (v6: boolean) => pools.some((p) => !p.disabled && (p.cidr ?? '').includes(':') === v6);
      if (ctx.conf.ipam.assignIPv4 && !enabled(false)) throw new Error('no enabled IPv4 IPPool');
      if (ctx.conf.ipam.assignIPv6 && !enabled(true)) throw new Error('no enabled IPv6 IPPool');
    }
  } catch (e) {
    const why = e instanceof CniError ? e.message : (e as Error).message;
    throw new CniError(
      CniCode.NOT_AVAILABLE,
      `plugin not available: ${why}`,
      e instanceof CniError ? e.details : undefined,
    );
  }
  return '';
}
