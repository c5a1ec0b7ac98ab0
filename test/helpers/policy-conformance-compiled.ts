/**
 * The conformance topology's policy as Calico resources, compiled by the real compiler: the same
 * verdicts as the handcrafted rulesets (baseExpectations), reached through Felix's own chains.
 * - Namespace profile `kns.conf`: allow all (C has no policy, so it accepts anything).
 * - `conf/only-replies` selects A (`app == 'client'`): Ingress with no rules, so only replies reach A.
 * - `conf/allow-to-b` selects B: TCP 8080 and UDP 5353 from `allowed == 'true'` pods, TCP `http`
 *   (B's named port 7070) from clients; everything else to B denied.
 * - D's interface is no workload endpoint, so it is an unknown interface.
 */
import type { Resource } from '../../src/api/index.js';
import {
  compilePolicy,
  DEFAULT_POLICY_CONFIG,
  type PolicyInput,
  type PolicyRulesets,
} from '../../src/felix/calc/policy/index.js';
import { pod, type ConformanceState } from './policy-conformance-rulesets.js';

const NS = 'conf';
const NODE = 'conformance-node';

function res(
  kind: string,
  name: string,
  spec: object,
  namespace?: string,
  labels?: Record<string, string>,
): Resource {
  const r: Resource = {
    apiVersion: 'projectcalico.org/v3',
    kind,
    metadata: { name },
    spec: spec as Record<string, unknown>,
  };
  if (namespace) r.metadata.namespace = namespace;
  if (labels) r.metadata.labels = labels;
  return r;
}

function workload(label: string, app: string, allowed: boolean, ports?: object[]): Resource {
  const p = pod(label);
  return res(
    'WorkloadEndpoint',
    `${NODE}-k8s-${label}-eth0`,
    {
      orchestrator: 'k8s',
      node: NODE,
      pod: label,
      endpoint: 'eth0',
      interfaceName: p.iface,
      ipNetworks: [`${p.ip4}/32`, `${p.ip6}/128`],
      profiles: [`kns.${NS}`],
      ...(ports ? { ports } : {}),
    },
    NS,
    {
      'projectcalico.org/namespace': NS,
      'projectcalico.org/orchestrator': 'k8s',
      app,
      ...(allowed ? { allowed: 'true' } : {}),
    },
  );
}

export function conformanceInput(state: ConformanceState = {}): PolicyInput {
  const allowed = state.allowed ?? ['a'];
  const fromAllowed = { selector: "allowed == 'true'" };
  return {
    nodeName: NODE,
    config: {
      ...DEFAULT_POLICY_CONFIG,
      ipv6: state.ipv6 !== false,
      interfacePrefixes: ['cali'],
      failsafeInbound: [...DEFAULT_POLICY_CONFIG.failsafeInbound],
      failsafeOutbound: [...DEFAULT_POLICY_CONFIG.failsafeOutbound],
    },
    tiers: [],
    networkPolicies: [
      res('NetworkPolicy', 'only-replies', { selector: "app == 'client'", types: ['Ingress'] }, NS),
      res(
        'NetworkPolicy',
        'allow-to-b',
        {
          selector: "app == 'server'",
          types: ['Ingress'],
          ingress: [
            { action: 'Allow', protocol: 'TCP', source: fromAllowed, destination: { ports: [8080] } },
            { action: 'Allow', protocol: 'UDP', source: fromAllowed, destination: { ports: [5353] } },
            {
              action: 'Allow',
              protocol: 'TCP',
              source: { selector: "app == 'client'" },
              destination: { ports: ['http'] },
            },
          ],
        },
        NS,
      ),
    ],
    globalNetworkPolicies: [],
    profiles: [
      res('Profile', `kns.${NS}`, {
        ingress: [{ action: 'Allow' }],
        egress: [{ action: 'Allow' }],
        labelsToApply: { 'pcns.projectcalico.org/name': NS },
      }),
    ],
    workloadEndpoints: [
      workload('a', 'client', allowed.includes('a')),
      workload('b', 'server', allowed.includes('b'), [{ name: 'http', protocol: 'TCP', port: 7070 }]),
      workload('c', 'other', allowed.includes('c')),
    ],
    hostEndpoints: [],
    networkSets: [],
    globalNetworkSets: [],
  };
}

export function compiledRulesets(state: ConformanceState = {}): PolicyRulesets {
  return compilePolicy(conformanceInput(state));
}
