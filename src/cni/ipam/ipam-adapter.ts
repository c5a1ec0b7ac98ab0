/** The `calico` plugin's IPAM step: Calico IPAM in-process, any other IPAM plugin by delegation. */
import { datastore, ids, type PluginContext } from '../context.js';
import type { CniResult } from '../result.js';
import { calicoIpamAdd, calicoIpamDel, type IpamRequest } from './calico-ipam.js';
import { delegateIpam } from './delegate.js';

export const CALICO_IPAM = 'calico-ipam';

async function ipamRequest(ctx: PluginContext): Promise<IpamRequest> {
  return {
    conf: ctx.conf,
    ids: ids(ctx),
    ds: await datastore(ctx),
    log: ctx.log,
    now: ctx.now,
    requestedIP: ctx.env.args.get('IP') || undefined,
  };
}

export async function ipamAdd(ctx: PluginContext): Promise<CniResult> {
  if (ctx.conf.ipam.type === CALICO_IPAM) return calicoIpamAdd(await ipamRequest(ctx));
  return (await delegateIpam(ctx, 'ADD')) as CniResult;
}

export async function ipamDel(ctx: PluginContext): Promise<void> {
  if (ctx.conf.ipam.type === CALICO_IPAM) return calicoIpamDel(await ipamRequest(ctx));
  await delegateIpam(ctx, 'DEL');
}
