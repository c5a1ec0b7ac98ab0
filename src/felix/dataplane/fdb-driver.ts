/**
 * Permanent `self` bridge FDB entries on vxlan.calico: which VTEP (node IP) a tunnel MAC lives
 * behind. Everything permanent there is Felix's; dynamic entries (learning is off) are ignored.
 */
import type { FdbEntry } from '../calc/routing/index.js';
import type { Driver, PassContext, ReconcileReport } from './driver.js';
import { readLinkTable } from './links.js';
import { mustRun, parseJSONOutput, runBatch, type Runner } from './runner.js';

interface BridgeFdbJSON {
  mac?: string;
  dst?: string;
  flags?: string[];
  state?: string;
}

export function parseFdb(dev: string, json: unknown): FdbEntry[] {
  if (!Array.isArray(json)) return [];
  return (json as BridgeFdbJSON[])
    .filter((e) => e.mac && e.dst && (e.flags ?? []).includes('self') && e.state === 'permanent')
    .map((e) => ({ dev, mac: e.mac!.toLowerCase(), dst: e.dst! }));
}

export interface FdbDiff {
  replace: FdbEntry[];
  remove: FdbEntry[];
}

/** Keyed by MAC: one VTEP per MAC; extra destinations for a wanted MAC are removed too. */
export function diffFdb(desired: readonly FdbEntry[], actual: readonly FdbEntry[]): FdbDiff {
  const want = new Map(desired.map((d) => [d.mac.toLowerCase(), d]));
  const diff: FdbDiff = { replace: [], remove: [] };
  const ok = new Set<string>();
  for (const a of actual) {
    const d = want.get(a.mac);
    if (d && d.dst === a.dst && !ok.has(a.mac)) ok.add(a.mac);
    else diff.remove.push(a);
  }
  for (const [mac, d] of want) if (!ok.has(mac)) diff.replace.push(d);
  // A replaced MAC's stale destination must go before the new one is written.
  return diff;
}

export class FdbDriver implements Driver<FdbEntry[]> {
  readonly name = 'fdb';
  private desired: FdbEntry[] = [];

  constructor(
    private readonly runner: Runner,
    private readonly device: string,
  ) {}

  setDesired(desired: FdbEntry[]): void {
    this.desired = desired.filter((d) => d.dev === this.device);
  }

  async reconcile(ctx?: PassContext): Promise<ReconcileReport> {
    const { upLinks } = ctx?.links ?? (await readLinkTable(this.runner));
    if (!upLinks.has(this.device)) {
      return {
        driver: this.name,
        changes: 0,
        waiting: this.desired.map((d) => `fdb ${d.mac}: device ${this.device} is missing or down`),
      };
    }
    const out = await mustRun(this.runner, 'bridge', ['-j', 'fdb', 'show', 'dev', this.device]);
    const diff = diffFdb(this.desired, parseFdb(this.device, parseJSONOutput('bridge fdb', out)));
    const lines = [
      ...diff.remove.map((e) => `fdb del ${e.mac} dev ${e.dev} dst ${e.dst} self`),
      ...diff.replace.map((e) => `fdb replace ${e.mac} dev ${e.dev} dst ${e.dst} self permanent`),
    ];
    return { driver: this.name, changes: await runBatch(this.runner, 'bridge', lines), waiting: [] };
  }
}
