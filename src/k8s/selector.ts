/** Kubernetes label selectors → Calico selector text (the exact text Calico's converter writes). */
import { SelectorParseError, validateSelector } from '../selector/index.js';
import { K8sInputError } from './errors.js';
import { isObject } from './input.js';
import { ORCHESTRATOR_K8S, ORCHESTRATOR_LABEL } from './names.js';
import type { K8sLabelSelector } from './types.js';

/** Restricts a selector to Kubernetes pods: `projectcalico.org/orchestrator == 'k8s'`. */
export const K8S_ORCHESTRATOR_TERM = `${ORCHESTRATOR_LABEL} == '${ORCHESTRATOR_K8S}'`;

export interface K8sSelectorOptions {
  /**
   * true for pod selectors: the orchestrator term comes first and an absent or empty selector
   * is just that term. false for namespace selectors: absent is `""` (Calico: the policy's own
   * namespace), present but empty is `all()` (every namespace).
   */
  orchestrator: boolean;
}

/** A selector that cannot be expressed; `path` is relative to the selector ('' = the selector). */
export class K8sSelectorError extends K8sInputError {
  constructor(
    readonly path: string,
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(path || 'selector', value, reason);
    this.name = 'K8sSelectorError';
  }
}

function requirementTerm(req: unknown, at: string): string {
  if (!isObject(req)) throw new K8sSelectorError(at, req, 'must be an object');
  const { key, operator, values } = req as Record<string, unknown>;
  if (typeof key !== 'string' || key === '') {
    throw new K8sSelectorError(`${at}.key`, key, 'must be a non-empty string');
  }
  const vals = values ?? [];
  if (!Array.isArray(vals) || vals.some((v) => typeof v !== 'string')) {
    throw new K8sSelectorError(`${at}.values`, values, 'must be a list of strings');
  }
  switch (operator) {
    case 'In':
    case 'NotIn':
      if (vals.length === 0) {
        throw new K8sSelectorError(`${at}.values`, values, `must be non-empty for operator ${operator}`);
      }
      return `${key} ${operator === 'In' ? 'in' : 'not in'} { '${vals.join("', '")}' }`;
    case 'Exists':
      return `has(${key})`;
    case 'DoesNotExist':
      return `! has(${key})`;
    default:
      throw new K8sSelectorError(
        `${at}.operator`,
        operator,
        'must be one of In, NotIn, Exists, DoesNotExist',
      );
  }
}

/**
 * Converts a Kubernetes LabelSelector into Calico selector text, as Calico's k8s conversion does:
 * matchLabels sorted by key as `k == 'v'`, then matchExpressions in order (In → `k in { 'a', 'b' }`,
 * NotIn → `k not in { ... }`, Exists → `has(k)`, DoesNotExist → `! has(k)`), joined with ` && `.
 * Throws K8sSelectorError for a malformed selector or one whose text would not parse.
 */
export function k8sSelectorToCalico(
  selector: K8sLabelSelector | null | undefined,
  opts: K8sSelectorOptions,
): string {
  const terms = opts.orchestrator ? [K8S_ORCHESTRATOR_TERM] : [];
  if (selector === undefined || selector === null) return terms.join(' && ');
  if (!isObject(selector)) throw new K8sSelectorError('', selector, 'must be an object');
  const labels = selector.matchLabels ?? {};
  if (!isObject(labels)) throw new K8sSelectorError('matchLabels', labels, 'must be a map of strings');
  const exprs = selector.matchExpressions ?? [];
  if (!Array.isArray(exprs)) throw new K8sSelectorError('matchExpressions', exprs, 'must be a list');
  if (!opts.orchestrator && Object.keys(labels).length === 0 && exprs.length === 0) return 'all()';

  for (const key of Object.keys(labels).sort()) {
    const v = labels[key];
    if (typeof v !== 'string') throw new K8sSelectorError(`matchLabels.${key}`, v, 'must be a string');
    terms.push(`${key} == '${v}'`);
  }
  exprs.forEach((req, i) => terms.push(requirementTerm(req, `matchExpressions[${i}]`)));

  const text = terms.join(' && ');
  try {
    validateSelector(text);
  } catch (e) {
    const reason = e instanceof SelectorParseError ? `${e.reason} at position ${e.position}` : String(e);
    throw new K8sSelectorError('', selector, `cannot be expressed as a Calico selector: ${reason}`);
  }
  return text;
}
