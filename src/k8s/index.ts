/**
 * Kubernetes → Calico conversions (package export `calico-ts/k8s`): NetworkPolicies, Pods,
 * Namespaces and ServiceAccounts into the Calico resources Calico's controllers derive from them.
 * Pure: no I/O.
 */
export type * from './types.js';
export { K8sConversionError, K8sInputError, type BadK8sRule } from './errors.js';
export { convertNetworkPolicy, K8S_POLICY_ORDER } from './network-policy.js';
export {
  k8sSelectorToCalico,
  K8sSelectorError,
  K8S_ORCHESTRATOR_TERM,
  type K8sSelectorOptions,
} from './selector.js';
export { simplifyPorts } from './ports.js';
export {
  convertPod,
  type ConvertedPod,
  type ConvertPodOptions,
  POD_IP_ANNOTATION,
  POD_IPS_ANNOTATION,
  CONTAINER_ID_ANNOTATION,
} from './pod.js';
export { convertNamespace, convertServiceAccount } from './profiles.js';
export * from './names.js';
