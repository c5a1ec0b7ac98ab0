/** `calico` ADD (spec cni.md §5–§6): IPAM, wiring, WorkloadEndpoint; nothing half-done on failure. */
import type { PodWiring } from '../dataplane/dataplane.js';
import { CniCode, CniError, toCniError } from '../cni-error.js';
import { datastore, ids as identity, type PluginContext } from '../context.js';
import { checkDatastoreReady } from '../datastore-ready.js';
import { ipamAdd, ipamDel } from '../ipam/ipam-adapter.js';
import { renderResult, type CniResult } from '../result.js';
import type { CniDatastore } from '../types.js';
import {
  buildWep,
  deleteWepIfOwned,
  ensureNetworkProfile,
  getWep,
  writeWep,
  type Wep,
} from '../workload-endpoint.js';
import { resolveMtu } from './mtu.js';

const isV6 = (a: string): boolean => a.includes(':');

/** An IPAM address (block prefix) as the pod gets it: a single address. */
export function hostAddress(address: string): string {
  return `${address.split('/')[0]}/${isV6(address) ? 128 : 32}`;
}

/** The pod's routes through the host: a default route per family it has an address in. */
export function defaultRoutes(addresses: string[]): string[] {
  const out: string[] = [];
  if (addresses.some((a) => !isV6(a))) out.push('0.0.0.0/0');
  if (addresses.some(isV6)) out.push('::/0');
  return out;
}

export async function cmdAdd(ctx: PluginContext): Promise<string> {
  const { conf, deps, log } = ctx;
  const ids = identity(ctx);
  const mtu = resolveMtu(conf, deps);
  if (conf.deviceType === 'netkit') log.warn('device_type netkit is not supported here; using veth');
  const ds = await datastore(ctx);
  // Independent reads: one round trip's wait instead of two.
  const [, existing] = await Promise.all([checkDatastoreReady(ds), getWep(ds, ids)]);
  if (ids.orchestrator === 'cni' && existing) {
    // Plain CNI: the endpoint exists, so this container is wired already (Calico's idempotent ADD).
    log.info(`WorkloadEndpoint ${ids.wepName} exists: returning its addresses`);
    await addNetworkProfile(ds, ctx, existing);
    return renderResult(resultFromWep(existing, ctx), conf.cniVersion);
  }

  const ipamResult = await ipamAdd(ctx);
  if (ipamResult.ips.length === 0) {
    throw new CniError(CniCode.CALICO, 'IPAM plugin returned no IP addresses in result');
  }
  const addresses = ipamResult.ips.map((ip) => hostAddress(ip.address));
  let wired = false;
  try {
    await deps.hooks?.afterIpamAssigned?.(ipamResult.ips.map((ip) => ip.address));
    const wiring: PodWiring = {
      netns: ctx.env.netns,
      ifname: ids.ifname,
      hostVeth: ids.hostVeth,
      mtu,
      numQueues: conf.numQueues,
      addresses,
      routes: defaultRoutes(addresses),
      allowIpForwarding: conf.allowIpForwarding,
      // calico-ipam returns no routes only for KubeVirt migration targets: no host routes then.
      hostRoutes: conf.ipam.type !== 'calico-ipam' || (ipamResult.routes?.length ?? 0) > 0,
    };
    // The profile write and the kernel work overlap; both must succeed.
    const [profile, setup] = await Promise.allSettled([
      conf.policyType === '' ? ensureNetworkProfile(ds, conf, ids.orchestrator === 'k8s') : Promise.resolve(),
      deps.dataplane.setup(wiring, log),
    ]);
    wired = setup.status === 'fulfilled';
    if (setup.status === 'rejected') throw setup.reason;
    if (profile.status === 'rejected') throw profile.reason;
    const { containerMac } = setup.value;
    const wep = buildWep(conf, ids, containerMac, addresses, existing);
    await writeWep(ds, wep, existing);
    log.info(`wired ${ids.wepName}: ${addresses.join(', ')} on ${ids.hostVeth}`);
    const result: CniResult = {
      interfaces: [
        { name: ids.hostVeth },
        { name: ids.ifname, mac: containerMac, ...(mtu > 0 ? { mtu } : {}), sandbox: ctx.env.netns },
      ],
      ips: addresses.map((address) => ({ interface: 1, address })),
      routes: ipamResult.routes ?? [],
      dns: {},
    };
    return renderResult(result, conf.cniVersion);
  } catch (e) {
    await undoAdd(ctx, ds, wired, existing);
    throw toCniError(e);
  }
}

/** Gives back everything this ADD took: the veth, the addresses and (if ours) the endpoint. */
async function undoAdd(ctx: PluginContext, ds: CniDatastore, wired: boolean, existing: Wep | undefined) {
  const ids = identity(ctx);
  const { log } = ctx;
  if (wired) {
    try {
      await ctx.deps.dataplane.removeHostVeth(ids.hostVeth, log);
    } catch (e) {
      log.error(`rollback: failed to remove ${ids.hostVeth}: ${(e as Error).message}`);
    }
  }
  // A plain CNI endpoint that existed before never reaches here; a Kubernetes one that still names
  // this container described the wiring we just tore down.
  if (existing && existing.spec?.containerID === ids.containerId) {
    try {
      await deleteWepIfOwned(ds, ids, () => undefined);
    } catch (e) {
      log.error(`rollback: failed to delete WorkloadEndpoint ${ids.wepName}: ${(e as Error).message}`);
    }
  }
  try {
    await ipamDel(ctx);
    log.info(`rollback: released the addresses of ${ids.handleId}`);
  } catch (e) {
    log.error(`rollback: failed to release the addresses of ${ids.handleId}: ${(e as Error).message}`);
  }
}

async function addNetworkProfile(ds: CniDatastore, ctx: PluginContext, wep: Wep): Promise<void> {
  const profiles = wep.spec?.profiles ?? [];
  if (ctx.conf.policyType !== '' || profiles.includes(ctx.conf.name)) return;
  await ensureNetworkProfile(ds, ctx.conf, false);
  await writeWep(ds, { ...wep, spec: { ...wep.spec, profiles: [...profiles, ctx.conf.name] } }, wep);
}

function resultFromWep(wep: Wep, ctx: PluginContext): CniResult {
  const ids = identity(ctx);
  return {
    interfaces: [
      { name: wep.spec?.interfaceName ?? ids.hostVeth },
      { name: ids.ifname, mac: wep.spec?.mac, sandbox: ctx.env.netns },
    ],
    ips: (wep.spec?.ipNetworks ?? []).map((address) => ({ interface: 1, address })),
    routes: [],
    dns: {},
  };
}
