import { createHash } from 'node:crypto';

// Host-side veth names. Linux interface names hold at most 15 characters, so Calico uses a short
// prefix plus 11 characters derived from the workload.

/** Kubernetes pods: prefix + first 11 hex chars of SHA-1("<namespace>.<pod>"); matches what Felix expects. */
export function workloadVethName(namespace: string, pod: string, prefix = 'cali'): string {
  const hex = createHash('sha1').update(`${namespace}.${pod}`).digest('hex');
  return prefix + hex.slice(0, 11);
}

/** Plain CNI (non-Kubernetes) workloads: prefix + first 11 chars of the container id (shorter ids whole). */
export function containerVethName(containerId: string, prefix = 'cali'): string {
  return prefix + containerId.slice(0, 11);
}
