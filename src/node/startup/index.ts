// calico-node startup: environment → Node resource, default pools, cluster defaults, tunnel addresses.
export { runStartup, type StartupDeps, type StartupResult } from './startup.js';
export { startupMain, type StartupMainOptions } from './main.js';
export { StartupError, isStartupError, type StartupErrorReason } from './errors.js';
export { jsonLineLog, memoryLog, type StartupLog, type LogEntry, type LogFields } from './log.js';
export { realHostFiles, type HostFiles } from './host-files.js';
export {
  configureAddresses,
  nodeInterfaces,
  ipOf,
  type AddressOutcome,
  type NodeInterface,
} from './node-addresses.js';
export { findConflicts, checkConflicts, type Conflicts } from './conflicts.js';
export {
  ensureDefaultPools,
  chooseDefaultIPv4Pool,
  randomULAPrefix,
  DEFAULT_IPV4_POOL_NAME,
  DEFAULT_IPV6_POOL_NAME,
} from './default-pools.js';
export { ensureClusterDefaults } from './cluster-defaults.js';
export {
  reconcileTunnelAddresses,
  eligiblePools,
  tunnelHandle,
  TUNNEL_TYPES,
  type TunnelKind,
} from './tunnel-addresses.js';
export { autodetectAddress, type AutodetectIO } from './autodetect/autodetect.js';
export {
  selectAddress,
  type DetectResult,
  type Detected,
  type NotDetected,
  type RouteAnswer,
} from './autodetect/select.js';
export {
  parseAutodetectMethod,
  describeMethod,
  EnvConfigError,
  METHODS_ACCEPTED,
  type AutodetectMethod,
  type NamePattern,
} from './autodetect/method.js';
export { DEFAULT_INTERFACE_EXCLUDES } from './autodetect/excludes.js';
export { isGlobalUnicast, type Iface, type IfaceAddr } from './autodetect/iface.js';
export { readInterfaces, routeGet, type IpCommandOptions } from './autodetect/ip-command.js';
