/** Every kind the api layer knows: the networking/config kinds here plus the policy kinds. */
import type { KindDef } from '../kind.js';
import { bgpConfigurationKind } from './bgpconfiguration.js';
import { bgpFilterKind } from './bgpfilter.js';
import { bgpPeerKind } from './bgppeer.js';
import { blockAffinityKind } from './blockaffinity.js';
import { calicoNodeStatusKind } from './caliconodestatus.js';
import { clusterInformationKind } from './clusterinformation.js';
import { felixConfigurationKind } from './felixconfiguration.js';
import { ipamConfigurationKind } from './ipamconfiguration.js';
import { ipPoolKind } from './ippool.js';
import { ipReservationKind } from './ipreservation.js';
import { kubeControllersConfigurationKind } from './kubecontrollersconfiguration.js';
import { nodeKind } from './node.js';
import { POLICY_KINDS } from './policy-kinds.js';

export const NETWORK_KINDS: readonly KindDef[] = [
  ipPoolKind,
  nodeKind,
  bgpPeerKind,
  bgpConfigurationKind,
  bgpFilterKind,
  felixConfigurationKind,
  clusterInformationKind,
  ipamConfigurationKind,
  ipReservationKind,
  kubeControllersConfigurationKind,
  calicoNodeStatusKind,
  blockAffinityKind,
];

export const ALL_KINDS: readonly KindDef[] = [...NETWORK_KINDS, ...POLICY_KINDS];

export {
  ipPoolKind,
  nodeKind,
  bgpPeerKind,
  bgpConfigurationKind,
  bgpFilterKind,
  felixConfigurationKind,
  clusterInformationKind,
  ipamConfigurationKind,
  ipReservationKind,
  kubeControllersConfigurationKind,
  calicoNodeStatusKind,
  blockAffinityKind,
};
