/**
 * Namespaces and ServiceAccounts → the Profiles whose labelsToApply let selectors match pods by
 * their namespace's or service account's labels (`pcns.*`, `pcsa.*`).
 */
import { API_VERSION } from '../api/types.js';
import type { Profile } from '../api/kinds/profile.js';
import { identify, stringMapAt } from './input.js';
import {
  NAME_LABEL,
  NAMESPACE_LABEL_PREFIX,
  SERVICE_ACCOUNT_LABEL_PREFIX,
  namespaceProfileName,
  serviceAccountProfileName,
} from './names.js';
import type { K8sNamespace, K8sServiceAccount } from './types.js';

function prefixed(labels: Record<string, string>, prefix: string, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) out[prefix + k] = v;
  // Set last: the object's own name wins over a label of the same key.
  out[prefix + NAME_LABEL] = name;
  return out;
}

/**
 * Namespace → Profile `kns.<name>`: one Allow rule each way (the namespace itself allows
 * everything; NetworkPolicies do the restricting) and labelsToApply `pcns.<k>: <v>` for every
 * namespace label plus `pcns.projectcalico.org/name: <name>`. Throws K8sInputError without
 * metadata.name.
 */
export function convertNamespace(ns: K8sNamespace): Profile {
  const { name, meta, ref } = identify(ns, 'Namespace', false);
  const labels = stringMapAt(meta.labels, 'metadata.labels', ref);
  return {
    apiVersion: API_VERSION,
    kind: 'Profile',
    metadata: { name: namespaceProfileName(name) },
    spec: {
      ingress: [{ action: 'Allow' }],
      egress: [{ action: 'Allow' }],
      labelsToApply: prefixed(labels, NAMESPACE_LABEL_PREFIX, name),
    },
  };
}

/**
 * ServiceAccount → Profile `ksa.<namespace>.<name>` (namespace `default` when absent) with no
 * rules and labelsToApply `pcsa.<k>: <v>` for every label plus `pcsa.projectcalico.org/name:
 * <name>`. Throws K8sInputError without metadata.name.
 */
export function convertServiceAccount(sa: K8sServiceAccount): Profile {
  const { name, namespace, meta, ref } = identify(sa, 'ServiceAccount', true);
  const labels = stringMapAt(meta.labels, 'metadata.labels', ref);
  return {
    apiVersion: API_VERSION,
    kind: 'Profile',
    metadata: { name: serviceAccountProfileName(namespace, name) },
    spec: { labelsToApply: prefixed(labels, SERVICE_ACCOUNT_LABEL_PREFIX, name) },
  };
}
