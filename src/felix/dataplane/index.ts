// Felix routing dataplane: drivers that reconcile routes, tunnel devices, ARP/FDB, NAT and sysctls.
export {
  kernelRunner,
  commandLine,
  type Runner,
  type RunResult,
  type Tool,
  type KernelRunnerOptions,
} from './runner.js';
export type { Driver, ReconcileReport } from './driver.js';
export { RoutingDataplane, routeOwnership, type DataplaneReport, type DriverFailure } from './dataplane.js';
export { RouteDriver } from './route-driver.js';
export { LinkDriver, type TunnelDevices } from './link-driver.js';
export { NeighbourDriver } from './neigh-driver.js';
export { FdbDriver } from './fdb-driver.js';
export { NatDriver } from './nat-driver.js';
export { SysctlDriver } from './sysctl-driver.js';
export { readLinkTable, linkTable, type LinkTable } from './links.js';
export type { PassContext } from './driver.js';
export { NAT_TABLE } from './nat-plan.js';
export { startKernelMonitor, isRelevantMonitorLine, type KernelMonitor } from './monitor.js';
