/**
 * The JSON report `calicoctl ipam check -o FILE` writes and `calicoctl ipam release --from-report`
 * reads. Our own shape (Calico's differs); every field is written, and unknown fields are ignored
 * when reading:
 *
 * {
 *   "kind": "IPAMCheckReport",
 *   "version": "v0.1.0",                  // calicoctl that wrote it; release insists on the same
 *   "clusterGUID": "<32 hex>",            // ClusterInformation: release refuses any other cluster
 *   "clusterType": "...",
 *   "clusterInformationRevision": "123",  // resourceVersion of ClusterInformation when checked
 *   "datastoreLocked": true,              // datastoreReady was false when checked
 *   "generatedAt": "<RFC 3339>",
 *   "problems": 3,                        // the N of "Check complete; found N problems."
 *   "leakedIPs": [                        // allocated in IPAM, used by no workload or node
 *     { "ip": "10.65.0.7", "block": "10.65.0.0/26", "ordinal": 7, "handle": "k8s-pod-network.abc",
 *       "sequenceNumber": "1767225600000000123",   // the ordinal's stamp, a uint64 as a string
 *       "node": "node-1", "pod": "web-0", "namespace": "default", "type": "...",
 *       "creationTimestamp": "...", "borrowed": false }
 *   ],
 *   "inUseButNotAllocated": [ { "ip": "...", "owners": ["Workload(ns/name)"], "inActivePool": true } ],
 *   "leakedHandles": [ { "id": "...", "revision": "456" } ],   // handles no allocation refers to
 *   "missingHandles": [ "..." ],          // handle IDs allocations use, with no handle record
 *   "orphanedBlocks": [ { "cidr": "...", "affinity": "host:gone", "node": "gone", "allocations": 2 } ]
 * }
 *
 * Release acts on `leakedIPs` (with the handle and sequence number seen) and `leakedHandles`
 * (with the revision seen); the other lists are for people to read.
 */
import { CommandError } from '../../io.js';

export const REPORT_KIND = 'IPAMCheckReport';

export interface LeakedAllocation {
  ip: string;
  block: string;
  ordinal: number;
  handle?: string;
  sequenceNumber: string;
  node?: string;
  pod?: string;
  namespace?: string;
  type?: string;
  creationTimestamp?: string;
  borrowed: boolean;
}

export interface UnallocatedUse {
  ip: string;
  owners: string[];
  inActivePool: boolean;
}

export interface LeakedHandle {
  id: string;
  revision: string;
}

export interface OrphanedBlock {
  cidr: string;
  affinity: string;
  node: string;
  allocations: number;
}

export interface CheckReport {
  kind: typeof REPORT_KIND;
  version: string;
  clusterGUID: string;
  clusterType: string;
  clusterInformationRevision: string;
  datastoreLocked: boolean;
  generatedAt: string;
  problems: number;
  leakedIPs: LeakedAllocation[];
  inUseButNotAllocated: UnallocatedUse[];
  leakedHandles: LeakedHandle[];
  missingHandles: string[];
  orphanedBlocks: OrphanedBlock[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, k: string, where: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw new CommandError(`${where}: field "${k}" must be a string`);
  return v;
}

function optStr(o: Record<string, unknown>, k: string, where: string): string | undefined {
  return o[k] === undefined ? undefined : str(o, k, where);
}

function list(o: Record<string, unknown>, k: string, where: string): unknown[] {
  const v = o[k] ?? [];
  if (!Array.isArray(v)) throw new CommandError(`${where}: field "${k}" must be a list`);
  return v;
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Parses a report file's text; what release relies on is checked, the rest taken as written. */
export function parseReport(text: string, file: string): CheckReport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CommandError(`the provided report (${file}) is not valid JSON: ${(e as Error).message}`);
  }
  if (!isRecord(doc) || doc.kind !== REPORT_KIND) {
    throw new CommandError(`the provided report (${file}) is not a report written by calicoctl ipam check`);
  }
  const where = `report ${file}`;
  const leakedIPs = list(doc, 'leakedIPs', where).map((a, i): LeakedAllocation => {
    const w = `${where}: leakedIPs[${i}]`;
    if (!isRecord(a)) throw new CommandError(`${w} must be an object`);
    const seq = str(a, 'sequenceNumber', w);
    if (!/^[0-9]+$/.test(seq)) throw new CommandError(`${w}: sequenceNumber must be a decimal number`);
    return withoutUndefined({
      ip: str(a, 'ip', w),
      block: str(a, 'block', w),
      ordinal: typeof a.ordinal === 'number' ? a.ordinal : -1,
      handle: optStr(a, 'handle', w),
      sequenceNumber: seq,
      node: optStr(a, 'node', w),
      pod: optStr(a, 'pod', w),
      namespace: optStr(a, 'namespace', w),
      type: optStr(a, 'type', w),
      creationTimestamp: optStr(a, 'creationTimestamp', w),
      borrowed: a.borrowed === true,
    });
  });
  const leakedHandles = list(doc, 'leakedHandles', where).map((h, i): LeakedHandle => {
    const w = `${where}: leakedHandles[${i}]`;
    if (!isRecord(h)) throw new CommandError(`${w} must be an object`);
    return { id: str(h, 'id', w), revision: str(h, 'revision', w) };
  });
  return {
    kind: REPORT_KIND,
    version: str(doc, 'version', where),
    clusterGUID: str(doc, 'clusterGUID', where),
    clusterType: typeof doc.clusterType === 'string' ? doc.clusterType : '',
    clusterInformationRevision:
      typeof doc.clusterInformationRevision === 'string' ? doc.clusterInformationRevision : '',
    datastoreLocked: doc.datastoreLocked === true,
    generatedAt: typeof doc.generatedAt === 'string' ? doc.generatedAt : '',
    problems: typeof doc.problems === 'number' ? doc.problems : 0,
    leakedIPs,
    inUseButNotAllocated: list(doc, 'inUseButNotAllocated', where) as UnallocatedUse[],
    leakedHandles,
    missingHandles: list(doc, 'missingHandles', where) as string[],
    orphanedBlocks: list(doc, 'orphanedBlocks', where) as OrphanedBlock[],
  };
}

/** Several reports: only leaks every one of them saw, with the same handle, sequence number or revision. */
export function mergeReports(reports: readonly CheckReport[]): {
  ips: LeakedAllocation[];
  handles: LeakedHandle[];
} {
  let ips = reports[0]?.leakedIPs ?? [];
  let handles = reports[0]?.leakedHandles ?? [];
  for (const r of reports.slice(1)) {
    const seen = new Set(r.leakedIPs.map((a) => `${a.ip}|${a.handle ?? ''}|${a.sequenceNumber}`));
    ips = ips.filter((a) => seen.has(`${a.ip}|${a.handle ?? ''}|${a.sequenceNumber}`));
    const hs = new Set(r.leakedHandles.map((h) => `${h.id}|${h.revision}`));
    handles = handles.filter((h) => hs.has(`${h.id}|${h.revision}`));
  }
  return { ips, handles };
}
