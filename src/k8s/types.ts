/**
 * The parts of Kubernetes objects the converters read, as they appear in the API's JSON. Only
 * the fields Calico looks at are declared; anything else on the object is ignored. `null` is
 * accepted wherever Kubernetes JSON may carry an explicit null for an unset pointer.
 */

export interface K8sObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string> | null;
  annotations?: Record<string, string> | null;
  deletionTimestamp?: string | null;
}

export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface K8sLabelSelectorRequirement {
  key: string;
  operator: LabelSelectorOperator;
  values?: string[] | null;
}

/** metav1.LabelSelector: all matchLabels and all matchExpressions must hold. */
export interface K8sLabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: K8sLabelSelectorRequirement[] | null;
}

export interface K8sNetworkPolicyPort {
  /** TCP (the default), UDP or SCTP. */
  protocol?: string | null;
  /** A number or a named container port. */
  port?: number | string | null;
  /** With a numeric `port`: the last port of the range. */
  endPort?: number | null;
}

export interface K8sIPBlock {
  cidr: string;
  except?: string[] | null;
}

export interface K8sNetworkPolicyPeer {
  podSelector?: K8sLabelSelector | null;
  namespaceSelector?: K8sLabelSelector | null;
  ipBlock?: K8sIPBlock | null;
}

export interface K8sNetworkPolicyIngressRule {
  ports?: K8sNetworkPolicyPort[] | null;
  from?: K8sNetworkPolicyPeer[] | null;
}

export interface K8sNetworkPolicyEgressRule {
  ports?: K8sNetworkPolicyPort[] | null;
  to?: K8sNetworkPolicyPeer[] | null;
}

export interface K8sNetworkPolicySpec {
  podSelector?: K8sLabelSelector | null;
  ingress?: K8sNetworkPolicyIngressRule[] | null;
  egress?: K8sNetworkPolicyEgressRule[] | null;
  policyTypes?: string[] | null;
}

/** networking.k8s.io/v1 NetworkPolicy. */
export interface K8sNetworkPolicy {
  apiVersion?: string;
  kind?: string;
  metadata: K8sObjectMeta;
  spec?: K8sNetworkPolicySpec | null;
}

export interface K8sContainerPort {
  name?: string;
  containerPort: number;
  /** TCP (the default), UDP or SCTP. */
  protocol?: string;
  hostPort?: number;
  hostIP?: string;
}

export interface K8sContainer {
  name?: string;
  ports?: K8sContainerPort[] | null;
}

export interface K8sPodSpec {
  nodeName?: string;
  serviceAccountName?: string;
  hostNetwork?: boolean;
  containers?: K8sContainer[] | null;
  initContainers?: K8sContainer[] | null;
}

export interface K8sPodStatus {
  phase?: string;
  podIP?: string;
  podIPs?: { ip: string }[] | null;
}

/** core/v1 Pod. */
export interface K8sPod {
  apiVersion?: string;
  kind?: string;
  metadata: K8sObjectMeta;
  spec?: K8sPodSpec | null;
  status?: K8sPodStatus | null;
}

/** core/v1 Namespace. */
export interface K8sNamespace {
  apiVersion?: string;
  kind?: string;
  metadata: K8sObjectMeta;
}

/** core/v1 ServiceAccount. */
export interface K8sServiceAccount {
  apiVersion?: string;
  kind?: string;
  metadata: K8sObjectMeta;
}
