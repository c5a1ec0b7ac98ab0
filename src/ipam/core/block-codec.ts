/**
 * AllocationBlock ⇄ the JSON Calico stores at /calico/ipam/v2/assignment/ipv<N>/block/<cidr>.
 * Field order and omissions follow Go's struct tags; sequence numbers stay exact (bigint).
 * Go's nil slices (`"attributes":null`) read as empty and are written back as `[]`, which Calico
 * reads the same way.
 */
import { CalicoError } from '../../errors/index.js';
import type { AllocationAttribute, AllocationBlock } from '../model.js';
import { parseJSON, quote, setOwn, type JSONObject, type JSONValue } from './json.js';

function bad(what: string): never {
  throw new CalicoError('DECODE', `invalid IPAM block: ${what}`);
}

function isObject(v: JSONValue | undefined): v is JSONObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof v !== 'bigint';
}

function toBigInt(v: JSONValue | undefined, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (v === undefined || v === null) return 0n;
  return bad(`${what} is not an integer`);
}

function toInt(v: JSONValue, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  return bad(`${what} is not a non-negative integer`);
}

function stringMap(v: JSONValue | undefined, what: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) return bad(`${what} is not an object`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') bad(`${what}.${k} is not a string`);
    setOwn(out, k, x);
  }
  return Object.keys(out).length ? out : undefined;
}

function decodeAttribute(v: JSONValue, i: number): AllocationAttribute {
  if (!isObject(v)) return bad(`attributes[${i}] is not an object`);
  const a: AllocationAttribute = {};
  if (typeof v.handle_id === 'string') a.handle_id = v.handle_id;
  const sec = stringMap(v.secondary, `attributes[${i}].secondary`);
  if (sec) a.secondary = sec;
  const alt = stringMap(v.alternateOwnerAttrs, `attributes[${i}].alternateOwnerAttrs`);
  if (alt) a.alternateOwnerAttrs = alt;
  if (typeof v.releasedAt === 'string') a.releasedAt = v.releasedAt;
  return a;
}

export function decodeBlock(text: string): AllocationBlock {
  const v = parseJSON(text);
  if (!isObject(v)) return bad('not a JSON object');
  if (typeof v.cidr !== 'string') bad('cidr is missing');
  let affinity: string | null = typeof v.affinity === 'string' ? v.affinity : null;
  // Legacy field from before `affinity` existed.
  if (affinity === null && typeof v.hostAffinity === 'string') affinity = `host:${v.hostAffinity}`;
  const allocations = v.allocations ?? [];
  if (!Array.isArray(allocations)) bad('allocations is not an array');
  const unallocated = v.unallocated ?? [];
  if (!Array.isArray(unallocated)) bad('unallocated is not an array');
  const attributes = v.attributes ?? [];
  if (!Array.isArray(attributes)) bad('attributes is not an array');
  const b: AllocationBlock = {
    cidr: v.cidr as string,
    affinity,
    allocations: allocations.map((x, i) => (x === null ? null : toInt(x, `allocations[${i}]`))),
    unallocated: unallocated.map((x, i) => toInt(x, `unallocated[${i}]`)),
    attributes: attributes.map(decodeAttribute),
    sequenceNumber: toBigInt(v.sequenceNumber, 'sequenceNumber'),
    deleted: v.deleted === true,
  };
  if (typeof v.affinity_claim_time === 'string') b.affinity_claim_time = v.affinity_claim_time;
  const seqs = v.sequenceNumberForAllocation;
  if (isObject(seqs)) {
    const m: Record<string, bigint> = {};
    for (const [k, x] of Object.entries(seqs)) {
      setOwn(m, k, toBigInt(x, `sequenceNumberForAllocation.${k}`));
    }
    b.sequenceNumberForAllocation = m;
  } else if (seqs !== undefined && seqs !== null) bad('sequenceNumberForAllocation is not an object');
  for (const idx of b.allocations) {
    if (idx !== null && idx >= b.attributes.length) bad(`allocation points at missing attribute ${idx}`);
  }
  return b;
}

/** `{"k":v,...}` with keys in Go's byte order; undefined members omitted. */
function sortedObject<T>(r: Readonly<Record<string, T>>, enc: (v: T) => string): string {
  let out = '';
  // The default sort compares UTF-16 code units, as byteOrder does, without a callback per pair.
  for (const k of Object.keys(r).sort()) {
    const v = r[k];
    if (v === undefined) continue;
    out += `${out ? ',' : ''}${quote(k)}:${enc(v)}`;
  }
  return `{${out}}`;
}

function integer(v: number | bigint | null | undefined): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError(`cannot encode ${v} as JSON`);
  return String(v);
}

function integers(a: readonly (number | null)[]): string {
  let out = '';
  for (let i = 0; i < a.length; i++) out += i ? `,${integer(a[i])}` : integer(a[i]);
  return `[${out}]`;
}

function encodeAttribute(a: AllocationAttribute): string {
  let out = '';
  if (a.handle_id !== undefined) out += `,"handle_id":${quote(a.handle_id)}`;
  if (a.secondary && Object.keys(a.secondary).length)
    out += `,"secondary":${sortedObject(a.secondary, quote)}`;
  if (a.alternateOwnerAttrs && Object.keys(a.alternateOwnerAttrs).length) {
    out += `,"alternateOwnerAttrs":${sortedObject(a.alternateOwnerAttrs, quote)}`;
  }
  if (a.releasedAt !== undefined) out += `,"releasedAt":${quote(a.releasedAt)}`;
  return `{${out.slice(1)}}`;
}

/** The decimal ordinals 0..n−1 in byte order ("0","1","10","11",…,"2",…): Go's order of those keys. */
const ordinalOrders = new Map<number, string[]>();
function ordinalsInByteOrder(n: number): string[] {
  let o = ordinalOrders.get(n);
  if (!o) {
    o = Array.from({ length: n }, (_, i) => String(i)).sort();
    ordinalOrders.set(n, o);
  }
  return o;
}

/**
 * `"ordinal":seq` fragments of a block's sequenceNumberForAllocation as last written, per map
 * object: an allocation changes one entry, so the other 63 conversions of 19-digit bigints to text
 * are reused. Each one is checked against the current value before use.
 */
const seqFragments = new WeakMap<object, Map<string, { v: bigint; text: string }>>();

function encodeSeqs(r: Readonly<Record<string, bigint>>, n: number): string {
  const keys = Object.keys(r);
  // Keys other than canonical ordinals (never written by us) take the general path.
  if (n > 1024 || keys.length > n) return sortedObject(r, integer);
  let cache = seqFragments.get(r);
  if (!cache) seqFragments.set(r, (cache = new Map()));
  let out = '';
  let found = 0;
  for (const k of ordinalsInByteOrder(n)) {
    const v = r[k];
    if (v === undefined) continue;
    found++;
    let f = cache.get(k);
    if (f?.v !== v) cache.set(k, (f = { v, text: `"${k}":${integer(v)}` }));
    out += found > 1 ? `,${f.text}` : f.text;
  }
  return found === keys.length ? `{${out}}` : sortedObject(r, integer);
}

/**
 * Written directly as text rather than through a generic JSON writer: a busy host rewrites its block
 * on every allocation, and this is the largest part of the CPU an allocation costs. The output is
 * byte for byte what Calico's json.Marshal of the Go struct gives (see codec tests).
 */
export function encodeBlock(b: AllocationBlock): string {
  let out = `{"cidr":${quote(b.cidr)}`;
  if (b.affinity !== undefined) out += `,"affinity":${b.affinity === null ? 'null' : quote(b.affinity)}`;
  if (b.affinity_claim_time) out += `,"affinity_claim_time":${quote(b.affinity_claim_time)}`;
  out += `,"allocations":${integers(b.allocations)},"unallocated":${integers(b.unallocated)},"attributes":[`;
  const attrs = b.attributes;
  for (let i = 0; i < attrs.length; i++)
    out += i ? `,${encodeAttribute(attrs[i])}` : encodeAttribute(attrs[i]);
  out += `],"sequenceNumber":${integer(b.sequenceNumber)},"sequenceNumberForAllocation":`;
  const seqs = b.sequenceNumberForAllocation;
  out += seqs ? encodeSeqs(seqs, b.allocations.length) : 'null';
  return `${out},"deleted":${b.deleted ? 'true' : 'false'}}`;
}
