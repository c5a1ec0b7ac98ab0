/**
 * confd: renders BIRD's configuration from the datastore (a pure renderer, an input builder and a
 * watcher) and runs BIRD (the driver and a control-socket client).
 */
export * from './render/index.js';
export {
  buildBirdInput,
  affineBlocks,
  affinityCounts,
  hostAffinityRoot,
  type BuildInputOptions,
} from './input.js';
export { watchBirdConfig, type ConfdWatcher, type ConfdWatchOptions } from './watch.js';
export {
  BirdDriver,
  stopBirdFromPidFile,
  type ApplyResult,
  type BirdDriverEvent,
  type BirdDriverOptions,
} from './bird-driver.js';
export {
  BirdControl,
  birdCommand,
  showProtocols,
  parseShowProtocols,
  parseReplyLines,
  bgpPeerStatus,
  type BirdReply,
  type BirdReplyLine,
  type BirdProtocol,
  type BgpPeerStatus,
  type BgpPeerType,
  type BirdCommandOptions,
} from './birdc.js';
export { BirdError, isBirdError, type BirdErrorReason } from './errors.js';
