/**
 * The policy calculation's input: the datastore resources Felix's policy pipeline reads (from the
 * syncer's mirror, all hosts' endpoints included: rule selectors match remote endpoints too) and
 * the effective configuration. Staged policies may be present; they are never enforced.
 */
import type { Resource } from '../../../api/index.js';

export interface FailsafePort {
  protocol: 'tcp' | 'udp' | 'sctp';
  port: number;
  /** Restricts the source (inbound) or destination (outbound) to this CIDR; only its family renders. */
  net?: string;
}

export interface PolicyConfig {
  /** Compile an IPv6 ruleset too. */
  ipv6: boolean;
  /** Workload interface prefixes (FelixConfiguration interfacePrefix), default [`cali`]. */
  interfacePrefixes: string[];
  /** What happens to workload → host traffic after the workload's egress policy (default Drop). */
  defaultEndpointToHostAction: 'Drop' | 'Accept' | 'Return';
  failsafeInbound: FailsafePort[];
  failsafeOutbound: FailsafePort[];
  /** Log action prefix (default `calico-packet`; %t %k %n %p substitutions). */
  logPrefix: string;
  allowVXLANPacketsFromWorkloads: boolean;
  allowIPIPPacketsFromWorkloads: boolean;
  vxlanPort: number;
}

export interface PolicyInput {
  nodeName: string;
  config: PolicyConfig;
  tiers: readonly Resource[];
  /** NetworkPolicy resources (Calico's, and converted Kubernetes ones named `knp.default.*`). */
  networkPolicies: readonly Resource[];
  globalNetworkPolicies: readonly Resource[];
  profiles: readonly Resource[];
  /** Every host's workload endpoints; those of `nodeName` get endpoint chains. */
  workloadEndpoints: readonly Resource[];
  /** Every host's host endpoints; those of `nodeName` get host endpoint chains. */
  hostEndpoints: readonly Resource[];
  networkSets: readonly Resource[];
  globalNetworkSets: readonly Resource[];
}
