/** The WorkloadEndpoint the plugin writes for each pod, and the profile plain CNI networks use. */
import { isCalicoError } from '../errors/index.js';
import { CniCode, CniError } from './cni-error.js';
import type { Resource } from '../api/types.js';
import type { WorkloadEndpointSpec } from '../api/kinds/workloadendpoint.js';
import type { ProfileSpec } from '../api/kinds/profile.js';
import type { WorkloadIdentity } from './identity.js';
import type { NetConf } from './netconf.js';
import type { CniDatastore } from './types.js';

export type Wep = Resource<WorkloadEndpointSpec>;

const NAMESPACE_LABEL = 'projectcalico.org/namespace';
const ORCHESTRATOR_LABEL = 'projectcalico.org/orchestrator';

/** The pod's endpoint, or undefined when there is none; datastore errors propagate. */
export async function getWep(ds: CniDatastore, ids: WorkloadIdentity): Promise<Wep | undefined> {
  try {
    return (await ds.client.get('WorkloadEndpoint', ids.wepName, ids.namespace)) as Wep;
  } catch (e) {
    if (isCalicoError(e, 'NOT_FOUND')) return undefined;
    throw e;
  }
}

/** Profiles: kns.<namespace> under Kubernetes policy, else the network's own profile. */
export function profilesFor(conf: NetConf, ids: WorkloadIdentity): string[] {
  return conf.policyType === 'k8s' ? [`kns.${ids.namespace}`] : [conf.name];
}

export function buildWep(
  conf: NetConf,
  ids: WorkloadIdentity,
  mac: string,
  addresses: string[],
  existing: Wep | undefined,
): Wep {
  const spec: WorkloadEndpointSpec = {
    orchestrator: ids.orchestrator,
    node: ids.node,
    ...(ids.orchestrator === 'k8s' ? { pod: ids.pod } : {}),
    containerID: ids.containerId,
    endpoint: ids.ifname,
    ipNetworks: addresses,
    profiles: profilesFor(conf, ids),
    interfaceName: ids.hostVeth,
    mac,
  };
  const metadata = existing ? { ...existing.metadata } : { name: ids.wepName, namespace: ids.namespace };
  metadata.labels = {
    ...(existing?.metadata.labels ?? {}),
    [NAMESPACE_LABEL]: ids.namespace,
    [ORCHESTRATOR_LABEL]: ids.orchestrator,
  };
  return { apiVersion: 'projectcalico.org/v3', kind: 'WorkloadEndpoint', metadata, spec };
}

/** Create, or update the existing object in place (its resourceVersion guards the write). */
export async function writeWep(ds: CniDatastore, wep: Wep, existing: Wep | undefined): Promise<Wep> {
  const out = existing ? await ds.client.update(wep as Resource) : await ds.client.create(wep as Resource);
  return out as Wep;
}

/**
 * Deletes the endpoint if it still belongs to `containerId`. Retries on concurrent changes (Calico
 * tries 6 times). Says what it found: `deleted`, `absent` (NotFound is success), or `kept` (the
 * endpoint names another container: a newer sandbox of the same pod).
 */
export async function deleteWepIfOwned(
  ds: CniDatastore,
  ids: WorkloadIdentity,
  onKept: (other: string) => void,
): Promise<'deleted' | 'absent' | 'kept'> {
  for (let attempt = 0; ; attempt++) {
    const wep = await getWep(ds, ids);
    if (!wep) return 'absent';
    const owner = wep.spec?.containerID;
    if (owner && owner !== ids.containerId) {
      onKept(owner);
      return 'kept';
    }
    try {
      await ds.client.delete('WorkloadEndpoint', ids.wepName, ids.namespace, wep.metadata.resourceVersion);
      return 'deleted';
    } catch (e) {
      if (isCalicoError(e, 'NOT_FOUND')) return 'absent';
      if (!isCalicoError(e, 'UPDATE_CONFLICT')) throw e;
      if (attempt === 5) {
        throw new CniError(
          CniCode.TRY_AGAIN_LATER,
          `error deleting endpoint: endpoint was modified before it could be deleted: ${e.message}`,
          'something else keeps changing the WorkloadEndpoint; retry the DEL',
        );
      }
    }
  }
}

/**
 * The network's profile for plain CNI networks (policy.type unset), created when missing and never
 * modified: allow all egress; ingress from everything (Kubernetes) or from endpoints of the same
 * network (which the profile labels with the network name).
 */
export async function ensureNetworkProfile(ds: CniDatastore, conf: NetConf, k8s: boolean): Promise<void> {
  try {
    await ds.client.get('Profile', conf.name);
    return;
  } catch (e) {
    if (!isCalicoError(e, 'NOT_FOUND')) throw e;
  }
  const spec: ProfileSpec = {
    ingress: [k8s ? { action: 'Allow' } : { action: 'Allow', source: { selector: `has(${conf.name})` } }],
    egress: [{ action: 'Allow' }],
    labelsToApply: { [conf.name]: '' },
  };
  try {
    await ds.client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'Profile',
      metadata: { name: conf.name },
      spec: spec as Record<string, unknown>,
    });
  } catch (e) {
    if (!isCalicoError(e, 'ALREADY_EXISTS')) throw e;
  }
}
