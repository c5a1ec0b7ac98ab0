/**
 * StagedKubernetesNetworkPolicy: a staged networking.k8s.io/v1 NetworkPolicy spec (podSelector,
 * ingress/from, egress/to, policyTypes) plus stagedAction. Checked for shape and the obvious
 * Kubernetes rules; it is never enforced.
 */
import { joinPath, type Checker } from '../check.js';
import type { KindDef } from '../kind.js';
import { S, type Schema } from '../schema.js';
import type { Resource } from '../types.js';
import { tryParseCIDR, cidrContainsCIDR } from '../../net/index.js';
import { ianaPortNameProblem } from '../common/ports.js';
import { checkStagedAction, POLICY_TYPES, type PolicyType, type StagedAction } from './policy-common.js';
import { defaultStagedAction } from './stagednetworkpolicy.js';

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface K8sNetworkPolicyPort {
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  port?: number | string;
  endPort?: number;
}

export interface K8sIPBlock {
  cidr: string;
  except?: string[];
}

export interface K8sNetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: K8sIPBlock;
}

export interface K8sNetworkPolicyIngressRule {
  ports?: K8sNetworkPolicyPort[];
  from?: K8sNetworkPolicyPeer[];
}

export interface K8sNetworkPolicyEgressRule {
  ports?: K8sNetworkPolicyPort[];
  to?: K8sNetworkPolicyPeer[];
}

export interface StagedKubernetesNetworkPolicySpec {
  stagedAction?: StagedAction;
  podSelector?: LabelSelector;
  ingress?: K8sNetworkPolicyIngressRule[];
  egress?: K8sNetworkPolicyEgressRule[];
  policyTypes?: PolicyType[];
}
export type StagedKubernetesNetworkPolicy = Resource<StagedKubernetesNetworkPolicySpec>;

export const labelSelectorSchema: Schema = S.object({
  matchLabels: S.stringMap,
  matchExpressions: S.array(S.object({ key: S.string, operator: S.string, values: S.stringList })),
});

const portSchema = S.object({ protocol: S.string, port: S.intOrString, endPort: S.int });
const peerSchema = S.object({
  podSelector: labelSelectorSchema,
  namespaceSelector: labelSelectorSchema,
  ipBlock: S.object({ cidr: S.string, except: S.stringList }),
});

const K8S_PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function checkLabelSelector(c: Checker, path: string, sel: LabelSelector | undefined): void {
  sel?.matchExpressions?.forEach((req, i) => {
    const at = joinPath(joinPath(path, 'matchExpressions'), i);
    c.expect(!!req.key, joinPath(at, 'key'), req.key, 'key must be specified');
    if (
      !c.expect(
        OPERATORS.includes(req.operator),
        joinPath(at, 'operator'),
        req.operator,
        `operator must be one of ${OPERATORS.join(', ')}`,
      )
    ) {
      return;
    }
    const n = req.values?.length ?? 0;
    if (req.operator === 'In' || req.operator === 'NotIn') {
      c.expect(
        n > 0,
        joinPath(at, 'values'),
        req.values,
        "must be specified when `operator` is 'In' or 'NotIn'",
      );
    } else {
      c.expect(
        n === 0,
        joinPath(at, 'values'),
        req.values,
        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      );
    }
  });
}

function checkK8sPort(c: Checker, path: string, p: K8sNetworkPolicyPort): void {
  if (p.protocol !== undefined) {
    c.expect(
      K8S_PROTOCOLS.includes(p.protocol),
      joinPath(path, 'protocol'),
      p.protocol,
      'protocol must be TCP, UDP or SCTP',
    );
  }
  const port = p.port;
  if (typeof port === 'number') {
    c.expect(
      Number.isInteger(port) && port >= 1 && port <= 65535,
      joinPath(path, 'port'),
      port,
      'must be between 1 and 65535, inclusive',
    );
  } else if (typeof port === 'string') {
    const problem = ianaPortNameProblem(port);
    if (problem) c.fail(joinPath(path, 'port'), port, problem);
  }
  if (p.endPort !== undefined) {
    if (typeof port !== 'number') {
      c.fail(
        joinPath(path, 'endPort'),
        p.endPort,
        'may not be specified when `port` is non-numeric or absent',
      );
    } else {
      c.expect(
        p.endPort >= port && p.endPort <= 65535,
        joinPath(path, 'endPort'),
        p.endPort,
        'must be greater than or equal to `port` and at most 65535',
      );
    }
  }
}

function checkPeer(c: Checker, path: string, peer: K8sNetworkPolicyPeer): void {
  const set = [peer.podSelector, peer.namespaceSelector, peer.ipBlock].filter((x) => x !== undefined).length;
  if (set === 0) c.fail(path, peer, 'must specify a peer');
  if (peer.ipBlock && set > 1)
    c.fail(path, peer, 'may not specify more than 1 peer type when ipBlock is given');
  checkLabelSelector(c, joinPath(path, 'podSelector'), peer.podSelector);
  checkLabelSelector(c, joinPath(path, 'namespaceSelector'), peer.namespaceSelector);
  const block = peer.ipBlock;
  if (!block) return;
  const at = joinPath(path, 'ipBlock');
  const cidr = tryParseCIDR(block.cidr ?? '');
  if (!cidr) {
    c.fail(joinPath(at, 'cidr'), block.cidr, 'must be a valid CIDR');
    return;
  }
  block.except?.forEach((e, i) => {
    const ex = tryParseCIDR(e);
    if (!ex) c.fail(joinPath(joinPath(at, 'except'), i), e, 'must be a valid CIDR');
    else if (ex.family !== cidr.family || !cidrContainsCIDR(cidr, ex) || ex.prefix <= cidr.prefix) {
      c.fail(joinPath(joinPath(at, 'except'), i), e, 'must be a strict subset of `cidr`');
    }
  });
}

function checkK8sRules(
  c: Checker,
  path: string,
  rules: (K8sNetworkPolicyIngressRule & K8sNetworkPolicyEgressRule)[] | undefined,
  peers: 'from' | 'to',
): void {
  rules?.forEach((rule, i) => {
    const at = joinPath(path, i);
    rule.ports?.forEach((p, j) => checkK8sPort(c, joinPath(joinPath(at, 'ports'), j), p));
    rule[peers]?.forEach((peer, j) => checkPeer(c, joinPath(joinPath(at, peers), j), peer));
  });
}

export const stagedKubernetesNetworkPolicyKind: KindDef = {
  kind: 'StagedKubernetesNetworkPolicy',
  plural: 'stagedkubernetesnetworkpolicies',
  namespaced: true,
  aliases: [
    'stagedkubernetesnetworkpolicy',
    'stagedkubernetesnetworkpolicies',
    'stagedkubernetespolicy',
    'sknp',
    'stagedkubernetespolicies',
    'skpol',
    'skpols',
  ],
  spec: S.object({
    stagedAction: S.string,
    podSelector: labelSelectorSchema,
    ingress: S.array(S.object({ ports: S.array(portSchema), from: S.array(peerSchema) })),
    egress: S.array(S.object({ ports: S.array(portSchema), to: S.array(peerSchema) })),
    policyTypes: S.stringList,
  }),
  defaults: (r) => defaultStagedAction(r as StagedKubernetesNetworkPolicy) as Resource,
  validate(r: Resource, c: Checker): void {
    const spec = (r.spec ?? {}) as StagedKubernetesNetworkPolicySpec;
    if (checkStagedAction(c, spec.stagedAction)) {
      const { stagedAction: _, ...rest } = spec;
      const empty = Object.values(rest).every(
        (v) =>
          v === undefined ||
          (Array.isArray(v)
            ? v.length === 0
            : typeof v === 'object' && v !== null && Object.keys(v).length === 0),
      );
      c.expect(empty, 'spec', undefined, 'Spec fields should all be zero-value if stagedAction is Delete');
      return;
    }
    checkLabelSelector(c, 'spec.podSelector', spec.podSelector);
    checkK8sRules(c, 'spec.ingress', spec.ingress, 'from');
    checkK8sRules(c, 'spec.egress', spec.egress, 'to');
    const types = spec.policyTypes ?? [];
    const seen = new Set<string>();
    types.forEach((t, i) => {
      c.expect(
        (POLICY_TYPES as readonly string[]).includes(t),
        joinPath('spec.policyTypes', i),
        t,
        'type must be Ingress or Egress',
      );
      if (seen.has(t)) c.fail('spec.policyTypes', types, `'${t}' type specified more than once`);
      seen.add(t);
    });
  },
};
