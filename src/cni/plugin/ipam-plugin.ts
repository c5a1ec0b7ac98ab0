/** The `calico-ipam` plugin's commands (spec cni.md §8), plus a CHECK that the handle still holds the addresses. */
import { CniCode, CniError } from '../cni-error.js';
import { datastore, ids as identity, type PluginContext } from '../context.js';
import { calicoIpamAdd, calicoIpamDel, type IpamRequest } from '../ipam/calico-ipam.js';
import { renderResult } from '../result.js';
import { handleAddresses, requirePrevResult } from './check.js';

async function request(ctx: PluginContext): Promise<IpamRequest> {
  return {
    conf: ctx.conf,
    ids: identity(ctx),
    ds: await datastore(ctx),
    log: ctx.log,
    now: ctx.now,
    requestedIP: ctx.env.args.get('IP') || undefined,
  };
}

export async function ipamCmdAdd(ctx: PluginContext): Promise<string> {
  return renderResult(await calicoIpamAdd(await request(ctx)), ctx.conf.cniVersion);
}

export async function ipamCmdDel(ctx: PluginContext): Promise<string> {
  await calicoIpamDel(await request(ctx));
  return '';
}

export async function ipamCmdCheck(ctx: PluginContext): Promise<string> {
  const prev = requirePrevResult(ctx);
  const req = await request(ctx);
  const held = await handleAddresses(req.ds, req.ids.handleId);
  const missing = prev.ips.map((ip) => ip.address).filter((a) => !held.has(a.split('/')[0]));
  if (missing.length) {
    throw new CniError(
      CniCode.CHECK_FAILED,
      `IPAM handle ${req.ids.handleId} does not hold ${missing.join(', ')}`,
      "the addresses were released behind the runtime's back; recreate the container's network (CNI DEL, then ADD)",
    );
  }
  return '';
}
