/**
 * The consistency scan of `calicoctl ipam check` (ipam.md §11): allocations against the addresses
 * workloads and nodes use, handles against allocations, blocks against nodes. Each step prints its
 * "Loading…" line, then awaits its loader, so progress shows as the datastore is read; the data
 * sources are injected, which keeps the scan testable without a datastore.
 *
 * Problems counted: allocated-but-unused IPs, in-use IPs outside active pools, in-use IPs in a pool
 * but not allocated, handles with no allocations, handle IDs with no handle record, and blocks
 * affine to a node that does not exist. Allocations whose ordinal is cooling down (released, not
 * yet free) are neither counted nor checked. Calico's Kubernetes-only LoadBalancer step is absent:
 * this datastore has no Services.
 */
import type { Resource } from '../../../api/index.js';
import type { AllocationAttribute, AllocationBlock } from '../../../ipam/model.js';
import {
  cidrContainsIP,
  compareIP,
  formatIP,
  nthAddress,
  parseCIDR,
  parseIP,
  type CIDR,
} from '../../../net/index.js';
import type { LeakedAllocation, LeakedHandle, OrphanedBlock, UnallocatedUse } from './check-report.js';
import { nodeTunnelIPs, workloadIPs, type AddressUse } from './in-use.js';

export const WINDOWS_RESERVED_HANDLE = 'windows-reserved-ipam-handle';
const TOP_NODES = 20;

export interface CheckOptions {
  showAllIPs: boolean;
  showProblemIPs: boolean;
}

export interface HandleRecord {
  id: string;
  /** The handle key's mod revision, so a later delete can insist nothing changed. */
  revision: string;
}

export interface CheckResult {
  problems: number;
  leakedIPs: LeakedAllocation[];
  inUseButNotAllocated: UnallocatedUse[];
  leakedHandles: LeakedHandle[];
  missingHandles: string[];
  orphanedBlocks: OrphanedBlock[];
}

interface Allocation extends LeakedAllocation {
  attr: AllocationAttribute;
  inUse: boolean;
}

function byAddress(a: string, b: string): number {
  return compareIP(parseIP(a), parseIP(b));
}

/** Calico's one-line form of an allocation attribute: `Main:<handle> Extra:k=v,k=v`. */
export function formatAttrs(attr: AllocationAttribute | undefined): string {
  if (!attr) return '<missing>';
  const extra = Object.keys(attr.secondary ?? {})
    .sort()
    .map((k) => `${k}=${attr.secondary![k]}`)
    .join(',');
  return `Main:${attr.handle_id ?? '<none>'} Extra:${extra}`;
}

function isCooldown(attr: AllocationAttribute | undefined): boolean {
  return !!attr?.releasedAt && attr.handle_id === undefined;
}

function hostOf(affinity: string | null | undefined): string {
  return affinity?.startsWith('host:') ? affinity.slice(5) : '';
}

export class IPAMChecker {
  private readonly allocations = new Map<string, Allocation[]>();
  private readonly byNode = new Map<string, number>();
  private readonly inUse = new Map<string, string[]>();
  private readonly inUseHandles = new Set<string>();
  private readonly blockList: AllocationBlock[] = [];
  private readonly nodeNames = new Set<string>();
  private activePools: CIDR[] = [];
  private handles: HandleRecord[] = [];

  constructor(
    private readonly print: (text: string) => void,
    private readonly opts: CheckOptions,
  ) {}

  private recordInUse(use: AddressUse): void {
    if (this.opts.showAllIPs) this.print(`  ${use.ip} belongs to ${use.owner}\n`);
    this.inUse.set(use.ip, [...(this.inUse.get(use.ip) ?? []), use.owner]);
    for (const a of this.allocations.get(use.ip) ?? []) a.inUse = true;
  }

  private recordAllocation(
    b: AllocationBlock,
    cidr: CIDR,
    ord: number,
    attr: AllocationAttribute | undefined,
  ): void {
    const ip = formatIP(nthAddress(cidr, ord));
    const blockHost = hostOf(b.affinity);
    const sec = attr?.secondary ?? {};
    const node = sec.node || blockHost;
    const windows = attr?.handle_id === WINDOWS_RESERVED_HANDLE;
    const a: Allocation = {
      ip,
      block: b.cidr,
      ordinal: ord,
      handle: windows ? undefined : attr?.handle_id,
      sequenceNumber: (b.sequenceNumberForAllocation?.[String(ord)] ?? 0n).toString(),
      node: node || undefined,
      pod: sec.pod || undefined,
      namespace: sec.namespace || undefined,
      type: sec.type || undefined,
      creationTimestamp: sec.timestamp || undefined,
      borrowed: node !== blockHost,
      attr: attr ?? {},
      inUse: false,
    };
    if (windows) this.recordInUse({ ip, owner: 'Reserved for Windows' });
    else if (a.handle !== undefined) this.inUseHandles.add(a.handle);
    this.allocations.set(ip, [...(this.allocations.get(ip) ?? []), a]);
    this.byNode.set(node, (this.byNode.get(node) ?? 0) + 1);
    if (this.opts.showAllIPs) this.print(`  ${ip} allocated; attrs ${formatAttrs(attr)}\n`);
  }

  async loadBlocks(load: () => Promise<AllocationBlock[]>): Promise<void> {
    this.print('Loading all IPAM blocks...\n');
    const blocks = (await load()).filter((b) => !b.deleted);
    this.print(`Found ${blocks.length} IPAM blocks.\n`);
    let n = 0;
    for (const b of blocks) {
      this.blockList.push(b);
      this.print(` IPAM block ${b.cidr} affinity=${b.affinity ?? '<none>'}:\n`);
      const cidr = parseCIDR(b.cidr);
      b.allocations.forEach((idx, ord) => {
        if (idx === null || idx === undefined) return;
        const attr = b.attributes[idx];
        if (isCooldown(attr)) return;
        n++;
        this.recordAllocation(b, cidr, ord, attr);
      });
    }
    this.print(`IPAM blocks record ${n} allocations.\n\n`);
  }

  async loadPools(load: () => Promise<Resource[]>): Promise<void> {
    this.print('Loading all IPAM pools...\n');
    for (const p of await load()) {
      const spec = (p.spec ?? {}) as { cidr?: string; disabled?: boolean };
      if (spec.disabled || !spec.cidr) continue;
      this.print(`  ${spec.cidr}\n`);
      this.activePools.push(parseCIDR(spec.cidr));
    }
    this.print(`Found ${this.activePools.length} active IP pools.\n\n`);
  }

  async loadNodes(load: () => Promise<Resource[]>): Promise<void> {
    this.print('Loading all nodes.\n');
    let n = 0;
    for (const node of await load()) {
      this.nodeNames.add(node.metadata.name ?? '');
      for (const use of nodeTunnelIPs(node)) {
        this.recordInUse(use);
        n++;
      }
    }
    this.print(`Found ${n} node tunnel IPs.\n\n`);
  }

  async loadWorkloads(load: () => Promise<Resource[]>): Promise<void> {
    this.print('Loading all workload endpoints.\n');
    let n = 0;
    for (const wep of await load()) {
      for (const use of workloadIPs(wep)) {
        this.recordInUse(use);
        n++;
      }
    }
    this.print(`Found ${n} workload IPs.\n`);
    this.print(`Workloads and nodes are using ${this.inUse.size} IPs.\n\n`);
  }

  async loadHandles(load: () => Promise<HandleRecord[]>): Promise<void> {
    this.print('Loading all handles\n');
    this.handles = await load();
  }

  /** Runs the scans over what was loaded and prints the findings. */
  scan(): CheckResult {
    this.printTopNodes();
    const allocated = [...this.allocations.keys()].sort(byAddress);
    const used = [...this.inUse.keys()].sort(byAddress);

    this.print('Scanning for IPs that are allocated but not actually in use...\n');
    const leakedIPs: LeakedAllocation[] = [];
    for (const ip of allocated) {
      if (this.inUse.has(ip)) continue;
      for (const a of this.allocations.get(ip)!) {
        if (this.opts.showProblemIPs) this.print(`  ${ip} leaked; attrs ${formatAttrs(a.attr)}\n`);
        const { attr: _attr, inUse: _inUse, ...leak } = a;
        leakedIPs.push(leak);
      }
    }
    const leakedCount = allocated.filter((ip) => !this.inUse.has(ip)).length;
    this.print(`Found ${leakedCount} IPs that are allocated in IPAM but not actually in use.\n`);

    this.print('Scanning for IPs that are in use by a workload or node but not allocated in IPAM...\n');
    const inUseButNotAllocated: UnallocatedUse[] = [];
    let outsidePools = 0;
    for (const ip of used) {
      const owners = this.inUse.get(ip)!;
      if (this.opts.showProblemIPs && owners.length > 1) this.print(`  ${ip} has multiple owners.\n`);
      if (this.allocations.has(ip)) continue;
      const addr = parseIP(ip);
      const inActivePool = this.activePools.some((p) => cidrContainsIP(p, addr));
      if (inActivePool) {
        if (this.opts.showProblemIPs) {
          for (const o of owners)
            this.print(`  ${ip} in use by ${o} and in active IPAM pool but has no IPAM allocation.\n`);
        }
      } else {
        outsidePools++;
        if (this.opts.showProblemIPs) {
          for (const o of owners) this.print(`  ${ip} in use by ${o} is not in any active IP pool.\n`);
        }
      }
      inUseButNotAllocated.push({ ip, owners, inActivePool });
    }
    this.print(`Found ${outsidePools} in-use IPs that are not in active IP pools.\n`);
    this.print(
      `Found ${inUseButNotAllocated.length - outsidePools} in-use IPs that are in active IP pools but have no corresponding IPAM allocation.\n\n`,
    );

    this.print('Scanning for IPAM handles with no matching IPs...\n');
    const leakedHandles: LeakedHandle[] = [];
    let good = 0;
    for (const h of [...this.handles].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
      if (this.inUseHandles.has(h.id)) {
        good++;
        continue;
      }
      if (this.opts.showAllIPs) this.print(`  ${h.id} doesn't have any active IPs.\n`);
      leakedHandles.push({ id: h.id, revision: h.revision });
    }
    this.print(
      `Found ${leakedHandles.length} handles with no matching IPs (and ${good} handles with matches).\n`,
    );

    this.print('Scanning for IPs with missing handle...\n');
    const known = new Set(this.handles.map((h) => h.id));
    const missingHandles = [...this.inUseHandles].filter((id) => !known.has(id)).sort();
    if (this.opts.showProblemIPs) {
      for (const id of missingHandles) this.print(`  ${id} is in use in a block but doesn't exist.\n`);
    }
    this.print(
      `Found ${missingHandles.length} handles mentioned in blocks with no matching handle resource.\n`,
    );

    this.print('Scanning for IPAM blocks affine to nodes that do not exist...\n');
    const orphanedBlocks: OrphanedBlock[] = [];
    for (const b of this.blockList) {
      const node = hostOf(b.affinity);
      if (!node || this.nodeNames.has(node)) continue;
      const allocations = b.allocations.filter((i) => i !== null && i !== undefined).length;
      if (this.opts.showProblemIPs) {
        this.print(`  ${b.cidr} is affine to ${node}, which does not exist (${allocations} allocations).\n`);
      }
      orphanedBlocks.push({ cidr: b.cidr, affinity: b.affinity!, node, allocations });
    }
    this.print(`Found ${orphanedBlocks.length} IPAM blocks affine to nodes that do not exist.\n`);

    const problems =
      leakedCount +
      inUseButNotAllocated.length +
      leakedHandles.length +
      missingHandles.length +
      orphanedBlocks.length;
    this.print(`Check complete; found ${problems} problems.\n`);
    return { problems, leakedIPs, inUseButNotAllocated, leakedHandles, missingHandles, orphanedBlocks };
  }

  private printTopNodes(): void {
    this.print(`Looking for top (up to ${TOP_NODES}) nodes by allocations...\n`);
    // Most allocations first; ties by name so the output is stable.
    const nodes = [...this.byNode.entries()].sort(
      (a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0),
    );
    for (const [name, n] of nodes.slice(0, TOP_NODES)) this.print(`  ${name} has ${n} allocations\n`);
    if (nodes.length > 0) {
      this.print(
        `Node with most allocations has ${nodes[0][1]}; median is ${nodes[Math.floor(nodes.length / 2)][1]}\n`,
      );
    }
    this.print('\n');
  }
}
