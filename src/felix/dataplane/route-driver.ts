/**
 * Routes in the main table. Reads the table and the links, diffs against the desired routes, and
 * applies the difference in one `ip -force -batch -`. Only routes it owns are ever deleted
 * (kernel-routes.ts isOwnedRoute); a desired route replaces whatever holds its key.
 */
import type { DesiredRoute } from '../calc/routing/index.js';
import type { Driver, PassContext, ReconcileReport } from './driver.js';
import { deleteRouteLine, parseRoutes, replaceRouteLine, type RouteOwnership } from './kernel-routes.js';
import { readLinkTable } from './links.js';
import { diffRoutes } from './route-diff.js';
import { mustRun, parseJSONOutput, runBatch, type Runner } from './runner.js';

export interface RouteDriverOptions {
  ownership: RouteOwnership;
  /** Grace period for unwanted routes on workload interfaces (Felix: 10 s). */
  graceMs?: number;
  now?: () => number;
}

export class RouteDriver implements Driver<DesiredRoute[]> {
  readonly name = 'routes';
  private desired: DesiredRoute[] = [];
  private readonly unwantedSince = new Map<string, number>();
  private ownership: RouteOwnership;
  private readonly graceMs: number;
  private readonly now: () => number;
  /** Routes in the table after the last reconcile that Felix owns (for status/metrics). */
  ownedCount = 0;

  constructor(
    private readonly runner: Runner,
    opts: RouteDriverOptions,
  ) {
    this.ownership = opts.ownership;
    this.graceMs = opts.graceMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  setDesired(desired: DesiredRoute[]): void {
    this.desired = desired;
  }

  setOwnership(ownership: RouteOwnership): void {
    this.ownership = ownership;
  }

  async reconcile(ctx?: PassContext): Promise<ReconcileReport> {
    const { upLinks } = ctx?.links ?? (await readLinkTable(this.runner));
    const out = await mustRun(this.runner, 'ip', ['-4', '-N', '-j', 'route', 'show', 'table', 'main']);
    const actual = parseRoutes(parseJSONOutput('ip route', out));
    const diff = diffRoutes(this.desired, actual, {
      ownership: this.ownership,
      upLinks,
      now: this.now(),
      graceMs: this.graceMs,
      unwantedSince: this.unwantedSince,
    });
    // Deletions first: a replaced route never collides with a stale one of another metric.
    const lines = [...diff.remove.map(deleteRouteLine), ...diff.replace.map(replaceRouteLine)];
    const changes = await runBatch(this.runner, 'ip', lines);
    this.ownedCount = this.desired.length - diff.waiting.length + diff.held.length;
    return {
      driver: this.name,
      changes,
      waiting: diff.waiting.map((d) => `route ${d.dst}: device ${d.dev} is missing or down`),
    };
  }
}
