/**
 * Felix's names: chain names (length-limited with Calico's hashing rule so iptables can use them
 * too), policy IDs, and the kernel names of selector / named-port sets.
 */
import * as crypto from 'node:crypto';
import type { Family } from './ruleset.js';

/** iptables' limit; nftables allows more but we keep one name for both backends. */
export const MAX_CHAIN_NAME_LENGTH = 28;
/** ipset's limit (nftables sets use the same names). */
export const MAX_SET_NAME_LENGTH = 31;

/**
 * base64url of the digest of `text` (UTF-8). One-shot `crypto.hash` (Node >= 20.12) costs a
 * fraction of a Hash object; older Nodes fall back to one.
 */
export function base64urlHash(algorithm: 'sha256' | 'sha3-224', text: string): string {
  return typeof crypto.hash === 'function'
    ? crypto.hash(algorithm, text, 'base64url')
    : crypto.createHash(algorithm).update(text, 'utf8').digest('base64url');
}

/**
 * Calico's GetLengthLimitedID: `prefix + suffix` when it fits, else `prefix + "_" + ` the first
 * characters of base64url(SHA-256(suffix)). A suffix that already starts with `_` and exactly
 * fills the limit is hashed too, so a hashed name can never collide with a literal one.
 */
export function lengthLimitedId(prefix: string, suffix: string, maxLen: number): string {
  const s = suffix === '' ? '_' : suffix;
  const len = prefix.length + s.length;
  if (len > maxLen || (len === maxLen && s.startsWith('_'))) {
    const hash = base64urlHash('sha256', s);
    return prefix + '_' + hash.slice(0, maxLen - 1 - prefix.length);
  }
  return prefix + s;
}

// Chain prefixes and fixed chain names (Felix's rule_defs.go).
export const CHAIN = Object.freeze({
  input: 'cali-INPUT',
  forward: 'cali-FORWARD',
  output: 'cali-OUTPUT',
  prerouting: 'cali-PREROUTING',
  wlToHost: 'cali-wl-to-host',
  fromWlDispatch: 'cali-from-wl-dispatch',
  toWlDispatch: 'cali-to-wl-dispatch',
  fromHostEndpoint: 'cali-from-host-endpoint',
  toHostEndpoint: 'cali-to-host-endpoint',
  fromHepForward: 'cali-from-hep-forward',
  toHepForward: 'cali-to-hep-forward',
  failsafeIn: 'cali-failsafe-in',
  failsafeOut: 'cali-failsafe-out',
});

export const PREFIX = Object.freeze({
  /** From workload: the pod's egress policy. */
  fromWorkload: 'cali-fw-',
  /** To workload: the pod's ingress policy. */
  toWorkload: 'cali-tw-',
  fromHost: 'cali-fh-',
  toHost: 'cali-th-',
  fromHostForward: 'cali-fhfw-',
  toHostForward: 'cali-thfw-',
  policyIn: 'cali-pi-',
  policyOut: 'cali-po-',
  profileIn: 'cali-pri-',
  profileOut: 'cali-pro-',
});

export function endpointChainName(prefix: string, iface: string): string {
  return lengthLimitedId(prefix, iface, MAX_CHAIN_NAME_LENGTH);
}

export type Direction = 'ingress' | 'egress';

/** `cali-pi-<id>` (ingress rules) / `cali-po-<id>` (egress rules). */
export function policyChainName(dir: Direction, policyId: string): string {
  return lengthLimitedId(
    dir === 'ingress' ? PREFIX.policyIn : PREFIX.policyOut,
    policyId,
    MAX_CHAIN_NAME_LENGTH,
  );
}

/** `cali-pri-<profile>` / `cali-pro-<profile>`. */
export function profileChainName(dir: Direction, profile: string): string {
  return lengthLimitedId(
    dir === 'ingress' ? PREFIX.profileIn : PREFIX.profileOut,
    profile,
    MAX_CHAIN_NAME_LENGTH,
  );
}

/** Felix's short policy kinds (types/policy_id.go). */
export type PolicyKindShort = 'np' | 'gnp' | 'knp';

/** Felix's PolicyID.ID(): `<kind>/<namespace>/<name>`, or `<kind>/<name>` when not namespaced. */
export function policyId(kind: PolicyKindShort, namespace: string, name: string): string {
  return namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
}

/**
 * NameForMainIPSet: `cali40` / `cali60` + the set's unique ID (`s:<hash>` for a selector,
 * `n:<hash>` for a named port), cut to 31 characters — the IDs are hashes already.
 */
export function ipSetName(family: Family, id: string): string {
  return `cali${family}0${id}`.slice(0, MAX_SET_NAME_LENGTH);
}
