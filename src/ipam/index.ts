// Calico IPAM: the pure core (blocks, codecs, candidate order) and the CAS store loop over a Backend.
export { IPAMClient, type IPAMClientOptions, type AutoAssignExtraArgs } from './ipam-client.js';
export type { BlockListing, AffinityListing, HandleListing } from './ipam-client.js';
export * from './ipam-interface.js';
export * from './model.js';
export { IPAMError, isIPAMError, type IPAMErrorReason } from './errors.js';
export { decodeBlock, encodeBlock } from './core/block-codec.js';
export { type HostReservedAttr, WINDOWS_RESERVED_HANDLE } from './core/block.js';
