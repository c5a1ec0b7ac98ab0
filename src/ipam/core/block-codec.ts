/**
 * AllocationBlock ⇄ the JSON Calico stores at /calico/ipam/v2/assignment/ipv<N>/block/<cidr>.
 * Field order and omissions follow Go's struct tags; sequence numbers stay exact (bigint).
 * Go's nil slices (`"attributes":null`) read as empty and are written back as `[]`, which Calico
 * reads the same way.
 */
import { CalicoError } from '../../errors/index.js';
import type { AllocationAttribute, AllocationBlock } from '../model.js';
import {
  parseJSON,
  setOwn,
  sortedRecord,
  stringifyJSON,
  type JSONObject,
  type JSONOut,
  type JSONValue,
} from './json.js';

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

function encodeAttribute(a: AllocationAttribute): Record<string, JSONOut> {
  const o: Record<string, JSONOut> = {};
  if (a.handle_id !== undefined) o.handle_id = a.handle_id;
  if (a.secondary && Object.keys(a.secondary).length) o.secondary = sortedRecord(a.secondary);
  if (a.alternateOwnerAttrs && Object.keys(a.alternateOwnerAttrs).length) {
    o.alternateOwnerAttrs = sortedRecord(a.alternateOwnerAttrs);
  }
  if (a.releasedAt !== undefined) o.releasedAt = a.releasedAt;
  return o;
}

export function encodeBlock(b: AllocationBlock): string {
  const o: Record<string, JSONOut> = { cidr: b.cidr, affinity: b.affinity };
  if (b.affinity_claim_time) o.affinity_claim_time = b.affinity_claim_time;
  o.allocations = b.allocations;
  o.unallocated = b.unallocated;
  o.attributes = b.attributes.map(encodeAttribute);
  o.sequenceNumber = b.sequenceNumber;
  o.sequenceNumberForAllocation = b.sequenceNumberForAllocation
    ? sortedRecord(b.sequenceNumberForAllocation)
    : null;
  o.deleted = b.deleted ?? false;
  return stringifyJSON(o);
}
