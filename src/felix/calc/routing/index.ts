// Felix routing calculation: datastore snapshot -> desired routes, tunnels, VTEPs, NAT, sysctls. Pure.
export * from './types.js';
export * from './config.js';
export { computeDesired, interfaceWithIP } from './desired.js';
export { nodeFacts, type NodeFacts } from './nodes.js';
export { poolFacts, poolContaining, type PoolFacts, type Encap } from './pools.js';
export { computeMTUs, hostMTU, FALLBACK_HOST_MTU, VXLAN_OVERHEAD, IPIP_OVERHEAD } from './mtu.js';
export {
  exclusiveProtocol,
  felixProgramsIPIP,
  felixProgramsNoEncap,
  affineHost,
  mergeRoutes,
  CALICO_ROUTE_PROTOCOL,
  BOOT_PROTOCOL,
} from './routes.js';
