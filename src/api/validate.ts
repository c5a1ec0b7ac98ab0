/**
 * Validation entry point: generic metadata rules (Calico's ObjectMeta checks and the client's
 * create/update requirements) followed by the kind's own spec rules, all collected in one pass.
 */
import { CalicoError } from '../errors/index.js';
import { Checker } from './check.js';
import { checkAnnotations, checkLabels } from './common/labels.js';
import { DNS1123_LABEL_MAX, isDNS1123Label, subdomainNameProblem } from './common/names.js';
import { unknownResourceReason } from './decode.js';
import type { KindDef } from './kind.js';
import { kindByKind } from './registry.js';
import { API_VERSION, type Operation, type Resource } from './types.js';

const INT64_MAX = (1n << 63n) - 1n;

/** True when `rv` is what etcd revisions look like: a non-negative int64 in decimal. */
export function isResourceVersion(rv: string): boolean {
  return /^\d{1,19}$/.test(rv) && BigInt(rv) <= INT64_MAX;
}

/** Checks `metadata` of a resource of kind `def` for `op`, recording failures in `c`. */
export function validateMetadata(r: Resource, def: KindDef, op: Operation, c: Checker): void {
  const m = r.metadata ?? {};
  const name = m.name;
  if (name === undefined || name === '') {
    if (op === 'create') {
      const reason = m.generateName
        ? 'field must be set for a Create request (GenerateName is not supported)'
        : 'field must be set for a Create request';
      c.fail('metadata.name', name, reason);
    } else c.fail('metadata.name', name, 'field must be set for an Update request');
  } else {
    const problem = (def.nameRule ?? subdomainNameProblem)(name);
    if (problem) c.fail('metadata.name', name, problem);
  }

  const ns = m.namespace;
  if (def.namespaced) {
    if (!ns) c.fail('metadata.namespace', ns, 'namespace is not specified on namespaced resource');
    else if (!isDNS1123Label(ns)) {
      c.fail(
        'metadata.namespace',
        ns,
        `namespace must be a DNS-1123 label: at most ${DNS1123_LABEL_MAX} lower case alphanumeric characters or '-'`,
      );
    }
  } else if (ns) {
    c.fail(
      'metadata.namespace',
      ns,
      `namespace should not be specified for a non-namespaced resource. ${def.kind} is not a namespaced resource`,
    );
  }

  const rv = m.resourceVersion;
  if (op === 'create') {
    if (rv) c.fail('metadata.resourceVersion', rv, 'field must not be set for a Create request');
  } else if (!rv) {
    c.fail('metadata.resourceVersion', rv, 'field must be set for an Update request');
  } else if (!isResourceVersion(rv)) {
    c.fail('metadata.resourceVersion', rv, 'resourceVersion must be a decimal integer (an etcd revision)');
  }

  checkLabels(c, 'metadata.labels', m.labels);
  checkAnnotations(c, 'metadata.annotations', m.annotations);
}

/**
 * Validates a (defaulted) resource for a create or update. Throws ValidationError naming the
 * resource and every failed field, or CalicoError VALIDATION for an unknown kind/apiVersion.
 */
export function validateResource(r: Resource, op: Operation): void {
  const def = kindByKind(r.kind);
  if (!def || r.apiVersion !== API_VERSION) {
    throw new CalicoError('VALIDATION', unknownResourceReason(r.kind, r.apiVersion));
  }
  const c = new Checker({
    kind: def.kind,
    name: r.metadata?.name ?? '',
    ...(def.namespaced && r.metadata?.namespace ? { namespace: r.metadata.namespace } : {}),
  });
  validateMetadata(r, def, op, c);
  def.validate(r, c, op);
  c.throwIfErrors();
}
