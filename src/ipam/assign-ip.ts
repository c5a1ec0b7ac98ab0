/**
 * AssignIP (ipam.md §6): one specific address, claiming its block for the host when the block does
 * not exist yet. Reservations are not checked (an explicit request wins).
 */
import { isCalicoError } from '../errors/index.js';
import { blockContaining, formatIP, tryParseIP } from '../net/index.js';
import { affinityString } from './core/affinity.js';
import { assignOrdinal, ordinalOf, sanitizeHandle, type HostReservedAttr } from './core/block.js';
import { enabledPools, poolContaining, type PoolInfo } from './core/pools.js';
import { claimAffineBlock, getPendingAffinity, refFor } from './claim.js';
import { IPAMError, isIPAMError, maxRetriesError } from './errors.js';
import type { AssignIPArgs } from './ipam-interface.js';
import type { Session } from './session.js';
import { CommitConflict, isCASConflict, type BlockKV } from './store/ipam-store.js';

export async function assignIP(
  s: Session,
  args: AssignIPArgs & { hostReservedAttr?: HostReservedAttr },
  pools: readonly PoolInfo[],
): Promise<void> {
  const ip = tryParseIP(args.ip);
  if (!ip) throw new IPAMError('invalidArgument', `failed to parse the given IP: ${args.ip}`);
  const type = args.intendedUse === 'LoadBalancer' ? 'virtual' : 'host';
  const pool = poolContaining(enabledPools(pools, ip.family), ip);
  if (!pool) throw new IPAMError('notInPool', 'The provided IP address is not in a configured pool\n');
  if (args.intendedUse && !pool.allowedUses.includes(args.intendedUse)) {
    throw new IPAMError(
      'notAllowedUse',
      `IP address ${formatIP(ip)} is in IP pool "${pool.name}", which is not allowed for use "${args.intendedUse}" (allowedUses: [${pool.allowedUses.join(' ')}])`,
    );
  }
  const cidr = blockContaining(ip, pool.blockSize);
  const handleId = sanitizeHandle(args.handleId);
  const check = {
    strict: s.cfg.strictAffinity,
    affinity: affinityString(type, args.hostname),
    host: args.hostname,
    type,
  };
  let b: BlockKV | undefined;
  let fresh = false;
  for (let i = 0; i < s.retries; i++) {
    s.checkAbort();
    if (!fresh) b = await s.readBlock(cidr);
    fresh = false;
    if (!b) {
      try {
        const pending = await getPendingAffinity(s, refFor(type, args.hostname, cidr));
        b = await claimAffineBlock(s, pending, cidr, args.hostReservedAttr);
      } catch (e) {
        if (isCASConflict(e) || isCalicoError(e, 'NOT_FOUND') || isIPAMError(e, 'blockClaimConflict'))
          continue;
        throw e;
      }
    }
    assignOrdinal(b.block, ordinalOf(b.block, ip)!, handleId, args.attrs, check);
    try {
      s.committed(b.cidr, await s.store.commitBlock(b, 'update', new Map([[handleId, 1]]), s.handles));
      return;
    } catch (e) {
      if (!(e instanceof CommitConflict)) throw e;
      b = s.afterConflict(b, e.block);
      fresh = b !== undefined;
    }
  }
  throw maxRetriesError();
}
