// The CNI plugins (`calico`, `calico-ipam`) as a library: runCni for bins and agents alike.
export { runCni, CNI_COMMANDS } from './dispatch.js';
export type {
  CniCommand,
  CniDatastore,
  CniDeps,
  CniHooks,
  CniRequest,
  CniResponse,
  PluginExec,
  PluginName,
} from './types.js';
export { createCniDeps, type CniDepsOptions, type ClosableCniDeps } from './deps.js';
export { CniCode, CniError, errorJSON } from './cni-error.js';
export { SUPPORTED_VERSIONS } from './versions.js';
export { parseNetConf, type NetConf, type DatastoreSettings } from './netconf.js';
export { renderResult, parseResult, type CniResult } from './result.js';
export type { Dataplane, PodWiring } from './dataplane/dataplane.js';
export { LinuxDataplane } from './dataplane/linux.js';
export { requestFromProcess, pluginMain } from './main.js';
