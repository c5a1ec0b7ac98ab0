/**
 * metav1.Duration strings (`90s`, `1m30s`, `1.5h`, `250ms`): what Calico's CRDs accept. Go's
 * parser also knows `us`/`ns` and signs; the CRD pattern does not, so neither do we.
 */
import type { Checker } from '../check.js';

const DURATION_RE = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))*$/;
const PART_RE = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or undefined if `text` is not a duration. The empty string is 0. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_RE.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(PART_RE)) total += Number(m[1]) * UNIT_MS[m[2]];
  return total;
}

export function checkDuration(c: Checker, path: string, value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'string' || parseDuration(value) === undefined) {
    return c.expect(false, path, value, 'must be a duration such as 90s, 1m30s or 500ms');
  }
  return true;
}

/** Formats milliseconds the way Go prints a time.Duration: `1m30s`, `500ms`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  let rest = ms / 1000;
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  rest -= m * 60;
  const s = Number(rest.toFixed(3));
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}
