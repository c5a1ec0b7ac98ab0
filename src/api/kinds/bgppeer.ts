/** BGPPeer (cluster-scoped): a BGP session from some or all Calico nodes to a peer or to other nodes. */
import type { Checker } from '../check.js';
import { checkASNumber, normaliseASNumber, parseASNumber } from '../common/asnumber.js';
import { checkDuration } from '../common/duration.js';
import { checkEnum, checkIntRange, checkNameRef } from '../common/fields.js';
import { checkIP, parseIPPort } from '../common/ip-fields.js';
import { isSet, specOf, withSpec } from '../common/resource.js';
import { checkSelector } from '../common/selector-field.js';
import type { KindDef } from '../kind.js';
import { S } from '../schema.js';

const Z = S.omitZero;
import type { Resource } from '../types.js';

export const NEXT_HOP_MODES = ['Auto', 'Self', 'Keep'] as const;
export const SOURCE_ADDRESSES = ['UseNodeIP', 'None'] as const;
export const REVERSE_PEERING = ['Auto', 'Manual'] as const;

export interface SecretKeySelector {
  name?: string;
  key: string;
  optional?: boolean;
}

export interface BGPPassword {
  secretKeyRef?: SecretKeySelector;
}

export interface BGPPeerSpec {
  /** The node this peering applies to; empty with no nodeSelector means every node. */
  node?: string;
  nodeSelector?: string;
  /** `IP`, `IPv4:port` or `[IPv6]:port`. */
  peerIP?: string;
  asNumber?: number | string;
  localASNumber?: number | string;
  peerSelector?: string;
  keepOriginalNextHop?: boolean;
  nextHopMode?: (typeof NEXT_HOP_MODES)[number];
  password?: BGPPassword;
  sourceAddress?: (typeof SOURCE_ADDRESSES)[number];
  maxRestartTime?: string;
  keepaliveTime?: string;
  numAllowedLocalASNumbers?: number;
  ttlSecurity?: number;
  reachableBy?: string;
  filters?: string[];
  localWorkloadSelector?: string;
  reversePeering?: (typeof REVERSE_PEERING)[number];
}
export type BGPPeer = Resource<BGPPeerSpec>;

const MAX_ADDRESS_LENGTH = 64;
const MAX_NAME_LENGTH = 253;

export const SECRET_KEY_SELECTOR = S.object({ name: S.string, key: S.string, optional: S.bool });

function defaults(r: Resource): Resource {
  const spec = specOf<BGPPeerSpec>(r);
  // Calico stores AS numbers as plain numbers ("1.10" becomes 65546).
  if (spec.asNumber !== undefined) spec.asNumber = normaliseASNumber(spec.asNumber);
  if (spec.localASNumber !== undefined) spec.localASNumber = normaliseASNumber(spec.localASNumber);
  return withSpec(r, spec);
}

/** Checks a BGPPassword (BGPPeer.password, BGPConfiguration.nodeMeshPassword). */
export function checkBGPPassword(c: Checker, path: string, p: BGPPassword | undefined): void {
  const ref = p?.secretKeyRef;
  if (ref && !isSet(ref.key)) c.fail(`${path}.secretKeyRef.key`, ref.key, 'secret key must be specified');
  if (ref?.name) checkNameRef(c, `${path}.secretKeyRef.name`, ref.name);
}

function validate(r: Resource, c: Checker): void {
  const spec = specOf<BGPPeerSpec>(r);
  if (isSet(spec.node)) {
    if (spec.node!.length > MAX_NAME_LENGTH)
      c.fail('spec.node', spec.node, `must be no more than ${MAX_NAME_LENGTH} characters`);
    else checkNameRef(c, 'spec.node', spec.node);
  }
  checkSelector(c, 'spec.nodeSelector', spec.nodeSelector);
  checkSelector(c, 'spec.peerSelector', spec.peerSelector);
  checkSelector(c, 'spec.localWorkloadSelector', spec.localWorkloadSelector);

  let peer: ReturnType<typeof parseIPPort> = undefined;
  if (isSet(spec.peerIP)) {
    const text = spec.peerIP!;
    if (text.length > MAX_ADDRESS_LENGTH)
      c.fail('spec.peerIP', text, `must be no more than ${MAX_ADDRESS_LENGTH} characters`);
    else if (!(peer = parseIPPort(text))) {
      c.fail(
        'spec.peerIP',
        text,
        'must be an IP address, <IPv4>:<port> or [<IPv6>]:<port> with port 1-65535',
      );
    }
  }
  checkASNumber(c, 'spec.asNumber', spec.asNumber);
  checkASNumber(c, 'spec.localASNumber', spec.localASNumber);
  checkEnum(c, 'spec.nextHopMode', spec.nextHopMode, NEXT_HOP_MODES);
  checkBGPPassword(c, 'spec.password', spec.password);
  checkEnum(c, 'spec.sourceAddress', spec.sourceAddress, SOURCE_ADDRESSES);
  checkDuration(c, 'spec.maxRestartTime', spec.maxRestartTime);
  checkDuration(c, 'spec.keepaliveTime', spec.keepaliveTime);
  checkIntRange(c, 'spec.numAllowedLocalASNumbers', spec.numAllowedLocalASNumbers, 0, 2147483647);
  checkIntRange(c, 'spec.ttlSecurity', spec.ttlSecurity, 0, 255);
  (spec.filters ?? []).forEach((f, i) => checkNameRef(c, `spec.filters[${i}]`, f));
  checkEnum(c, 'spec.reversePeering', spec.reversePeering, REVERSE_PEERING);

  if (isSet(spec.reachableBy)) {
    const text = spec.reachableBy!;
    if (text.length > MAX_ADDRESS_LENGTH)
      c.fail('spec.reachableBy', text, `must be no more than ${MAX_ADDRESS_LENGTH} characters`);
    else {
      const via = checkIP(c, 'spec.reachableBy', text);
      if (!isSet(spec.peerIP))
        c.fail('spec.reachableBy', text, 'reachableBy must be empty when peerIP is empty');
      else if (via && peer && via.family !== peer.addr.family) {
        c.fail('spec.reachableBy', text, 'ReachableBy and PeerIP address family mismatched');
      }
    }
  }

  // Mutually exclusive fields (Calico's CEL rules).
  const asSet = spec.asNumber !== undefined && parseASNumber(spec.asNumber) !== 0;
  if (isSet(spec.node) && isSet(spec.nodeSelector)) {
    c.fail('spec.nodeSelector', spec.nodeSelector, 'node and nodeSelector cannot both be set');
  }
  if (isSet(spec.peerIP) && isSet(spec.peerSelector)) {
    c.fail('spec.peerSelector', spec.peerSelector, 'peerIP and peerSelector cannot both be set');
  }
  if (isSet(spec.peerSelector) && asSet) {
    c.fail('spec.asNumber', spec.asNumber, 'asNumber must be empty when peerSelector is set');
  }
  if (isSet(spec.localWorkloadSelector)) {
    if (isSet(spec.peerIP))
      c.fail('spec.peerIP', spec.peerIP, 'peerIP must be empty when localWorkloadSelector is set');
    if (isSet(spec.peerSelector)) {
      c.fail(
        'spec.peerSelector',
        spec.peerSelector,
        'peerSelector must be empty when localWorkloadSelector is set',
      );
    }
    if (!asSet)
      c.fail('spec.asNumber', spec.asNumber, 'asNumber is required when localWorkloadSelector is set');
  }
  if (spec.keepOriginalNextHop && spec.nextHopMode !== undefined) {
    c.fail(
      'spec.keepOriginalNextHop',
      true,
      'keepOriginalNextHop and nextHopMode cannot both be set; keepOriginalNextHop is deprecated, use nextHopMode instead',
    );
  }
}

export const bgpPeerKind: KindDef = {
  kind: 'BGPPeer',
  plural: 'bgppeers',
  namespaced: false,
  aliases: ['bgppeer', 'bgppeers', 'bgpp', 'bgpps', 'bp', 'bps'],
  spec: S.object({
    // Non-pointer Go fields with omitempty: zero values are not printed.
    node: Z(S.string),
    nodeSelector: Z(S.string),
    peerIP: Z(S.string),
    asNumber: Z(S.intOrString),
    localASNumber: S.intOrString,
    peerSelector: Z(S.string),
    keepOriginalNextHop: Z(S.bool),
    nextHopMode: S.string,
    password: S.object({ secretKeyRef: SECRET_KEY_SELECTOR }),
    sourceAddress: Z(S.string),
    maxRestartTime: S.string,
    keepaliveTime: S.string,
    numAllowedLocalASNumbers: S.int,
    ttlSecurity: S.int,
    reachableBy: Z(S.string),
    filters: Z(S.stringList),
    localWorkloadSelector: Z(S.string),
    reversePeering: S.string,
  }),
  defaults,
  validate,
};
