/** Calico refuses ADD and DEL unless ClusterInformation says the datastore is ready. */
import { CniCode, CniError, toCniError } from './cni-error.js';
import type { CniDatastore } from './types.js';

/** When each long-lived datastore last answered ready (performance.now()). */
const lastReady = new WeakMap<CniDatastore, number>();

export async function checkDatastoreReady(ds: CniDatastore): Promise<void> {
  const ttl = ds.readyCacheMs ?? 0;
  const at = lastReady.get(ds);
  if (ttl > 0 && at !== undefined && performance.now() - at < ttl) return;
  await readReadiness(ds);
  if (ttl > 0) lastReady.set(ds, performance.now());
}

async function readReadiness(ds: CniDatastore): Promise<void> {
  let ready: unknown;
  try {
    const ci = await ds.client.get('ClusterInformation', 'default');
    ready = (ci.spec as { datastoreReady?: boolean } | undefined)?.datastoreReady;
  } catch (e) {
    const ce = toCniError(e, 'error getting ClusterInformation');
    if (ce.cniCode === CniCode.CALICO) {
      throw new CniError(
        ce.cniCode,
        ce.message,
        'calico-node creates ClusterInformation "default" when it first starts: start calico-node (or run its datastore initialisation) and retry',
      );
    }
    throw ce;
  }
  if (ready !== true) {
    throw new CniError(
      CniCode.DATASTORE_NOT_READY,
      'Calico is currently not ready to process requests',
      'ClusterInformation "default" has datastoreReady: false (an upgrade or a restore is in progress); retry once it is set back to true',
    );
  }
}
