/**
 * Claiming and releasing block affinities (ipam.md §4 getBlockFromAffinity, §7.4), two-phase:
 * pending affinity → create the block → confirm. Every step is a CAS; a lost CAS surfaces as
 * UPDATE_CONFLICT for the caller's retry loop, a lost claim as IPAMError('blockClaimConflict').
 */
import { KeyExistsError } from '../datastore/errors.js';
import { NotFoundError, isCalicoError } from '../errors/index.js';
import { formatCIDR, type CIDR } from '../net/index.js';
import { affinityState, affinityString, isConfirmed, type AffinityRef } from './core/affinity.js';
import { isEmpty, newBlock, rfc3339, type HostReservedAttr } from './core/block.js';
import { IPAMError } from './errors.js';
import type { Session } from './session.js';
import type { AffinityKV, BlockKV } from './store/ipam-store.js';

export function refFor(type: AffinityRef['type'], host: string, cidr: CIDR): AffinityRef {
  return { type, host, family: cidr.family, cidr: formatCIDR(cidr) };
}

/** Create the affinity as pending; an existing unconfirmed one is CASed back to pending. */
export async function getPendingAffinity(s: Session, ref: AffinityRef): Promise<AffinityKV> {
  try {
    return await s.store.createAffinity(ref, affinityState.pending());
  } catch (e) {
    if (!(e instanceof KeyExistsError)) throw e;
    const existing = e.existing
      ? s.store.affinityFromExisting(ref, e.existing)
      : await s.store.getAffinity(ref);
    if (!existing) throw new NotFoundError({ kind: 'BlockAffinity', name: `${ref.host}/${ref.cidr}` });
    if (existing.value.state !== 'confirmed')
      return s.store.updateAffinity(existing, affinityState.pending());
    return existing;
  }
}

/** Pending → confirmed; if our CAS lost but someone confirmed it meanwhile, that is fine too. */
export async function confirmAffinity(s: Session, aff: AffinityKV): Promise<AffinityKV> {
  try {
    return await s.store.updateAffinity(aff, affinityState.confirmed(aff.value));
  } catch (e) {
    const now = await s.store.getAffinity(aff.ref).catch(() => undefined);
    if (now && now.value.state === 'confirmed') return now;
    throw e;
  }
}

/** Creates the block for a pending affinity, then confirms the affinity. */
export async function claimAffineBlock(
  s: Session,
  aff: AffinityKV,
  cidr: CIDR,
  reserved?: HostReservedAttr,
): Promise<BlockKV> {
  const mine = affinityString(aff.ref.type, aff.ref.host);
  const block = newBlock(cidr, {
    nowNs: s.nowNs,
    affinity: mine,
    claimTime: rfc3339(s.now),
    reserved,
  });
  let created: BlockKV;
  try {
    created = await s.store.createBlock(block);
  } catch (e) {
    if (!(e instanceof KeyExistsError)) throw e;
    const existing = e.existing ? s.fromKV(e.existing) : await s.readBlock(cidr);
    if (!existing) throw e; // deleted again in between: a conflict, the caller retries
    if (existing.block.affinity === mine) {
      await confirmAffinity(s, aff);
      return existing;
    }
    await s.store.deleteAffinity(aff).catch(() => undefined);
    throw new IPAMError(
      'blockClaimConflict',
      `block ${formatCIDR(cidr)} is claimed by ${existing.block.affinity}`,
    );
  }
  await confirmAffinity(s, aff);
  return created;
}

/**
 * The block an affinity points at, creating it when missing. A block owned by someone else makes
 * the affinity stale (deleted, then 'staleAffinity'); an unconfirmed affinity of a block we own is
 * confirmed after a block write that invalidates any concurrent claimer's copy.
 */
export async function getBlockFromAffinity(
  s: Session,
  aff: AffinityKV,
  cidr: CIDR,
  reserved?: HostReservedAttr,
): Promise<BlockKV> {
  const mine = affinityString(aff.ref.type, aff.ref.host);
  let b = await s.readBlock(cidr);
  if (!b) {
    const pending = await s.store.updateAffinity(aff, affinityState.pending());
    return claimAffineBlock(s, pending, cidr, reserved);
  }
  if (b.block.affinity !== mine) {
    await s.store.deleteAffinity(aff);
    throw new IPAMError('staleAffinity', `Affinity is stale: ${aff.key}`);
  }
  if (!isConfirmed(aff.value)) {
    const pending = await s.store.updateAffinity(aff, affinityState.pending());
    b = await s.store.updateBlock(b);
    await s.store.updateAffinity(pending, affinityState.confirmed(pending.value));
  }
  return b;
}

export interface ReleaseAffinityOptions {
  requireEmpty?: boolean;
  /** Release only if the block's sequence number is still this one (reclaiming an empty block). */
  requiredSequenceNumber?: bigint;
}

/**
 * Releases one block affinity: pendingDeletion, then delete the block if empty or make it unaffine
 * (borrowable, addresses stay allocated), then delete the affinity. Missing affinity or block ⇒
 * NOT_FOUND; block owned by someone else ⇒ stale affinity deleted and 'blockClaimConflict'.
 */
export async function releaseBlockAffinity(
  s: Session,
  ref: AffinityRef,
  cidr: CIDR,
  opts: ReleaseAffinityOptions = {},
): Promise<void> {
  if (!ref.host)
    throw new IPAMError('invalidArgument', 'Hostname must be specified to release block affinity');
  const aff = await s.store.getAffinity(ref);
  if (!aff) throw new NotFoundError({ kind: 'BlockAffinity', name: `${ref.host}/${ref.cidr}` });
  const b = await s.readBlock(cidr);
  if (!b) throw new NotFoundError({ kind: 'IPAMBlock', name: ref.cidr });
  if (opts.requiredSequenceNumber !== undefined && opts.requiredSequenceNumber !== b.block.sequenceNumber) {
    throw new IPAMError('blockChanged', 'IPAM block updated since we last read it');
  }
  const mine = affinityString(ref.type, ref.host);
  if (b.block.affinity !== null && b.block.affinity !== mine) {
    await s.store.deleteAffinity(aff).catch(() => undefined);
    throw new IPAMError('blockClaimConflict', `block ${ref.cidr} is claimed by ${b.block.affinity}`);
  }
  if (opts.requireEmpty && !isEmpty(b.block)) {
    throw new IPAMError('blockNotEmpty', `block ${ref.cidr} is not empty`);
  }
  const deleting = await s.store.updateAffinity(aff, affinityState.pendingDeletion(aff.value));
  if (isEmpty(b.block)) {
    try {
      await s.store.deleteBlock(b);
    } catch (e) {
      if (!isCalicoError(e, 'NOT_FOUND')) throw e;
    }
  } else {
    b.block.affinity = null;
    delete b.block.affinity_claim_time;
    await s.store.updateBlock(b);
  }
  try {
    await s.store.deleteAffinity(deleting);
  } catch (e) {
    if (!isCalicoError(e, 'NOT_FOUND')) throw e;
  }
}
