/** Public surface of the api layer: resource types, kinds, decoding, encoding, defaulting, validation. */
export * from './types.js';
export type { KindDef } from './kind.js';
export { Checker, joinPath } from './check.js';
export { S, type Schema } from './schema.js';
export { KINDS, kindByKind, kindByAlias, kindByPlural } from './registry.js';
export { decodeDocuments, decodeObject, DecodeError, UNKNOWN_FIELD, type DecodeLocation } from './decode.js';
export { encodeJSON, encodeYAML, toYAML } from './encode.js';
export { applyDefaults, applyReadDefaults } from './defaults.js';
export { validateResource, validateMetadata, isResourceVersion } from './validate.js';

// Shared field helpers.
export * from './common/names.js';
export * from './common/labels.js';
export * from './common/selector-field.js';
export * from './common/asnumber.js';
export * from './common/duration.js';
export * from './common/ip-fields.js';
export * from './common/fields.js';

// Networking and configuration kinds.
export {
  type IPPool,
  type IPPoolSpec,
  type IPPoolAllowedUse,
  type EncapMode,
  type AssignmentMode,
  checkIPPoolUpdate,
  defaultBlockSize,
  DEFAULT_BLOCK_SIZE_V4,
  DEFAULT_BLOCK_SIZE_V6,
} from './kinds/ippool.js';
export type { Node, NodeSpec, NodeBGPSpec, NodeStatus, OrchRef } from './kinds/node.js';
export type { BGPPeer, BGPPeerSpec, BGPPassword, SecretKeySelector } from './kinds/bgppeer.js';
export {
  type BGPConfiguration,
  type BGPConfigurationSpec,
  type Community,
  type PrefixAdvertisement,
  DEFAULT_AS_NUMBER,
} from './kinds/bgpconfiguration.js';
export type { BGPFilter, BGPFilterSpec, BGPFilterRule, BGPFilterOperation } from './kinds/bgpfilter.js';
export {
  type FelixConfiguration,
  type FelixConfigurationSpec,
  type ProtoPort,
  FELIX_CONFIG_FIELDS,
  isNamedFelixConfiguration,
} from './kinds/felixconfiguration.js';
export type { ClusterInformation, ClusterInformationSpec } from './kinds/clusterinformation.js';
export type { IPAMConfiguration, IPAMConfigurationSpec } from './kinds/ipamconfiguration.js';
export type { IPReservation, IPReservationSpec } from './kinds/ipreservation.js';
export type {
  KubeControllersConfiguration,
  KubeControllersConfigurationSpec,
} from './kinds/kubecontrollersconfiguration.js';
export type { CalicoNodeStatus, CalicoNodeStatusSpec } from './kinds/caliconodestatus.js';
export type { BlockAffinity, BlockAffinitySpec } from './kinds/blockaffinity.js';

// Policy and endpoint kinds.
export * from './kinds/policy-kinds.js';
