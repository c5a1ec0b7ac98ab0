/** Small field validators shared by the kinds: enums, integer ranges, interfaces, regexps, MACs. */
import { parseMAC } from '../../net/index.js';
import type { Checker } from '../check.js';
import { DNS1123_SUBDOMAIN_RE, INTERFACE_NAME_RE, SUBDOMAIN_NAME_REASON } from './names.js';

export function oneOf(values: readonly string[]): string {
  return values.join(', ');
}

/**
 * Checks an optional enum field. With `caseInsensitive` (Felix/BGP log levels and actions) the
 * value may be written in any case.
 */
export function checkEnum(
  c: Checker,
  path: string,
  value: unknown,
  allowed: readonly string[],
  opts: { caseInsensitive?: boolean } = {},
): boolean {
  if (value === undefined || value === null || value === '') return true;
  const ok =
    typeof value === 'string' &&
    (opts.caseInsensitive
      ? allowed.some((a) => a.toLowerCase() === value.toLowerCase())
      : allowed.includes(value));
  return c.expect(ok, path, value, `must be one of: ${oneOf(allowed)}`);
}

/** Checks an optional integer field against an inclusive range. */
export function checkIntRange(c: Checker, path: string, value: unknown, min: number, max: number): boolean {
  if (value === undefined || value === null) return true;
  const ok = typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
  return c.expect(ok, path, value, `must be an integer between ${min} and ${max}`);
}

/** Interface names (`eth0`), optionally `*` for "all interfaces". */
export function checkInterfaceName(c: Checker, path: string, value: unknown, allowWildcard = false): boolean {
  if (value === undefined || value === null || value === '') return true;
  const ok = typeof value === 'string' && ((allowWildcard && value === '*') || INTERFACE_NAME_RE.test(value));
  return c.expect(
    ok,
    path,
    value,
    `must be an interface name matching ${INTERFACE_NAME_RE.source}${allowWildcard ? " or '*'" : ''}`,
  );
}

/** A regular expression (checked with the JavaScript engine; close to Go's RE2 for the common subset). */
export function checkRegexp(c: Checker, path: string, value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (typeof value !== 'string') return c.expect(false, path, value, 'must be a regular expression');
  try {
    new RegExp(value);
    return true;
  } catch (e) {
    return c.expect(false, path, value, `invalid regular expression: ${(e as Error).message}`);
  }
}

export function checkMAC(c: Checker, path: string, value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  try {
    parseMAC(String(value));
    return true;
  } catch {
    return c.expect(false, path, value, 'invalid MAC address');
  }
}

/** `k=v,k2=v2` lists (Felix featureDetectOverride / featureGates); empty items are tolerated. */
export function checkKeyValueList(c: Checker, path: string, value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  const ok =
    typeof value === 'string' && value.split(',').every((item) => item === '' || /^\s*\w+=.*$/.test(item));
  return c.expect(ok, path, value, 'must be a comma-separated list of key=value pairs');
}

/** Fields naming another resource (Calico's `name` validator): a DNS-1123 subdomain. */
export function checkNameRef(c: Checker, path: string, value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  const ok = typeof value === 'string' && DNS1123_SUBDOMAIN_RE.test(value);
  return c.expect(ok, path, value, SUBDOMAIN_NAME_REASON);
}
