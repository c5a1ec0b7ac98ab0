/**
 * The allocation block, pure: every function here changes a block value in memory and reads no
 * clock (callers pass `now`). The store loop decodes a fresh copy for each attempt, applies one of
 * these, and CASes the result. Semantics follow ipam.md §1, §4c, §6.3, §7 and §8.
 */
import { cidrSize, formatIP, maskCIDR, parseCIDR, type CIDR, type IPAddr } from '../../net/index.js';
import type { AllocationAttribute, AllocationBlock } from '../model.js';
import { IPAMError, badHandle, badSequenceNumber } from '../errors.js';
import type { Reservations } from './reservations.js';

export const WINDOWS_RESERVED_HANDLE = 'windows-reserved-ipam-handle';

/** Ordinals pre-allocated at both ends of every new block (Windows reserves 3 + 1). */
export interface HostReservedAttr {
  startOfBlock: number;
  endOfBlock: number;
  handle: string;
  note: string;
}

const cidrCache = new WeakMap<AllocationBlock, CIDR>();

/** The block's network, parsed once per block object. */
export function blockCIDR(b: AllocationBlock): CIDR {
  let c = cidrCache.get(b);
  if (!c) {
    c = maskCIDR(parseCIDR(b.cidr));
    cidrCache.set(b, c);
  }
  return c;
}

export function blockSize(b: AllocationBlock): number {
  return b.allocations.length;
}

export function ordinalAddress(b: AllocationBlock, ordinal: number): IPAddr {
  const c = blockCIDR(b);
  return { family: c.family, value: c.addr + BigInt(ordinal) };
}

export function ordinalIP(b: AllocationBlock, ordinal: number): string {
  return formatIP(ordinalAddress(b, ordinal));
}

/** The ordinal of `ip` in the block, or undefined when the address is outside it. */
export function ordinalOf(b: AllocationBlock, ip: IPAddr): number | undefined {
  const c = blockCIDR(b);
  if (ip.family !== c.family) return undefined;
  const off = ip.value - c.addr;
  if (off < 0n || off >= BigInt(b.allocations.length)) return undefined;
  return Number(off);
}

/** Metav1.Time's JSON form: RFC 3339 in UTC, whole seconds. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface NewBlockOptions {
  /** Creation time in ns: the first sequence number (a re-created block never repeats numbers). */
  nowNs: bigint;
  /** `host:<node>` / `virtual:<name>`, or null for an unaffine block. */
  affinity: string | null;
  /** RFC 3339 claim time (set together with an affinity). */
  claimTime?: string;
  reserved?: HostReservedAttr;
}

export function newBlock(cidr: CIDR, opts: NewBlockOptions): AllocationBlock {
  const c = maskCIDR(cidr);
  const size = cidrSize(c);
  if (size > 1n << 20n) throw new RangeError(`block ${c.prefix} is too large for an IPAM block`);
  const n = Number(size);
  const allocations: (number | null)[] = new Array<number | null>(n).fill(null);
  let unallocated = Array.from({ length: n }, (_, i) => i);
  const attributes: AllocationAttribute[] = [];
  const r = opts.reserved;
  if (r && (r.startOfBlock > 0 || r.endOfBlock > 0)) {
    const idx = attributes.length;
    attributes.push({ handle_id: r.handle, secondary: { note: r.note } });
    for (let i = 0; i < r.startOfBlock && i < n; i++) allocations[i] = idx;
    for (let i = 1; i <= r.endOfBlock && n - i >= 0; i++) allocations[n - i] = idx;
    unallocated = unallocated.slice(r.startOfBlock, Math.max(r.startOfBlock, n - r.endOfBlock));
  }
  const b: AllocationBlock = {
    cidr: `${formatIP({ family: c.family, value: c.addr })}/${c.prefix}`,
    affinity: opts.affinity,
    allocations,
    unallocated,
    attributes,
    sequenceNumber: opts.nowNs,
    sequenceNumberForAllocation: {},
    deleted: false,
  };
  if (opts.claimTime) b.affinity_claim_time = opts.claimTime;
  cidrCache.set(b, c);
  return b;
}

function sameRecord(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = a ? Object.keys(a) : [];
  const kb = b ? Object.keys(b) : [];
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!b || !Object.prototype.hasOwnProperty.call(b, k) || b[k] !== a![k]) return false;
  }
  return true;
}

/** One attribute per call; an identical existing one (same handle and attrs, active) is reused. */
export function findOrAddAttribute(
  b: AllocationBlock,
  handleId: string | undefined,
  attrs: Record<string, string> | undefined,
): number {
  const secondary = attrs && Object.keys(attrs).length ? { ...attrs } : undefined;
  for (let i = 0; i < b.attributes.length; i++) {
    const a = b.attributes[i];
    if (
      a.handle_id === handleId &&
      a.releasedAt === undefined &&
      sameRecord(a.alternateOwnerAttrs, undefined) &&
      sameRecord(a.secondary, secondary)
    ) {
      return i;
    }
  }
  const attr: AllocationAttribute = {};
  if (handleId !== undefined) attr.handle_id = handleId;
  if (secondary) attr.secondary = secondary;
  b.attributes.push(attr);
  return b.attributes.length - 1;
}

/** Records the block's current sequence number against the ordinal (before the write's seq++). */
export function stampOrdinal(b: AllocationBlock, ordinal: number): void {
  (b.sequenceNumberForAllocation ??= {})[String(ordinal)] = b.sequenceNumber;
}

/** Missing entries read as 0, as Go's map lookup does. */
export function ordinalSequence(b: AllocationBlock, ordinal: number): bigint {
  return b.sequenceNumberForAllocation?.[String(ordinal)] ?? 0n;
}

export interface AffinityCheck {
  /** Strict affinity: only the block's own host may allocate from it. */
  strict: boolean;
  /** `<type>:<host>` of the caller. */
  affinity: string;
  /** For messages: Calico prints host and type in this order. */
  host: string;
  type: string;
}

/**
 * Takes up to `num` ordinals from the front of the FIFO, skipping reserved ones but leaving them in
 * place. All ordinals taken share one attribute. Returns the ordinals (empty when the block is full).
 */
export function autoAssignFromBlock(
  b: AllocationBlock,
  num: number,
  handleId: string | undefined,
  attrs: Record<string, string> | undefined,
  check: AffinityCheck,
  reservations: Reservations,
): number[] {
  if (check.strict && b.affinity !== null && b.affinity !== check.affinity) {
    throw new IPAMError(
      'affinityMismatch',
      `Block affinity (${b.affinity}) does not match provided (${check.host}:${check.type})`,
    );
  }
  if (check.strict && b.affinity === null) {
    throw new IPAMError('affinityMismatch', `Attempt to assign from block ${b.cidr} with no affinity`);
  }
  const c = blockCIDR(b);
  const filter = !reservations.empty && reservations.matchesSome(c);
  const taken: number[] = [];
  const kept: number[] = [];
  let attrIndex = -1;
  let i = 0;
  for (; i < b.unallocated.length && taken.length < num; i++) {
    const ordinal = b.unallocated[i];
    if (filter && reservations.matchesIP(c.family, c.addr + BigInt(ordinal))) {
      kept.push(ordinal);
      continue;
    }
    if (attrIndex < 0) attrIndex = findOrAddAttribute(b, handleId, attrs);
    b.allocations[ordinal] = attrIndex;
    stampOrdinal(b, ordinal);
    taken.push(ordinal);
  }
  if (taken.length) b.unallocated = kept.concat(b.unallocated.slice(i));
  return taken;
}

/**
 * Allocates one specific ordinal (AssignIP), removing it from the FIFO with the rest kept in order.
 * Throws ALREADY_EXISTS when the ordinal is taken (or in cooldown).
 */
export function assignOrdinal(
  b: AllocationBlock,
  ordinal: number,
  handleId: string | undefined,
  attrs: Record<string, string> | undefined,
  check: AffinityCheck,
): void {
  if (check.strict && b.affinity !== null && b.affinity !== check.affinity) {
    throw new IPAMError('affinityMismatch', 'Block host affinity does not match');
  }
  if (check.strict && b.affinity === null) {
    throw new IPAMError('affinityMismatch', `Attempt to assign from block ${b.cidr} with no affinity`);
  }
  if (b.allocations[ordinal] !== null && b.allocations[ordinal] !== undefined) {
    throw new IPAMError(
      'alreadyAssigned',
      `resource already exists: ${ordinalIP(b, ordinal)} with error: Address already assigned in block`,
      { code: 'ALREADY_EXISTS' },
    );
  }
  stampOrdinal(b, ordinal);
  b.allocations[ordinal] = findOrAddAttribute(b, handleId, attrs);
  const at = b.unallocated.indexOf(ordinal);
  if (at >= 0) b.unallocated.splice(at, 1);
}

function addCooldownAttribute(b: AllocationBlock, now: Date): number {
  b.attributes.push({ releasedAt: rfc3339(now) });
  return b.attributes.length - 1;
}

/** Handle IDs are cut at the first CR (a legacy host-local migration bug wrote them with one). */
export function sanitizeHandle(h: string): string {
  const cr = h.indexOf('\r');
  return cr < 0 ? h : h.slice(0, cr);
}

export interface ReleaseRequest {
  address: string;
  ordinal: number;
  handleId?: string;
  sequenceNumber?: bigint;
}

export interface ReleaseOutcome {
  /** Requested addresses that were not allocated (or already in cooldown). */
  unallocated: string[];
  /** Released addresses per (sanitised) handle. */
  countByHandle: Map<string, number>;
  released: number;
}

/**
 * Moves the requested ordinals into cooldown (one `{releasedAt}` attribute, handle detached, seq
 * re-stamped), then garbage-collects. A stale sequence number or a different handle fails the whole
 * request for this block (UPDATE_CONFLICT), leaving the block as it was.
 */
export function releaseFromBlock(
  b: AllocationBlock,
  requests: readonly ReleaseRequest[],
  now: Date,
  cooldownSeconds: number,
): ReleaseOutcome {
  const unique = new Map<string, ReleaseRequest>();
  for (const r of requests) unique.set(r.address, r);
  const unallocated: string[] = [];
  const countByHandle = new Map<string, number>();
  const ordinals: number[] = [];
  for (const r of unique.values()) {
    const stored = ordinalSequence(b, r.ordinal);
    if (r.sequenceNumber !== undefined && r.sequenceNumber !== stored) {
      throw badSequenceNumber(r.address, r.sequenceNumber, stored);
    }
    const idx = b.allocations[r.ordinal];
    if (idx === null || idx === undefined || b.attributes[idx]?.releasedAt !== undefined) {
      unallocated.push(r.address);
      continue;
    }
    const h = b.attributes[idx]?.handle_id;
    const handle = h === undefined ? '' : sanitizeHandle(h);
    if (r.handleId && r.handleId !== handle) throw badHandle(r.address, r.handleId, handle);
    ordinals.push(r.ordinal);
    if (handle) countByHandle.set(handle, (countByHandle.get(handle) ?? 0) + 1);
  }
  if (ordinals.length) {
    const cool = addCooldownAttribute(b, now);
    for (const o of ordinals) {
      b.allocations[o] = cool;
      stampOrdinal(b, o);
    }
    garbageCollect(b, now, cooldownSeconds);
  }
  return { unallocated, countByHandle, released: ordinals.length };
}

/**
 * Moves every ordinal of the handle into cooldown (only those stamped with `sequenceNumber` when
 * given). Returns how many were released.
 */
export function releaseByHandleInBlock(
  b: AllocationBlock,
  handleId: string,
  now: Date,
  cooldownSeconds: number,
  sequenceNumber?: bigint,
): number {
  const mine = new Set<number>();
  b.attributes.forEach((a, i) => {
    if (a.handle_id !== undefined && sanitizeHandle(a.handle_id) === handleId) mine.add(i);
  });
  if (mine.size === 0) return 0;
  let cool = -1;
  let count = 0;
  for (let o = 0; o < b.allocations.length; o++) {
    const idx = b.allocations[o];
    if (idx === null || !mine.has(idx)) continue;
    if (sequenceNumber !== undefined && sequenceNumber !== ordinalSequence(b, o)) continue;
    if (cool < 0) cool = addCooldownAttribute(b, now);
    b.allocations[o] = cool;
    count++;
  }
  garbageCollect(b, now, cooldownSeconds);
  return count;
}

/**
 * Frees ordinals whose cooldown has expired (append to the FIFO tail, drop their seq stamp), then
 * prunes unreferenced attributes and re-indexes. Returns true if the block changed.
 * With a cooldown of 0 every released ordinal is freed at once (Calico compares full-precision
 * times in memory; our stored times have whole seconds, so "strictly before now" could miss).
 */
export function garbageCollect(b: AllocationBlock, now: Date, cooldownSeconds: number): boolean {
  if (nothingToCollect(b)) return false;
  let changed = false;
  const cutoff = now.getTime() - cooldownSeconds * 1000;
  const used = new Set<number>();
  const expired = new Map<number, boolean>();
  for (let o = 0; o < b.allocations.length; o++) {
    const idx = b.allocations[o];
    if (idx === null || idx === undefined) continue;
    let free = expired.get(idx);
    if (free === undefined) {
      const at = b.attributes[idx]?.releasedAt;
      free = at !== undefined && (cooldownSeconds <= 0 || Date.parse(at) < cutoff);
      expired.set(idx, free);
    }
    if (free) {
      b.allocations[o] = null;
      b.unallocated.push(o);
      if (b.sequenceNumberForAllocation) delete b.sequenceNumberForAllocation[String(o)];
      changed = true;
    } else {
      used.add(idx);
    }
  }
  if (used.size !== b.attributes.length) {
    const remap = new Map<number, number>();
    const kept: AllocationAttribute[] = [];
    b.attributes.forEach((a, i) => {
      if (used.has(i)) {
        remap.set(i, kept.length);
        kept.push(a);
      }
    });
    b.attributes = kept;
    for (let o = 0; o < b.allocations.length; o++) {
      const idx = b.allocations[o];
      if (idx !== null && idx !== undefined) b.allocations[o] = remap.get(idx) ?? null;
    }
    changed = true;
  }
  return changed;
}

/**
 * The usual case, checked without Sets and Maps (this runs on every block an allocation reads):
 * nothing in cooldown, and every attribute referenced by some allocation.
 */
function nothingToCollect(b: AllocationBlock): boolean {
  const n = b.attributes.length;
  for (let i = 0; i < n; i++) if (b.attributes[i]?.releasedAt !== undefined) return false;
  const seen = new Uint8Array(n);
  let count = 0;
  for (const idx of b.allocations) {
    if (idx === null || idx === undefined) continue;
    if (!Number.isInteger(idx) || idx < 0 || idx >= n) return false;
    if (seen[idx] === 0) {
      seen[idx] = 1;
      count++;
    }
  }
  return count === n;
}

/** Empty ⇔ nothing allocated except Windows-reserved edges; ordinals in cooldown count as used. */
export function isEmpty(b: AllocationBlock): boolean {
  for (const idx of b.allocations) {
    if (idx === null) continue;
    const h = b.attributes[idx]?.handle_id;
    if (h === undefined || h.toLowerCase() !== WINDOWS_RESERVED_HANDLE) return false;
  }
  return true;
}

/** Free addresses AutoAssign could hand out: the FIFO minus reserved ordinals. */
export function freeCount(b: AllocationBlock, reservations: Reservations): number {
  const c = blockCIDR(b);
  if (reservations.empty) return b.unallocated.length;
  if (reservations.matchesWholeCIDR(c)) return 0;
  if (!reservations.matchesSome(c)) return b.unallocated.length;
  let n = 0;
  for (const o of b.unallocated) if (!reservations.matchesIP(c.family, c.addr + BigInt(o))) n++;
  return n;
}

/** Ordinals currently held by the handle (not those in cooldown). */
export function ordinalsByHandle(b: AllocationBlock, handleId: string): number[] {
  const mine = new Set<number>();
  b.attributes.forEach((a, i) => {
    if (a.handle_id !== undefined && sanitizeHandle(a.handle_id) === handleId) mine.add(i);
  });
  const out: number[] = [];
  if (mine.size === 0) return out;
  b.allocations.forEach((idx, o) => {
    if (idx !== null && mine.has(idx)) out.push(o);
  });
  return out;
}

/** How many active (non-cooldown) allocations each handle holds in this block. */
export function handleCounts(b: AllocationBlock): Map<string, number> {
  const out = new Map<string, number>();
  for (const idx of b.allocations) {
    if (idx === null) continue;
    const a = b.attributes[idx];
    if (!a || a.releasedAt !== undefined || a.handle_id === undefined) continue;
    const h = sanitizeHandle(a.handle_id);
    out.set(h, (out.get(h) ?? 0) + 1);
  }
  return out;
}

/** `host:<name>` → {type, host}; undefined for null or unparsable affinities. */
export function parseBlockAffinity(a: string | null): { type: 'host' | 'virtual'; host: string } | undefined {
  if (a === null) return undefined;
  if (a.startsWith('host:')) return { type: 'host', host: a.slice(5) };
  if (a.startsWith('virtual:')) return { type: 'virtual', host: a.slice(8) };
  return undefined;
}

/** A deep copy (values decoded from the store are shared with nothing, but tests and GC reuse them). */
export function cloneBlock(b: AllocationBlock): AllocationBlock {
  const c: AllocationBlock = {
    ...b,
    allocations: b.allocations.slice(),
    unallocated: b.unallocated.slice(),
    attributes: b.attributes.map((a) => ({
      ...a,
      secondary: a.secondary ? { ...a.secondary } : undefined,
      alternateOwnerAttrs: a.alternateOwnerAttrs ? { ...a.alternateOwnerAttrs } : undefined,
    })),
    sequenceNumberForAllocation: b.sequenceNumberForAllocation
      ? { ...b.sequenceNumberForAllocation }
      : undefined,
  };
  for (const a of c.attributes) {
    if (a.secondary === undefined) delete a.secondary;
    if (a.alternateOwnerAttrs === undefined) delete a.alternateOwnerAttrs;
  }
  return c;
}
