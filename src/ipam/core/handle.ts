/**
 * IPAM handles: how many addresses a handle holds in each block (a secondary index of the blocks).
 */
import { CalicoError } from '../../errors/index.js';
import type { IPAMHandle } from '../model.js';
import { parseJSON, quote, setOwn } from './json.js';

export function decodeHandle(text: string): IPAMHandle {
  const v = parseJSON(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof v === 'bigint') {
    throw new CalicoError('DECODE', 'invalid IPAM handle: not a JSON object');
  }
  const block: Record<string, number> = {};
  const b = v.block;
  if (typeof b === 'object' && b !== null && !Array.isArray(b) && typeof b !== 'bigint') {
    for (const [k, n] of Object.entries(b)) {
      if (typeof n !== 'number' || !Number.isInteger(n)) {
        throw new CalicoError('DECODE', `invalid IPAM handle: block ${k} count is not an integer`);
      }
      setOwn(block, k, n);
    }
  }
  return { block, deleted: v.deleted === true };
}

/** `{"block":{<cidr>:<count>,…},"deleted":false}`, keys in Go's byte order; written once per allocation. */
export function encodeHandle(h: IPAMHandle): string {
  let out = '';
  // The default sort compares UTF-16 code units, as byteOrder does.
  for (const k of Object.keys(h.block).sort()) {
    const n = h.block[k];
    if (n === undefined) continue;
    if (!Number.isFinite(n)) throw new RangeError(`cannot encode ${n} as JSON`);
    out += `${out ? ',' : ''}${quote(k)}:${n}`;
  }
  return `{"block":{${out}},"deleted":${h.deleted ? 'true' : 'false'}}`;
}

/** A copy with `n` more addresses in `cidr`. */
export function incrementHandle(h: IPAMHandle | undefined, cidr: string, n: number): IPAMHandle {
  const block = { ...(h?.block ?? {}) };
  block[cidr] = (block[cidr] ?? 0) + n;
  return { block, deleted: false };
}

/**
 * A copy with `n` fewer in `cidr`; entries reaching 0 are removed. Undefined when the handle does
 * not link the block or would go negative (Calico refuses those decrements and leaves the handle).
 */
export function decrementHandle(h: IPAMHandle, cidr: string, n: number): IPAMHandle | undefined {
  const cur = h.block[cidr];
  if (cur === undefined || cur - n < 0) return undefined;
  const block = { ...h.block };
  if (cur - n === 0) delete block[cidr];
  else block[cidr] = cur - n;
  return { block, deleted: h.deleted ?? false };
}

export function isHandleEmpty(h: IPAMHandle): boolean {
  return Object.keys(h.block).length === 0;
}

export function handleTotal(h: IPAMHandle): number {
  let t = 0;
  for (const n of Object.values(h.block)) t += n;
  return t;
}
