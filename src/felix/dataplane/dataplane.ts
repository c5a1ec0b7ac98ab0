/**
 * All routing drivers in one place, reconciled in dependency order: sysctls, tunnel devices, then
 * what lives on them (ARP, FDB), routes, NAT. A driver that fails does not stop the others (an
 * IPIP pool on a kernel without ipip must not take VXLAN down); its error is reported.
 */
import {
  VXLAN_DEVICE,
  exclusiveProtocol,
  type DesiredDataplane,
  type RoutingConfig,
} from '../calc/routing/index.js';
import type { PassContext, ReconcileReport } from './driver.js';
import { FdbDriver } from './fdb-driver.js';
import type { RouteOwnership } from './kernel-routes.js';
import { LinkDriver } from './link-driver.js';
import { NatDriver } from './nat-driver.js';
import { NeighbourDriver } from './neigh-driver.js';
import { RouteDriver } from './route-driver.js';
import { readLinkTable, type LinkTable } from './links.js';
import type { Runner } from './runner.js';
import { SysctlDriver } from './sysctl-driver.js';

export interface DriverFailure {
  driver: string;
  error: Error;
}

export interface DataplaneReport {
  changes: number;
  waiting: string[];
  failures: DriverFailure[];
  /** Per driver: changes made in this pass. */
  byDriver: Record<string, number>;
  durationMs: number;
}

export function routeOwnership(cfg: RoutingConfig): RouteOwnership {
  return {
    workloadPrefixes: cfg.interfacePrefixes,
    removeExternalRoutes: cfg.removeExternalRoutes,
    deviceProtocol: cfg.deviceRouteProtocol,
    exclusiveProtocol: exclusiveProtocol(cfg),
    devices: [VXLAN_DEVICE],
  };
}

export interface RoutingDataplaneOptions {
  runner: Runner;
  config: RoutingConfig;
  graceMs?: number;
  now?: () => number;
}

export class RoutingDataplane {
  readonly sysctls: SysctlDriver;
  readonly links: LinkDriver;
  readonly neighbours: NeighbourDriver;
  readonly fdb: FdbDriver;
  readonly routes: RouteDriver;
  readonly nat: NatDriver;

  private readonly runner: Runner;

  constructor(opts: RoutingDataplaneOptions) {
    const { runner } = opts;
    this.runner = runner;
    this.sysctls = new SysctlDriver(runner);
    this.links = new LinkDriver(runner);
    this.neighbours = new NeighbourDriver(runner, [VXLAN_DEVICE]);
    this.fdb = new FdbDriver(runner, VXLAN_DEVICE);
    this.routes = new RouteDriver(runner, {
      ownership: routeOwnership(opts.config),
      graceMs: opts.graceMs,
      now: opts.now,
    });
    this.nat = new NatDriver(runner);
  }

  setDesired(d: DesiredDataplane, cfg: RoutingConfig): void {
    this.sysctls.setDesired(d.sysctls);
    this.links.setDesired({ vxlan: d.vxlan, ipip: d.ipip });
    this.neighbours.setDesired(d.neighbours);
    this.fdb.setDesired(d.fdb);
    this.routes.setOwnership(routeOwnership(cfg));
    this.routes.setDesired(d.routes);
    this.nat.setDesired(d.nat);
  }

  /** One read of every interface (the calc's host facts; shared by the drivers of a pass). */
  readLinks(): Promise<LinkTable> {
    return readLinkTable(this.runner);
  }

  /** Reconciles every driver; `links` is the table read at the start of the pass, if any. */
  async reconcile(links?: LinkTable): Promise<DataplaneReport> {
    const start = Date.now();
    const report: DataplaneReport = { changes: 0, waiting: [], failures: [], byDriver: {}, durationMs: 0 };
    let ctx: PassContext | undefined = links ? { links } : undefined;
    for (const driver of [this.sysctls, this.links, this.neighbours, this.fdb, this.routes, this.nat]) {
      try {
        // Devices made or removed by the link driver: later drivers need the fresh table.
        if (driver === this.neighbours && report.byDriver.links) ctx = undefined;
        if (!ctx && driver !== this.sysctls && driver !== this.nat) ctx = { links: await this.readLinks() };
        const r: ReconcileReport = await driver.reconcile(ctx);
        report.changes += r.changes;
        report.byDriver[r.driver] = r.changes;
        report.waiting.push(...r.waiting);
      } catch (e) {
        report.failures.push({ driver: driver.name, error: e instanceof Error ? e : new Error(String(e)) });
      }
    }
    report.durationMs = Date.now() - start;
    return report;
  }
}
