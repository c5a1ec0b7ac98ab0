/**
 * Synthetic policy inputs for the policy benchmark: N local workload endpoints spread over 10
 * namespaces and 50 apps, and P namespaced policies, each selecting one app (about N/50
 * endpoints) and allowing one TCP port from the next app, in and out. Every endpoint ends up with
 * P/50 policies per direction, every policy with a selector set of N/50 members.
 */
import type { Resource } from '../src/api/index.js';
import type { PolicyConfig, PolicyInput } from '../src/felix/calc/policy/index.js';

export const BENCH_NODE = 'bench';

export const BENCH_CONFIG: PolicyConfig = {
  ipv6: false,
  interfacePrefixes: ['cali'],
  defaultEndpointToHostAction: 'Return',
  failsafeInbound: [],
  failsafeOutbound: [],
  logPrefix: 'calico-packet',
  allowVXLANPacketsFromWorkloads: false,
  allowIPIPPacketsFromWorkloads: false,
  vxlanPort: 4789,
};

const APPS = 50;
const NAMESPACES = 10;

/** A v3 resource as the syncer hands it to the calculator. */
export function res(
  kind: string,
  name: string,
  namespace: string | undefined,
  spec: object,
  labels = {},
): Resource {
  return {
    apiVersion: 'projectcalico.org/v3',
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}), labels, resourceVersion: '1' },
    spec,
  } as Resource;
}

export function benchEndpoint(i: number): Resource {
  const app = i % APPS;
  const ns = `ns-${app % NAMESPACES}`;
  const iface = `calib${i.toString(16).padStart(6, '0')}`;
  return res(
    'WorkloadEndpoint',
    `${BENCH_NODE}-k8s-pod${i}-eth0`,
    ns,
    {
      node: BENCH_NODE,
      orchestrator: 'k8s',
      pod: `pod${i}`,
      endpoint: 'eth0',
      interfaceName: iface,
      ipNetworks: [`10.${200 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`],
      profiles: [`kns.${ns}`],
    },
    { app: `app-${app}`, 'projectcalico.org/namespace': ns, 'projectcalico.org/orchestrator': 'k8s' },
  );
}

export function benchPolicy(i: number, port = 1000 + (i % 500)): Resource {
  const app = i % APPS;
  const ns = `ns-${app % NAMESPACES}`;
  const from = `app-${(app + NAMESPACES) % APPS}`;
  return res('NetworkPolicy', `default.p${i}`, ns, {
    tier: 'default',
    order: i,
    selector: `app == 'app-${app}'`,
    types: ['Ingress', 'Egress'],
    ingress: [
      {
        action: 'Allow',
        protocol: 'TCP',
        source: { selector: `app == '${from}'` },
        destination: { ports: [port] },
      },
    ],
    egress: [
      { action: 'Allow', protocol: 'TCP', destination: { selector: `app == '${from}'`, ports: [port] } },
    ],
  });
}

export function benchInput(policies: number, endpoints: number): PolicyInput {
  const namespaces = Array.from({ length: NAMESPACES }, (_, k) => `ns-${k}`);
  return {
    nodeName: BENCH_NODE,
    config: BENCH_CONFIG,
    tiers: [],
    networkPolicies: Array.from({ length: policies }, (_, i) => benchPolicy(i)),
    globalNetworkPolicies: [],
    profiles: namespaces.map((ns) =>
      res('Profile', `kns.${ns}`, undefined, {
        ingress: [{ action: 'Allow' }],
        egress: [{ action: 'Allow' }],
        labelsToApply: { 'pcns.projectcalico.org/name': ns },
      }),
    ),
    workloadEndpoints: Array.from({ length: endpoints }, (_, i) => benchEndpoint(i)),
    hostEndpoints: [],
    networkSets: [],
    globalNetworkSets: [],
  };
}
