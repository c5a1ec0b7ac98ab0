/**
 * calico-cni-agent: a long-running local process that runs CNI requests for the thin `calico` /
 * `calico-ipam` plugins over a unix socket, with datastore clients kept open between requests.
 */
export { CniAgentServer, type AgentServerOptions, type RequestHandler } from './server.js';
export { pluginLauncher } from './launcher.js';
export { installPlugins, PLUGIN_NAMES, type InstallOptions, type InstallReport } from './install.js';
export { buildShim, shimUnavailable, SHIM_SRC_DIR } from './shim-build.js';
export {
  AGENT_ENABLED_ENV,
  AGENT_SOCKET_NETCONF_KEY,
  AGENT_SOCKET_ENV,
  DEFAULT_AGENT_SOCKET,
  PROTOCOL_VERSION,
  agentSocketPath,
  encodeFrame,
  FrameReader,
  type AgentRequest,
  type AgentResponse,
  type PluginName,
} from './protocol.cjs';
export { tryAgent, type TryAgentOptions } from './thin-client.cjs';
export { askAgent, pluginMain, type InProcessRunner } from './plugin-main.cjs';
export { versionAnswer } from './version-answer.cjs';
export { main as pluginEntry } from './entry.cjs';
