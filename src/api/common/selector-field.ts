/** Validation of selector-valued fields (nodeSelector, peerSelector, rule selectors, ...). */
import { parseSelector, SelectorParseError } from '../../selector/index.js';
import type { Checker } from '../check.js';

export const SELECTOR_MAX_LENGTH = 1024;

export interface SelectorFieldOptions {
  /**
   * Allow `global()`; when allowed it must stand alone (EntityRule namespaceSelector). When not
   * allowed, any use of `global(` is rejected.
   */
  allowGlobal?: boolean;
  /** Maximum length in characters; default 1024. */
  maxLength?: number;
}

export const GLOBAL_ONLY_ALONE = 'global() cannot be combined with other selectors';

/**
 * Checks an optional selector field. Empty or absent is valid (it means all()). Returns true when
 * the field is valid.
 */
export function checkSelector(
  c: Checker,
  path: string,
  value: unknown,
  opts: SelectorFieldOptions = {},
): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (typeof value !== 'string') return c.expect(false, path, value, 'selector must be a string');
  const max = opts.maxLength ?? SELECTOR_MAX_LENGTH;
  if (value.length > max) return c.expect(false, path, value, `selector is longer than ${max} characters`);
  if (value.includes('global(')) {
    if (!opts.allowGlobal) return c.expect(false, path, value, 'global() selector is not valid here');
    if (value.trim() !== 'global()') return c.expect(false, path, value, GLOBAL_ONLY_ALONE);
  }
  try {
    parseSelector(value);
  } catch (e) {
    const reason = e instanceof SelectorParseError ? `${e.reason} at position ${e.position}` : String(e);
    return c.expect(false, path, value, `invalid selector: ${reason}`);
  }
  return true;
}
