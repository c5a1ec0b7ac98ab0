/**
 * The v3 → Felix (v1) selector rewriting of libcalico's update processors: namespaced policies
 * are scoped to their namespace, namespace and service-account selectors become `pcns.` /
 * `pcsa.` profile-label selectors. Strings are built exactly as Calico builds them, so the parsed
 * selectors have Calico's canonical form and hence Calico's set names.
 */
import type { EntityRule } from '../../../api/kinds/rule.js';
import { normaliseSelector, parseSelector, prefixLabels, type Selector } from '../../../selector/index.js';

export const LABEL_NAMESPACE = 'projectcalico.org/namespace';
export const LABEL_SERVICE_ACCOUNT = 'projectcalico.org/serviceaccount';
export const LABEL_ORCHESTRATOR = 'projectcalico.org/orchestrator';
export const NAMESPACE_PREFIX = 'pcns.';
export const SERVICE_ACCOUNT_PREFIX = 'pcsa.';

// Selectors repeat a lot (every pod of a namespace, every rule of a generated policy): parse once.
const parsed = new Map<string, Selector>();
const MAX_CACHED = 50_000;

/** Parses (cached); throws SelectorParseError. */
export function cachedSelector(text: string): Selector {
  let s = parsed.get(text);
  if (!s) {
    s = parseSelector(text);
    if (parsed.size >= MAX_CACHED) parsed.clear();
    parsed.set(text, s);
  }
  return s;
}

const prefixedCache = new Map<string, string>();

function prefixed(text: string, prefix: string): string {
  const k = `${prefix}\0${text}`;
  let out = prefixedCache.get(k);
  if (out === undefined) {
    out = prefixLabels(cachedSelector(text), prefix).toString();
    if (prefixedCache.size >= MAX_CACHED) prefixedCache.clear();
    prefixedCache.set(k, out);
  }
  return out;
}

/** `(<current>) && <prefixed>`, or just the prefixed selector when there is no current one. */
function prefixAndAppend(current: string, toAppend: string, prefix: string): string {
  const p = prefixed(toAppend, prefix);
  return current === '' ? p : `(${current}) && ${p}`;
}

/** A NetworkPolicy's selector: its own, scoped to its namespace, then its service accounts. */
export function networkPolicySelector(namespace: string, selector: string, saSelector: string): string {
  let sel = selector.trim();
  if (namespace) {
    const ns = `${LABEL_NAMESPACE} == '${namespace}'`;
    sel = sel === '' ? ns : `(${sel}) && ${ns}`;
  }
  if (saSelector.trim() !== '') sel = prefixAndAppend(sel, saSelector, SERVICE_ACCOUNT_PREFIX);
  return sel;
}

/**
 * A GlobalNetworkPolicy's selector: namespaceSelector / serviceAccountSelector appended as
 * `pcns.` / `pcsa.` selectors, every `all()` then replaced textually (Calico's quirk: the main
 * selector's `all()` too) so that they only select namespaced / service-account endpoints.
 */
export function globalPolicySelector(selector: string, nsSelector: string, saSelector: string): string {
  let sel = selector.trim();
  if (nsSelector.trim() !== '') {
    sel = prefixAndAppend(sel, nsSelector, NAMESPACE_PREFIX);
    sel = sel.replaceAll('all()', `has(${LABEL_NAMESPACE})`);
  }
  if (saSelector.trim() !== '') {
    sel = prefixAndAppend(sel, saSelector, SERVICE_ACCOUNT_PREFIX);
    sel = sel.replaceAll('all()', `has(${LABEL_SERVICE_ACCOUNT})`);
  }
  return sel;
}

/**
 * A rule entity's positive selector (Calico's getEndpointSelector). Empty means "no selector":
 * the rule then also matches addresses Calico does not know. `notSelector` is never scoped; its
 * presence alone scopes the positive selector to the policy's namespace.
 */
export function entitySelector(e: EntityRule | undefined, policyNamespace: string): string {
  if (!e) return '';
  const nsText = e.namespaceSelector?.trim() ?? '';
  let nsSel = '';
  if (nsText !== '') {
    nsSel = prefixed(nsText, NAMESPACE_PREFIX)
      .replaceAll('all()', `has(${LABEL_NAMESPACE})`)
      .replaceAll('global()', `!has(${LABEL_NAMESPACE})`);
  } else if (policyNamespace) {
    nsSel = `${LABEL_NAMESPACE} == '${policyNamespace}'`;
  }

  let saSel = '';
  const sa = e.serviceAccounts;
  if (sa) {
    const parts: string[] = [];
    if (sa.selector && sa.selector.trim() !== '') parts.push(prefixed(sa.selector, SERVICE_ACCOUNT_PREFIX));
    if (sa.names && sa.names.length > 0) {
      const names = sa.names.map((n) => `'${n}'`).join(', ');
      parts.push(normaliseSelector(`${LABEL_SERVICE_ACCOUNT} in { ${names} }`));
    }
    saSel = parts.length === 2 ? `(${parts[0]}) && (${parts[1]})` : (parts[0] ?? '');
  }

  const own = e.selector?.trim() ?? '';
  const combined = saSel && own ? `(${saSel}) && (${own})` : saSel || own;
  const hasNot = (e.notSelector?.trim() ?? '') !== '';
  if (nsSel && (combined || hasNot || nsText !== '')) return combined ? `(${nsSel}) && (${combined})` : nsSel;
  return combined;
}
