/**
 * Permanent ARP entries on the devices Felix owns (vxlan.calico: one per remote VTEP). Entries
 * that are not permanent are the kernel's own and left alone; permanent ones nobody wants go.
 */
import type { Neighbour } from '../calc/routing/index.js';
import type { Driver, PassContext, ReconcileReport } from './driver.js';
import { readLinkTable } from './links.js';
import { mustRun, parseJSONOutput, runBatch, type Runner } from './runner.js';

export interface KernelNeighbour {
  dev: string;
  ip: string;
  mac: string;
}

interface IpNeighJSON {
  dst?: string;
  dev?: string;
  lladdr?: string;
  state?: string[];
}

export function parseNeighbours(json: unknown): KernelNeighbour[] {
  if (!Array.isArray(json)) return [];
  return (json as IpNeighJSON[])
    .filter((n) => n.dst && n.dev && (n.state ?? []).includes('PERMANENT'))
    .map((n) => ({ dev: n.dev!, ip: n.dst!, mac: (n.lladdr ?? '').toLowerCase() }));
}

export interface NeighbourDiff {
  replace: Neighbour[];
  remove: KernelNeighbour[];
  waiting: Neighbour[];
}

export function diffNeighbours(
  desired: readonly Neighbour[],
  actual: readonly KernelNeighbour[],
  ownedDevices: readonly string[],
  upLinks: ReadonlySet<string>,
): NeighbourDiff {
  const key = (dev: string, ip: string) => `${dev}|${ip}`;
  const have = new Map(actual.map((a) => [key(a.dev, a.ip), a]));
  const want = new Set<string>();
  const diff: NeighbourDiff = { replace: [], remove: [], waiting: [] };
  for (const d of desired) {
    want.add(key(d.dev, d.ip));
    if (have.get(key(d.dev, d.ip))?.mac === d.mac.toLowerCase()) continue;
    if (upLinks.has(d.dev)) diff.replace.push(d);
    else diff.waiting.push(d);
  }
  for (const a of actual) {
    if (ownedDevices.includes(a.dev) && !want.has(key(a.dev, a.ip))) diff.remove.push(a);
  }
  return diff;
}

export class NeighbourDriver implements Driver<Neighbour[]> {
  readonly name = 'neighbours';
  private desired: Neighbour[] = [];

  constructor(
    private readonly runner: Runner,
    private readonly ownedDevices: readonly string[],
  ) {}

  setDesired(desired: Neighbour[]): void {
    this.desired = desired;
  }

  async reconcile(ctx?: PassContext): Promise<ReconcileReport> {
    const { upLinks } = ctx?.links ?? (await readLinkTable(this.runner));
    const out = await mustRun(this.runner, 'ip', ['-4', '-j', 'neigh', 'show', 'nud', 'permanent']);
    const diff = diffNeighbours(
      this.desired,
      parseNeighbours(parseJSONOutput('ip neigh', out)),
      this.ownedDevices,
      upLinks,
    );
    const lines = [
      ...diff.remove.map((a) => `neigh del ${a.ip} dev ${a.dev}`),
      ...diff.replace.map((d) => `neigh replace ${d.ip} lladdr ${d.mac} dev ${d.dev} nud permanent`),
    ];
    return {
      driver: this.name,
      changes: await runBatch(this.runner, 'ip', lines),
      waiting: diff.waiting.map((d) => `neighbour ${d.ip}: device ${d.dev} is missing or down`),
    };
  }
}
