/**
 * The NetworkPolicy conversion examples of spec policy-model.md §7.1 (ported from Calico's
 * conversion tests) as data: the Kubernetes input and the exact Calico output.
 */
import type { NetworkPolicy, NetworkPolicySpec } from '../../../src/api/index.js';
import type { K8sNetworkPolicy, K8sNetworkPolicySpec } from '../../../src/k8s/index.js';

export const ORCH = "projectcalico.org/orchestrator == 'k8s'";
const K_K2 = `${ORCH} && k == 'v' && k2 == 'v2'`;
const LABEL_LABEL2 = `${ORCH} && label == 'value' && label2 == 'value2'`;
const LABEL = `${ORCH} && label == 'value'`;
const NS_SEL = "namespaceFoo == 'bar' && namespaceRole == 'dev'";

export function k8sPolicy(spec: K8sNetworkPolicySpec, name = 'test.policy'): K8sNetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: 'default' },
    spec,
  };
}

export function calicoPolicy(spec: NetworkPolicySpec, name = 'test.policy'): NetworkPolicy {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'NetworkPolicy',
    metadata: { name: `knp.default.${name}`, namespace: 'default' },
    spec: { tier: 'default', order: 1000, ...spec },
  };
}

export interface PolicyExample {
  n: number;
  title: string;
  input: K8sNetworkPolicy;
  output: NetworkPolicy;
  /** For examples whose conversion drops rules: the reported [direction, index, reason]. */
  badRules?: [string, number, string][];
}

const podKK2 = { podSelector: { matchLabels: { k: 'v', k2: 'v2' } } };
const podLL2 = { matchLabels: { label: 'value', label2: 'value2' } };
const podL = { matchLabels: { label: 'value' } };
const badPortReason = (p: string) =>
  `k8s rule couldn't be converted: failed to parse k8s port: invalid port ${p}: invalid name for named port (${p})`;
const block16 = { cidr: '192.168.0.0/16', except: ['192.168.3.0/24', '192.168.4.0/24'] };
const block16x3 = { cidr: '192.168.0.0/16', except: ['192.168.3.0/24', '192.168.4.0/24', '192.168.5.0/24'] };
const nets16x3 = { nets: ['192.168.0.0/16'], notNets: block16x3.except };

export const POLICY_EXAMPLES: PolicyExample[] = [
  {
    n: 1,
    title: 'basic policy: ports 80 and named foo from a pod selector',
    input: k8sPolicy({
      podSelector: podLL2,
      ingress: [{ ports: [{ port: 80 }, { port: 'foo' }], from: [podKK2] }],
      policyTypes: ['Ingress'],
    }),
    output: calicoPolicy({
      ingress: [
        { action: 'Allow', protocol: 'TCP', source: { selector: K_K2 }, destination: { ports: [80, 'foo'] } },
      ],
      selector: LABEL_LABEL2,
      types: ['Ingress'],
    }),
  },
  {
    n: 2,
    title: 'rule with no ports: no protocol',
    input: k8sPolicy({ podSelector: podLL2, ingress: [{ from: [podKK2] }], policyTypes: ['Ingress'] }),
    output: calicoPolicy({
      ingress: [{ action: 'Allow', source: { selector: K_K2 } }],
      selector: LABEL_LABEL2,
      types: ['Ingress'],
    }),
  },
  {
    n: 3,
    title: 'a blank port means every TCP port and absorbs port 80',
    input: k8sPolicy({
      podSelector: podLL2,
      ingress: [{ ports: [{ port: 80 }, {}], from: [podKK2] }],
      policyTypes: ['Ingress'],
    }),
    output: calicoPolicy({
      ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: K_K2 } }],
      selector: LABEL_LABEL2,
      types: ['Ingress'],
    }),
  },
  {
    n: 4,
    title: 'egress with blank ports and a UDP rule to anywhere',
    input: k8sPolicy({
      podSelector: podLL2,
      egress: [{ ports: [{}, { port: 80 }], to: [podKK2] }, { ports: [{ port: 53, protocol: 'UDP' }] }],
      policyTypes: ['Egress'],
    }),
    output: calicoPolicy({
      egress: [
        { action: 'Allow', protocol: 'TCP', destination: { selector: K_K2 } },
        { action: 'Allow', protocol: 'UDP', destination: { ports: [53] } },
      ],
      selector: LABEL_LABEL2,
      types: ['Egress'],
    }),
  },
  {
    n: 5,
    title: 'an ingress rule with an invalid port is dropped and reported',
    input: k8sPolicy({
      podSelector: podLL2,
      ingress: [
        { ports: [{ port: 80 }, { port: 'foo' }], from: [podKK2] },
        { ports: [{ port: 80 }, { port: '-50:-1' }], from: [podKK2] },
      ],
      policyTypes: ['Ingress'],
    }),
    output: calicoPolicy({
      ingress: [
        { action: 'Allow', protocol: 'TCP', source: { selector: K_K2 }, destination: { ports: [80, 'foo'] } },
      ],
      selector: LABEL_LABEL2,
      types: ['Ingress'],
    }),
    badRules: [['ingress', 1, badPortReason('-50:-1')]],
  },
  {
    n: 5,
    title: 'egress rules with invalid ports are dropped and reported',
    input: k8sPolicy({
      podSelector: podLL2,
      egress: [
        { ports: [{ port: 80 }, { port: 'foo' }], to: [podKK2] },
        { ports: [{ port: 80 }, { port: '-50:-1' }], to: [podKK2] },
        { ports: [{ port: 80 }, { port: '-22:-3' }], to: [podKK2] },
      ],
      policyTypes: ['Ingress'],
    }),
    output: calicoPolicy({
      egress: [{ action: 'Allow', protocol: 'TCP', destination: { selector: K_K2, ports: [80, 'foo'] } }],
      selector: LABEL_LABEL2,
      types: ['Ingress'],
    }),
    badRules: [
      ['egress', 1, badPortReason('-50:-1')],
      ['egress', 2, badPortReason('-22:-3')],
    ],
  },
  {
    n: 6,
    title: 'no rules: default deny ingress for the selected pods',
    input: k8sPolicy({ podSelector: podL, policyTypes: ['Ingress'] }),
    output: calicoPolicy({ selector: LABEL, types: ['Ingress'] }),
  },
  {
    n: 7,
    title: 'default-deny egress',
    input: k8sPolicy({ podSelector: {}, policyTypes: ['Egress'] }, 'testPolicy'),
    output: calicoPolicy({ selector: ORCH, types: ['Egress'] }, 'testPolicy'),
  },
  {
    n: 8,
    title: 'two peers: one rule per peer',
    input: k8sPolicy({
      podSelector: podL,
      ingress: [
        {
          ports: [{}],
          from: [
            { podSelector: { matchLabels: { k: 'v' } } },
            { podSelector: { matchLabels: { k2: 'v2' } } },
          ],
        },
      ],
      policyTypes: ['Ingress'],
    }),
    output: calicoPolicy({
      ingress: [
        { action: 'Allow', protocol: 'TCP', source: { selector: `${ORCH} && k == 'v'` } },
        { action: 'Allow', protocol: 'TCP', source: { selector: `${ORCH} && k2 == 'v2'` } },
      ],
      selector: LABEL,
      types: ['Ingress'],
    }),
  },
  {
    n: 9,
    title: 'DoesNotExist expression in a peer',
    input: k8sPolicy({
      podSelector: podLL2,
      ingress: [
        {
          ports: [{ port: 80 }, { port: 'foo' }],
          from: [{ podSelector: { matchExpressions: [{ key: 'toast', operator: 'DoesNotExist' }] } }],
        },
      ],
      policyTypes: ['Ingress'],
    }),
    output: calicoPolicy({
      ingress: [
        {
          action: 'Allow',
          protocol: 'TCP',
          source: { selector: `${ORCH} && ! has(toast)` },
          destination: { ports: [80, 'foo'] },
        },
      ],
      selector: LABEL_LABEL2,
      types: ['Ingress'],
    }),
  },
  {
    n: 10,
    title: 'peers × ports: protocols sorted (TCP before UDP), peers inner',
    input: k8sPolicy({
      podSelector: podL,
      ingress: [
        {
          ports: [
            { port: 90, protocol: 'UDP' },
            { port: 80, protocol: 'TCP' },
          ],
          from: [
            { podSelector: { matchLabels: { k: 'v' } } },
            { podSelector: { matchLabels: { k2: 'v2' } } },
          ],
        },
      ],
      policyTypes: ['Ingress'],
    }),
    output: calicoPolicy({
      ingress: [
        {
          action: 'Allow',
          protocol: 'TCP',
          source: { selector: `${ORCH} && k == 'v'` },
          destination: { ports: [80] },
        },
        {
          action: 'Allow',
          protocol: 'TCP',
          source: { selector: `${ORCH} && k2 == 'v2'` },
          destination: { ports: [80] },
        },
        {
          action: 'Allow',
          protocol: 'UDP',
          source: { selector: `${ORCH} && k == 'v'` },
          destination: { ports: [90] },
        },
        {
          action: 'Allow',
          protocol: 'UDP',
          source: { selector: `${ORCH} && k2 == 'v2'` },
          destination: { ports: [90] },
        },
      ],
      selector: LABEL,
      types: ['Ingress'],
    }),
  },
  {
    n: 11,
    title: 'empty podSelector selects every pod of the namespace',
    input: k8sPolicy({ podSelector: {}, policyTypes: ['Ingress'] }),
    output: calicoPolicy({ selector: ORCH, types: ['Ingress'] }),
  },
  {
    n: 12,
    title: 'namespaceSelector: sorted terms, no orchestrator term',
    input: k8sPolicy({
      podSelector: podL,
      ingress: [
        { from: [{ namespaceSelector: { matchLabels: { namespaceRole: 'dev', namespaceFoo: 'bar' } } }] },
      ],
      policyTypes: ['Ingress'],
    }),
    output: calicoPolicy({
      ingress: [{ action: 'Allow', source: { selector: ORCH, namespaceSelector: NS_SEL } }],
      selector: LABEL,
      types: ['Ingress'],
    }),
  },
  {
    n: 13,
    title: 'nil namespaceSelector: the policy namespace only (no namespaceSelector)',
    input: k8sPolicy({
      podSelector: podL,
      ingress: [{ from: [{ namespaceSelector: null, podSelector: {} }] }],
      policyTypes: ['Ingress'],
    }),
    output: calicoPolicy({
      ingress: [{ action: 'Allow', source: { selector: ORCH } }],
      selector: LABEL,
      types: ['Ingress'],
    }),
  },
  {
    n: 14,
    title: 'empty namespaceSelector: all() namespaces',
    input: k8sPolicy({
      podSelector: podL,
      ingress: [{ from: [{ namespaceSelector: { matchLabels: {} } }] }],
      policyTypes: ['Ingress'],
    }),
    output: calicoPolicy({
      ingress: [{ action: 'Allow', source: { selector: ORCH, namespaceSelector: 'all()' } }],
      selector: LABEL,
      types: ['Ingress'],
    }),
  },
  {
    n: 15,
    title: 'pod and namespace selectors in one peer: one rule (AND)',
    input: k8sPolicy({
      podSelector: podL,
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { namespaceRole: 'dev', namespaceFoo: 'bar' } },
              podSelector: { matchLabels: { podA: 'B', podC: 'D' } },
            },
          ],
        },
      ],
      policyTypes: ['Ingress'],
    }),
    output: calicoPolicy({
      ingress: [
        {
          action: 'Allow',
          source: { selector: `${ORCH} && podA == 'B' && podC == 'D'`, namespaceSelector: NS_SEL },
        },
      ],
      selector: LABEL,
      types: ['Ingress'],
    }),
  },
  {
    n: 16,
    title: 'podSelector matchExpressions In',
    input: k8sPolicy({
      podSelector: { matchExpressions: [{ key: 'k', operator: 'In', values: ['v1', 'v2'] }] },
      policyTypes: ['Ingress'],
    }),
    output: calicoPolicy({ selector: `${ORCH} && k in { 'v1', 'v2' }`, types: ['Ingress'] }),
  },
  {
    n: 17,
    title: 'ports only (ingress): no source restriction',
    input: k8sPolicy({
      podSelector: {},
      ingress: [{ ports: [{ protocol: 'TCP', port: 80 }] }],
      policyTypes: ['Ingress'],
    }),
    output: calicoPolicy({
      ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [80] } }],
      selector: ORCH,
      types: ['Ingress'],
    }),
  },
  {
    n: 17,
    title: 'ports only (egress)',
    input: k8sPolicy({
      podSelector: {},
      egress: [{ ports: [{ protocol: 'TCP', port: 80 }] }],
      policyTypes: ['Egress'],
    }),
    output: calicoPolicy({
      egress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [80] } }],
      selector: ORCH,
      types: ['Egress'],
    }),
  },
  {
    n: 18,
    title: 'endPort range (ingress)',
    input: k8sPolicy({
      podSelector: {},
      ingress: [{ ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }],
      policyTypes: ['Ingress'],
    }),
    output: calicoPolicy({
      ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: ['32000:32768'] } }],
      selector: ORCH,
      types: ['Ingress'],
    }),
  },
  {
    n: 18,
    title: 'endPort range (egress)',
    input: k8sPolicy({
      podSelector: {},
      egress: [{ ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }],
      policyTypes: ['Egress'],
    }),
    output: calicoPolicy({
      egress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: ['32000:32768'] } }],
      selector: ORCH,
      types: ['Egress'],
    }),
  },
  {
    n: 19,
    title: 'ingress ipBlock with except',
    input: k8sPolicy({
      podSelector: {},
      ingress: [{ from: [{ ipBlock: block16 }] }],
      policyTypes: ['Ingress'],
    }),
    output: calicoPolicy({
      ingress: [{ action: 'Allow', source: { nets: ['192.168.0.0/16'], notNets: block16.except } }],
      selector: ORCH,
      types: ['Ingress'],
    }),
  },
  {
    n: 19,
    title: 'egress ipBlock with three excepts',
    input: k8sPolicy({
      podSelector: {},
      egress: [{ to: [{ ipBlock: block16x3 }] }],
      policyTypes: ['Egress'],
    }),
    output: calicoPolicy({
      egress: [{ action: 'Allow', destination: nets16x3 }],
      selector: ORCH,
      types: ['Egress'],
    }),
  },
  {
    n: 20,
    title: 'egress ipBlock with ports: one rule per protocol',
    input: k8sPolicy({
      podSelector: {},
      egress: [
        {
          ports: [
            { port: 90, protocol: 'UDP' },
            { port: 80, protocol: 'TCP' },
          ],
          to: [{ ipBlock: block16x3 }],
        },
      ],
      policyTypes: ['Egress'],
    }),
    output: calicoPolicy({
      egress: [
        {
          action: 'Allow',
          protocol: 'TCP',
          destination: { nets: nets16x3.nets, ports: [80], notNets: nets16x3.notNets },
        },
        {
          action: 'Allow',
          protocol: 'UDP',
          destination: { nets: nets16x3.nets, ports: [90], notNets: nets16x3.notNets },
        },
      ],
      selector: ORCH,
      types: ['Egress'],
    }),
  },
  {
    n: 21,
    title: 'ingress and egress rules; types listed Egress first come out Ingress first',
    input: k8sPolicy({
      podSelector: {},
      ingress: [{ from: [{ ipBlock: block16 }] }],
      egress: [
        {
          to: [
            {
              ipBlock: {
                cidr: '10.10.0.0/16',
                except: ['192.168.13.0/24', '192.168.14.0/24', '192.168.15.0/24'],
              },
            },
          ],
        },
      ],
      policyTypes: ['Egress', 'Ingress'],
    }),
    output: calicoPolicy({
      ingress: [{ action: 'Allow', source: { nets: ['192.168.0.0/16'], notNets: block16.except } }],
      egress: [
        {
          action: 'Allow',
          destination: {
            nets: ['10.10.0.0/16'],
            notNets: ['192.168.13.0/24', '192.168.14.0/24', '192.168.15.0/24'],
          },
        },
      ],
      selector: ORCH,
      types: ['Ingress', 'Egress'],
    }),
  },
  {
    n: 22,
    title: 'k8s <= 1.7: no policyTypes means [Ingress]',
    input: k8sPolicy({ podSelector: podLL2, ingress: [{ ports: [{ port: 80 }], from: [podKK2] }] }),
    output: calicoPolicy({
      ingress: [
        { action: 'Allow', protocol: 'TCP', source: { selector: K_K2 }, destination: { ports: [80] } },
      ],
      selector: LABEL_LABEL2,
      types: ['Ingress'],
    }),
  },
  {
    n: 22,
    title: 'k8s <= 1.7: no rules',
    input: k8sPolicy({ podSelector: podL }),
    output: calicoPolicy({ selector: LABEL, types: ['Ingress'] }),
  },
  {
    n: 22,
    title: 'k8s <= 1.7: multiple peers and ports',
    input: k8sPolicy({
      podSelector: podL,
      ingress: [
        {
          ports: [
            { port: 90, protocol: 'UDP' },
            { port: 80, protocol: 'TCP' },
          ],
          from: [
            { podSelector: { matchLabels: { k: 'v' } } },
            { podSelector: { matchLabels: { k2: 'v2' } } },
          ],
        },
      ],
    }),
    output: calicoPolicy({
      ingress: [
        {
          action: 'Allow',
          protocol: 'TCP',
          source: { selector: `${ORCH} && k == 'v'` },
          destination: { ports: [80] },
        },
        {
          action: 'Allow',
          protocol: 'TCP',
          source: { selector: `${ORCH} && k2 == 'v2'` },
          destination: { ports: [80] },
        },
        {
          action: 'Allow',
          protocol: 'UDP',
          source: { selector: `${ORCH} && k == 'v'` },
          destination: { ports: [90] },
        },
        {
          action: 'Allow',
          protocol: 'UDP',
          source: { selector: `${ORCH} && k2 == 'v2'` },
          destination: { ports: [90] },
        },
      ],
      selector: LABEL,
      types: ['Ingress'],
    }),
  },
  {
    n: 22,
    title: 'k8s <= 1.7: podSelector matchExpressions',
    input: k8sPolicy({
      podSelector: { matchExpressions: [{ key: 'k', operator: 'In', values: ['v1', 'v2'] }] },
    }),
    output: calicoPolicy({ selector: `${ORCH} && k in { 'v1', 'v2' }`, types: ['Ingress'] }),
  },
];
