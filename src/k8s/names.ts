/** Names and labels Calico derives from Kubernetes objects (spec selectors.md, special labels). */

/** Orchestrator value on every Kubernetes WorkloadEndpoint. */
export const ORCHESTRATOR_K8S = 'k8s';
export const NAMESPACE_LABEL = 'projectcalico.org/namespace';
export const ORCHESTRATOR_LABEL = 'projectcalico.org/orchestrator';
export const SERVICE_ACCOUNT_LABEL = 'projectcalico.org/serviceaccount';
/** Suffix of the profile label that carries the namespace / service account's own name. */
export const NAME_LABEL = 'projectcalico.org/name';
/** Namespace labels are copied onto the namespace profile under this prefix. */
export const NAMESPACE_LABEL_PREFIX = 'pcns.';
/** Service-account labels are copied onto the service-account profile under this prefix. */
export const SERVICE_ACCOUNT_LABEL_PREFIX = 'pcsa.';
export const NAMESPACE_PROFILE_PREFIX = 'kns.';
export const SERVICE_ACCOUNT_PROFILE_PREFIX = 'ksa.';
/** Converted NetworkPolicies are stored as `knp.default.<name>` (etcd mode). */
export const K8S_POLICY_NAME_PREFIX = 'knp.default.';
/** Kubernetes puts objects without a namespace into `default`. */
export const DEFAULT_NAMESPACE = 'default';

/** `kns.<namespace>`. */
export function namespaceProfileName(namespace: string): string {
  return NAMESPACE_PROFILE_PREFIX + namespace;
}

/** `ksa.<namespace>.<serviceAccount>`; an empty namespace is `default`. */
export function serviceAccountProfileName(namespace: string, serviceAccount: string): string {
  return `${SERVICE_ACCOUNT_PROFILE_PREFIX}${namespace || DEFAULT_NAMESPACE}.${serviceAccount}`;
}

/** `knp.default.<name>`. */
export function networkPolicyName(k8sName: string): string {
  return K8S_POLICY_NAME_PREFIX + k8sName;
}
