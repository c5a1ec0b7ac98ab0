export { renderBirdConfig } from './bird-config.js';
export { computePeers, peerName, isPassiveTowards } from './peers.js';
export { ClusterView } from './cluster.js';
export { hashToIPv4, routerIdFor } from './router-id.js';
export type {
  BirdInput,
  BirdRenderOptions,
  BirdTimers,
  KernelProtocolOptions,
  PeerRecord,
  PeerType,
  SecretValues,
} from './types.js';
