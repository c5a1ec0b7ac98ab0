/** Everything one CNI call works with, assembled once by the dispatcher. */
import type { CniEnv } from './cni-env.js';
import { toCniError } from './cni-error.js';
import type { WorkloadIdentity } from './identity.js';
import type { CniLogger } from './logger.js';
import type { NetConf } from './netconf.js';
import type { CniDatastore, CniDeps, CniRequest } from './types.js';

export interface PluginContext {
  req: CniRequest;
  deps: CniDeps;
  conf: NetConf;
  env: CniEnv;
  log: CniLogger;
  now: Date;
  node: string;
  /** Set for ADD, DEL and CHECK. */
  ids?: WorkloadIdentity;
}

export function ids(ctx: PluginContext): WorkloadIdentity {
  if (!ctx.ids) throw new Error(`${ctx.req.command} needs a workload identity`);
  return ctx.ids;
}

/** The (cached) datastore clients; connection problems become CNI errors. */
export async function datastore(ctx: PluginContext): Promise<CniDatastore> {
  const t0 = performance.now();
  try {
    const ds = await ctx.deps.datastore(ctx.conf.datastore);
    ctx.log.debug(`datastore clients ready after ${(performance.now() - t0).toFixed(1)} ms`);
    return ds;
  } catch (e) {
    throw toCniError(e, 'failed to connect to the datastore');
  }
}
