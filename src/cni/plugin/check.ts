/**
 * `calico` CHECK: a real one (Calico's is a no-op). Compares prevResult with the
 * WorkloadEndpoint, the IPAM handle, and the kernel state on both ends of the veth.
 */
import { CniCode, CniError } from '../cni-error.js';
import { datastore, ids as identity, type PluginContext } from '../context.js';
import { checkDatastoreReady } from '../datastore-ready.js';
import { CALICO_IPAM } from '../ipam/ipam-adapter.js';
import { parseResult, type CniResult } from '../result.js';
import type { CniDatastore } from '../types.js';
import { getWep } from '../workload-endpoint.js';
import { defaultRoutes, hostAddress } from './add.js';
import { resolveMtu } from './mtu.js';
import { isCalicoError } from '../../errors/index.js';

export function requirePrevResult(ctx: PluginContext): CniResult {
  if (ctx.conf.prevResult === undefined) {
    throw new CniError(
      CniCode.INVALID_NETCONF,
      'required prevResult missing',
      'CHECK needs the result of the ADD in "prevResult"; run CHECK through a CNI runtime that cached it',
    );
  }
  return parseResult(ctx.conf.prevResult);
}

/** Which addresses the handle holds (bare IPs); empty when the handle does not exist. */
export async function handleAddresses(ds: CniDatastore, handle: string): Promise<Set<string>> {
  try {
    return new Set((await ds.ipam.ipsByHandle(handle)).map((ip) => ip.split('/')[0]));
  } catch (e) {
    if (isCalicoError(e, 'NOT_FOUND')) return new Set();
    throw e;
  }
}

export async function cmdCheck(ctx: PluginContext): Promise<string> {
  const ids = identity(ctx);
  const prev = requirePrevResult(ctx);
  const ds = await datastore(ctx);
  await checkDatastoreReady(ds);
  const problems: string[] = [];

  const container = prev.interfaces?.findIndex((i) => i.name === ids.ifname && i.sandbox) ?? -1;
  const addresses = prev.ips
    .filter((ip) => ip.interface === undefined || ip.interface === container)
    .map((ip) => hostAddress(ip.address));
  const mac = container >= 0 ? prev.interfaces?.[container].mac : undefined;
  if (addresses.length === 0) problems.push('prevResult has no addresses for the container interface');

  const wep = await getWep(ds, ids);
  if (!wep) {
    problems.push(`WorkloadEndpoint ${ids.namespace}/${ids.wepName} does not exist`);
  } else {
    const s = wep.spec ?? {};
    if (s.containerID && s.containerID !== ids.containerId) {
      problems.push(`WorkloadEndpoint ${ids.wepName} belongs to container ${s.containerID}`);
    }
    if (s.interfaceName !== ids.hostVeth) {
      problems.push(
        `WorkloadEndpoint ${ids.wepName} names interface ${s.interfaceName}, expected ${ids.hostVeth}`,
      );
    }
    const nets = [...(s.ipNetworks ?? [])].sort().join(',');
    if (nets !== [...addresses].sort().join(',')) {
      problems.push(
        `WorkloadEndpoint ${ids.wepName} has addresses [${nets}], prevResult has [${addresses.join(',')}]`,
      );
    }
    if (mac && s.mac && s.mac.toLowerCase() !== mac.toLowerCase()) {
      problems.push(`WorkloadEndpoint ${ids.wepName} has MAC ${s.mac}, prevResult has ${mac}`);
    }
  }

  if (ctx.conf.ipam.type === CALICO_IPAM) {
    const held = await handleAddresses(ds, ids.handleId);
    for (const a of addresses) {
      if (!held.has(a.split('/')[0])) problems.push(`IPAM handle ${ids.handleId} does not hold ${a}`);
    }
  }

  problems.push(
    ...(await ctx.deps.dataplane.check(
      {
        netns: ctx.env.netns,
        ifname: ids.ifname,
        hostVeth: ids.hostVeth,
        mtu: resolveMtu(ctx.conf, ctx.deps),
        numQueues: ctx.conf.numQueues,
        addresses,
        routes: defaultRoutes(addresses),
        allowIpForwarding: ctx.conf.allowIpForwarding,
        hostRoutes: ctx.conf.ipam.type !== CALICO_IPAM || (prev.routes?.length ?? 0) > 0,
        containerMac: mac,
      },
      ctx.log,
    )),
  );
  if (problems.length) {
    throw new CniError(
      CniCode.CHECK_FAILED,
      `CHECK of ${ids.wepName} failed: ${problems.join('; ')}`,
      'the pod is not wired as ADD left it; recreate its network (CNI DEL, then ADD) or the pod',
    );
  }
  return '';
}
