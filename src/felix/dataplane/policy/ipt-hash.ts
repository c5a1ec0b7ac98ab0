/**
 * Felix's rule hashes (spec felix-dataplane §3.7): every rule carries `cali:<16 chars>` as its
 * first comment, so the kernel's rules can be compared with the desired ones by hash alone. The
 * hashes are chained (SHA-224 over the previous raw digest and the rule's text), so a rule's hash
 * also depends on its chain and on every rule before it: an insertion changes all later hashes.
 */
import { createHash } from 'node:crypto';

export const HASH_LENGTH = 16;
/** Stands in for the hash inside the text that is hashed. */
export const HASH_PLACEHOLDER = 'HASHHASHHASHHASH';
/** Rules appended to a kernel chain hash under this chain name (they are a list of their own). */
export const APPENDS_SUFFIX = '*appends*';

export function hashComment(hash: string): string {
  return `-m comment --comment "cali:${hash}"`;
}

/**
 * The hashes of `bodies` (each rule's matches and action, without the hash comment) in the chain
 * `hashName`; `lineChain` is the chain named in the rendered `-A` line (differs for appends).
 */
export function ruleHashes(hashName: string, bodies: readonly string[], lineChain = hashName): string[] {
  let prev = createHash('sha224').update(hashName).digest();
  return bodies.map((body) => {
    const text = `-A ${lineChain} ${hashComment(HASH_PLACEHOLDER)}${body ? ` ${body}` : ''}`;
    prev = createHash('sha224').update(prev).update(text).digest();
    return prev.toString('base64url').slice(0, HASH_LENGTH);
  });
}

/** The `cali:` hash in a rule line of `iptables-save`, if it has one. */
export function hashOfSavedRule(line: string): string | undefined {
  const m = /--comment "?cali:([A-Za-z0-9_-]{16})"?(?:\s|$)/.exec(line);
  return m?.[1];
}
