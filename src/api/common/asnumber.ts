/**
 * numorstring ASNumber: a 32-bit AS number written as a JSON number, a decimal string, or the
 * dotted form `A.B` (two 16-bit halves, value A*65536 + B).
 */
import type { Checker } from '../check.js';

const MAX_AS = 0xffffffff;
const DECIMAL = /^\d+$/;
const DOTTED = /^(\d+)\.(\d+)$/;

/** The numeric AS, or undefined when `value` is not a valid AS number. */
export function parseASNumber(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 && value <= MAX_AS ? value : undefined;
  }
  if (typeof value !== 'string') return undefined;
  if (DECIMAL.test(value)) {
    const n = Number(value);
    return n <= MAX_AS ? n : undefined;
  }
  const m = DOTTED.exec(value);
  if (m) {
    const hi = Number(m[1]);
    const lo = Number(m[2]);
    if (hi > 0xffff || lo > 0xffff) return undefined;
    return hi * 0x10000 + lo;
  }
  return undefined;
}

/** Checks an optional AS number field; returns the parsed value when valid. */
export function checkASNumber(c: Checker, path: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = parseASNumber(value);
  if (n === undefined) {
    c.fail(path, value, 'AS number must be an integer 0-4294967295 or a dotted pair A.B of 16-bit integers');
  }
  return n;
}

/** Calico stores and prints AS numbers as plain decimals: `"1.10"` → `65546`. */
export function normaliseASNumber<T>(value: T): T | number {
  const n = parseASNumber(value);
  return n === undefined ? value : n;
}
