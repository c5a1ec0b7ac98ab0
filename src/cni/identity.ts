/**
 * Who a CNI call is for: the orchestrator, the workload's names, and everything named after them
 * (WorkloadEndpoint, host-side veth, IPAM handles). Calico's rules, spec cni.md §4.
 */
import { ValidationError } from '../errors/index.js';
import { workloadEndpointName } from '../api/workload-endpoint-name.js';
import { containerVethName, workloadVethName } from '../net/ifname.js';
import { CniCode, CniError } from './cni-error.js';
import type { CniEnv } from './cni-env.js';
import type { NetConf } from './netconf.js';
import type { CniDeps } from './types.js';

export interface WorkloadIdentity {
  orchestrator: 'k8s' | 'cni';
  /** Kubernetes namespace, or `default` for plain CNI workloads. */
  namespace: string;
  pod?: string;
  containerId: string;
  ifname: string;
  node: string;
  /** `<node>-<orch>-<pod|containerID>-<ifname>`. */
  wepName: string;
  hostVeth: string;
  /** `<network>.<containerID>`. */
  handleId: string;
  /** The handle older Calico releases used (`<ns>.<pod>` or the container id); DEL releases it too. */
  legacyHandleId: string;
}

/**
 * The node name: `nodename` → the nodename file Calico's node writes → `hostname` → the OS host
 * name. Unless `nodename_file_optional`, the file must exist (it proves calico-node ran here).
 */
export function resolveNodename(conf: NetConf, deps: Pick<CniDeps, 'readFile' | 'hostname'>): string {
  const fromFile = deps.readFile(conf.nodenameFile);
  if (fromFile === undefined && !conf.nodenameFileOptional) {
    throw new CniError(
      CniCode.CALICO,
      `stat ${conf.nodenameFile}: no such file or directory: check that the calico/node container is running and has mounted /var/lib/calico/`,
      'start calico-node on this host (it writes the file), or set "nodename" (or "nodename_file_optional": true) in the network configuration',
    );
  }
  if (conf.nodename) return conf.nodename;
  if (fromFile !== undefined && fromFile.trim() !== '') return fromFile.trim();
  if (conf.hostname) return conf.hostname;
  return deps.hostname().trim().toLowerCase();
}

/** The veth prefix: the first entry of FELIX_INTERFACEPREFIX, else `cali`. */
export function interfacePrefix(env: Record<string, string>): string {
  const first = (env.FELIX_INTERFACEPREFIX ?? '').split(',')[0].trim();
  return first || 'cali';
}

export function workloadIdentity(
  conf: NetConf,
  cniEnv: CniEnv,
  node: string,
  env: Record<string, string>,
): WorkloadIdentity {
  const ns = cniEnv.args.get('K8S_POD_NAMESPACE') ?? '';
  const pod = cniEnv.args.get('K8S_POD_NAME') ?? '';
  const k8s = ns !== '' && pod !== '';
  const prefix = interfacePrefix(env);
  const containerId = cniEnv.containerId;
  let wepName: string;
  try {
    wepName = workloadEndpointName({
      node,
      orchestrator: k8s ? 'k8s' : 'cni',
      pod: k8s ? pod : undefined,
      containerID: k8s ? undefined : containerId,
      endpoint: cniEnv.ifname,
    });
  } catch (e) {
    if (e instanceof ValidationError) {
      throw new CniError(
        CniCode.INVALID_ENV,
        `cannot name the WorkloadEndpoint: ${e.message}`,
        'the node name, pod name, container id and interface name must not begin or end with "-"',
      );
    }
    throw e;
  }
  return {
    orchestrator: k8s ? 'k8s' : 'cni',
    namespace: k8s ? ns : 'default',
    pod: k8s ? pod : undefined,
    containerId,
    ifname: cniEnv.ifname,
    node,
    wepName,
    hostVeth: k8s ? workloadVethName(ns, pod, prefix) : containerVethName(containerId, prefix),
    handleId: `${conf.name}.${containerId}`,
    legacyHandleId: k8s ? `${ns}.${pod}` : containerId,
  };
}
