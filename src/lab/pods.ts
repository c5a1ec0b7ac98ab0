/**
 * Pods as a container runtime makes them: an empty network namespace, then the real `calico` CNI
 * plugin executed from the lab's plugin directory with the CNI_* environment and the network
 * configuration on stdin. The plugin
 * runs inside the host's namespace, as it would on a real host, so the host side of the veth,
 * the /32 route and proxy ARP land there; IPAM goes to the lab's etcd through the unix socket.
 */
import { join } from 'node:path';
import { LabError } from './lab-error.js';
import { netnsPath, type LabNames } from './names.js';
import { LAB_MARKER_VAR } from './processes.js';
import { baseEnv, runInNetns, type CommandResult } from './run-command.js';
import type { HostState, LabMode, PodState } from './state.js';
import { pluginFile } from './wrappers.js';

export const NETWORK_NAME = 'calico-lab';

/** The network configuration a runtime would read from /etc/cni/net.d on this host. */
export function podNetconf(
  names: LabNames,
  host: HostState,
  mode: LabMode,
  k8s = false,
): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: NETWORK_NAME,
    type: 'calico',
    log_level: 'info',
    datastore_type: 'etcdv3',
    etcd_endpoints: names.etcdEndpoint,
    nodename: host.name,
    nodename_file_optional: true,
    // VXLAN costs 50 bytes of the fabric's 1500.
    mtu: mode === 'vxlan' ? 1450 : 1500,
    ipam: { type: 'calico-ipam' },
    // Per-host paths: the default ones would be shared by every host of the machine.
    ipam_lock_file: join(host.runDir, 'ipam.lock'),
    cni_agent_socket: join(host.runDir, 'cni-agent.sock'),
    // Kubernetes pods get the namespace's profile (kns.<ns>), as a cluster's network config says.
    ...(k8s ? { policy: { type: 'k8s' } } : {}),
  };
}

/** CNI_ARGS as kubelet sets them for a pod sandbox. */
export function k8sCniArgs(pod: PodState): string {
  const k = pod.k8s!;
  return [
    'IgnoreUnknown=1',
    `K8S_POD_NAMESPACE=${k.namespace}`,
    `K8S_POD_NAME=${k.name}`,
    `K8S_POD_INFRA_CONTAINER_ID=${pod.containerId}`,
    `K8S_POD_UID=${k.uid}`,
  ].join(';');
}

function cniCall(
  names: LabNames,
  host: HostState,
  pod: PodState,
  mode: LabMode,
  command: 'ADD' | 'DEL',
): Promise<CommandResult> {
  const env = baseEnv({
    [LAB_MARKER_VAR]: names.dir,
    CNI_COMMAND: command,
    CNI_CONTAINERID: pod.containerId,
    CNI_NETNS: netnsPath(pod.netns),
    CNI_IFNAME: 'eth0',
    CNI_PATH: names.binDir,
    // What kubelet passes: the plugin names the WorkloadEndpoint after the pod (orchestrator k8s).
    ...(pod.k8s ? { CNI_ARGS: k8sCniArgs(pod) } : {}),
  });
  // Exec'd from the plugin directory, as a runtime does (the Go shim asks the host's CNI agent first).
  return runInNetns(host.name, pluginFile(names, 'calico'), [], {
    env,
    stdin: JSON.stringify(podNetconf(names, host, mode, pod.k8s !== undefined)),
    timeoutMs: 60_000,
  });
}

/** The CNI error object (code, msg, details) a plugin prints on failure, as one line. */
function cniFailure(r: CommandResult): string {
  try {
    const e = JSON.parse(r.stdout) as { code?: number; msg?: string; details?: string };
    if (e.msg) return `CNI error ${e.code ?? '?'}: ${e.msg}${e.details ? ` (${e.details})` : ''}`;
  } catch {
    // not JSON
  }
  const lines = (r.stderr.trim() || r.stdout.trim()).split('\n');
  return `exit ${r.code}: ${lines.slice(-5).join('\n')}`;
}

/** CNI ADD; returns the pod's IPv4 address. */
export async function cniAdd(
  names: LabNames,
  host: HostState,
  pod: PodState,
  mode: LabMode,
): Promise<string> {
  const r = await cniCall(names, host, pod, mode, 'ADD');
  if (r.code !== 0) {
    throw new LabError(
      `the calico CNI plugin failed to add pod ${pod.name} on ${host.name}: ${cniFailure(r)}`,
    );
  }
  let ip: string | undefined;
  try {
    const result = JSON.parse(r.stdout) as { ips?: { address?: string }[] };
    ip = result.ips?.map((i) => i.address ?? '').find((a) => a.includes('.'));
  } catch {
    // reported below
  }
  if (!ip)
    throw new LabError(`the calico CNI plugin returned no IPv4 address for ${pod.name}: ${r.stdout.trim()}`);
  return ip.split('/')[0];
}

/** CNI DEL (idempotent: deleting a pod that is half gone succeeds). */
export async function cniDel(names: LabNames, host: HostState, pod: PodState, mode: LabMode): Promise<void> {
  const r = await cniCall(names, host, pod, mode, 'DEL');
  if (r.code !== 0) {
    throw new LabError(
      `the calico CNI plugin failed to delete pod ${pod.name} on ${host.name}: ${cniFailure(r)}`,
    );
  }
}
