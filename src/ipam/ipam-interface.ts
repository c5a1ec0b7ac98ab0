/**
 * What IPAM offers to the CNI plugin, calico-node and calicoctl (Calico's ipam.Interface, in our
 * shapes). Implemented by IPAMClient (src/ipam/ipam-client.ts) over a datastore Backend.
 */
import type { IPAMConfig } from './model.js';

export type IntendedUse = 'Workload' | 'Tunnel' | 'LoadBalancer';

export interface AutoAssignArgs {
  num4: number;
  num6: number;
  handleId: string;
  /** Secondary attributes stored with the allocation (`node`, `pod`, `namespace`, `timestamp`, `type`). */
  attrs?: Record<string, string>;
  hostname: string;
  /** Pool CIDRs the caller asks for (CNI ipv4_pools/ipv6_pools, resolved); empty ⇒ selector-based choice. */
  ipv4Pools?: string[];
  ipv6Pools?: string[];
  maxBlocksPerHost?: number;
  intendedUse: IntendedUse;
  /** Namespace labels for pools' namespaceSelector; undefined ⇒ empty labels. */
  namespaceLabels?: Record<string, string>;
  /** Abort when aborted (CNI's 90 s budget). */
  signal?: AbortSignal;
}

export interface Assignment {
  /** Assigned addresses with the BLOCK prefix length, e.g. `10.65.79.5/26`. */
  ips: string[];
  numRequested: number;
  /** Why fewer than requested (Calico's messages). */
  msgs: string[];
}

export interface AutoAssignResult {
  ipv4: Assignment;
  ipv6: Assignment;
}

export interface AssignIPArgs {
  ip: string;
  handleId: string;
  attrs?: Record<string, string>;
  hostname: string;
  intendedUse: IntendedUse;
}

export interface ReleaseOptions {
  address: string;
  handleId?: string;
  sequenceNumber?: bigint;
}

export interface AllocationInfo {
  handleId?: string;
  attrs: Record<string, string>;
  alternateAttrs?: Record<string, string>;
  inCooldown: boolean;
  block: string;
  sequenceNumber: bigint;
}

export interface IPAM {
  autoAssign(args: AutoAssignArgs): Promise<AutoAssignResult>;
  assignIP(args: AssignIPArgs): Promise<void>;
  /** Returns the addresses that were not allocated (not an error, as in Calico). */
  releaseIPs(opts: ReleaseOptions[]): Promise<{ unallocated: string[] }>;
  /** Throws NOT_FOUND when the handle does not exist. */
  releaseByHandle(handleId: string): Promise<void>;
  ipsByHandle(handleId: string): Promise<string[]>;
  /** Undefined when the address is not allocated. */
  getAssignmentAttributes(ip: string): Promise<AllocationInfo | undefined>;
  getIPAMConfig(): Promise<IPAMConfig>;
  setIPAMConfig(cfg: IPAMConfig): Promise<void>;
  releasePoolAffinities(poolCIDR: string): Promise<void>;
  releaseHostAffinities(host: string, mustBeEmpty: boolean): Promise<void>;
  removeIPAMHost(host: string): Promise<void>;
}

/** AutoAssign's "partial success is not an error": callers turn a short result into this text. */
export function partialFulfillmentError(a: Assignment, family: 4 | 6): string | undefined {
  if (a.ips.length >= a.numRequested) return undefined;
  return [
    `Assigned ${a.ips.length} out of ${a.numRequested} requested IPv${family} addresses`,
    ...a.msgs,
  ].join('; ');
}
