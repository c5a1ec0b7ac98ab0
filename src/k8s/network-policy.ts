/**
 * Kubernetes NetworkPolicy → Calico v3 NetworkPolicy, as Calico's policy controller writes it in
 * etcd mode (spec policy-model.md §7): name `knp.default.<name>`, tier default, order 1000.
 */
import { portToJSON, type Port, type PortValue } from '../api/common/ports.js';
import { formatCIDR, maskCIDR, tryParseCIDR } from '../net/index.js';
import { API_VERSION } from '../api/types.js';
import type { NetworkPolicy, NetworkPolicySpec } from '../api/kinds/networkpolicy.js';
import type { EntityRule, Rule } from '../api/kinds/rule.js';
import type { PolicyType } from '../api/kinds/policy-common.js';
import { K8sConversionError, K8sInputError, type BadK8sRule } from './errors.js';
import { identify, isObject, listAt } from './input.js';
import { networkPolicyName } from './names.js';
import { k8sPortToCalico, RuleConversionProblem, simplifyPorts } from './ports.js';
import { K8sSelectorError, k8sSelectorToCalico } from './selector.js';
import type {
  K8sIPBlock,
  K8sNetworkPolicy,
  K8sNetworkPolicyEgressRule,
  K8sNetworkPolicyIngressRule,
  K8sNetworkPolicyPeer,
  K8sNetworkPolicyPort,
} from './types.js';

/** Every converted Kubernetes policy sits at this order in the default tier. */
export const K8S_POLICY_ORDER = 1000;

/** What one peer contributes to the far side of a rule. */
interface PeerFields {
  nets?: string[];
  selector?: string;
  namespaceSelector?: string;
  notNets?: string[];
}

/** A CIDR as Calico prints it (host bits cleared); invalid text fails the rule. */
function cidrText(text: unknown, what: string): string {
  const c = typeof text === 'string' ? tryParseCIDR(text) : undefined;
  if (!c) throw new RuleConversionProblem(`invalid ${what} ${JSON.stringify(text)}: must be a CIDR`);
  return formatCIDR(maskCIDR(c));
}

/**
 * An ipBlock becomes nets/notNets. Calico leaves both empty when a CIDR does not parse, which
 * turns the peer into "anywhere"; such a rule is dropped and reported here instead.
 */
function ipBlockFields(block: K8sIPBlock): PeerFields {
  if (!isObject(block)) throw new RuleConversionProblem('ipBlock must be an object');
  const nets = [cidrText(block.cidr, 'ipBlock cidr')];
  const except = block.except ?? [];
  if (!Array.isArray(except)) throw new RuleConversionProblem('ipBlock except must be a list');
  const notNets = except.map((e) => cidrText(e, 'ipBlock except'));
  return notNets.length > 0 ? { nets, notNets } : { nets };
}

function selectorOrProblem(fn: () => string, where: string): string {
  try {
    return fn();
  } catch (e) {
    if (e instanceof K8sSelectorError) {
      const at = e.path ? `${where}.${e.path}` : where;
      throw new RuleConversionProblem(`invalid ${at}: ${e.reason}`);
    }
    throw e;
  }
}

function peerFields(peer: K8sNetworkPolicyPeer | undefined): PeerFields {
  if (peer === undefined) return {};
  if (!isObject(peer)) throw new RuleConversionProblem('peer must be an object');
  if (peer.ipBlock) return ipBlockFields(peer.ipBlock);
  const selector = selectorOrProblem(
    () => k8sSelectorToCalico(peer.podSelector, { orchestrator: true }),
    'podSelector',
  );
  const namespaceSelector = selectorOrProblem(
    () => k8sSelectorToCalico(peer.namespaceSelector, { orchestrator: false }),
    'namespaceSelector',
  );
  return namespaceSelector ? { selector, namespaceSelector } : { selector };
}

/**
 * Protocol → ports (undefined = all ports of it); the key '' (no protocol) when the rule has no
 * ports at all. An "all ports" entry absorbs the other ports of its protocol.
 */
function groupPorts(ports: K8sNetworkPolicyPort[]): Map<string, Port[] | undefined> {
  const byProtocol = new Map<string, Port[] | undefined>();
  if (ports.length === 0) return byProtocol.set('', undefined);
  for (const p of ports) {
    const { protocol, ports: list } = k8sPortToCalico(p);
    if (list === undefined) byProtocol.set(protocol, undefined);
    else if (!byProtocol.has(protocol)) byProtocol.set(protocol, [...list]);
    else byProtocol.get(protocol)?.push(...list);
  }
  return byProtocol;
}

function entity(fields: PeerFields, ports: PortValue[] | undefined): EntityRule | undefined {
  // Calico's EntityRule field order; empty fields are left out as Calico's stored JSON does.
  const e: EntityRule = {};
  if (fields.nets) e.nets = fields.nets;
  if (fields.selector) e.selector = fields.selector;
  if (fields.namespaceSelector) e.namespaceSelector = fields.namespaceSelector;
  if (ports && ports.length > 0) e.ports = ports;
  if (fields.notNets) e.notNets = fields.notNets;
  return Object.keys(e).length > 0 ? e : undefined;
}

/**
 * One Kubernetes rule → Calico Allow rules: one per protocol (sorted) × peer (in order). Ingress
 * rules match the peer as source and the ports as destination; egress rules match both on the
 * destination. Throws RuleConversionProblem when the rule cannot be converted.
 */
function convertRule(
  peers: K8sNetworkPolicyPeer[] | null | undefined,
  ports: K8sNetworkPolicyPort[] | null | undefined,
  direction: 'ingress' | 'egress',
): Rule[] {
  if (peers !== undefined && peers !== null && !Array.isArray(peers)) {
    throw new RuleConversionProblem(`${direction === 'ingress' ? 'from' : 'to'} must be a list`);
  }
  if (ports !== undefined && ports !== null && !Array.isArray(ports)) {
    throw new RuleConversionProblem('ports must be a list');
  }
  const byProtocol = groupPorts(ports ?? []);
  const peerList: (K8sNetworkPolicyPeer | undefined)[] = peers && peers.length > 0 ? peers : [undefined];
  const fields = peerList.map(peerFields);

  const rules: Rule[] = [];
  for (const protocol of [...byProtocol.keys()].sort()) {
    const list = byProtocol.get(protocol);
    const portValues = list ? simplifyPorts(list).map(portToJSON) : undefined;
    for (const f of fields) {
      const rule: Rule = { action: 'Allow' };
      if (protocol) rule.protocol = protocol;
      const source = direction === 'ingress' ? entity(f, undefined) : undefined;
      const destination = direction === 'ingress' ? entity({}, portValues) : entity(f, portValues);
      if (source) rule.source = source;
      if (destination) rule.destination = destination;
      rules.push(rule);
    }
  }
  return rules;
}

/** Ingress then Egress, each if listed; none listed (pre-1.8 policies) means [Ingress]. */
function policyTypes(listed: string[]): PolicyType[] {
  const types: PolicyType[] = [];
  if (listed.includes('Ingress')) types.push('Ingress');
  if (listed.includes('Egress')) types.push('Egress');
  return types.length > 0 ? types : ['Ingress'];
}

/**
 * Converts a Kubernetes NetworkPolicy into the Calico v3 NetworkPolicy that Calico's policy
 * controller stores in etcd mode:
 *
 * - metadata: `{ name: 'knp.default.<name>', namespace }` (namespace `default` when absent);
 * - spec: tier `default`, order 1000, selector `projectcalico.org/orchestrator == 'k8s'` plus the
 *   podSelector terms, types from policyTypes (Ingress before Egress; none listed → [Ingress]);
 * - every k8s rule becomes protocol × peer Allow rules (see convertRule); empty rule lists are
 *   left out.
 *
 * Returns the policy. A rule that cannot be converted (a bad port, protocol, CIDR or peer
 * selector) is left out while the others are kept; if any were left out this throws
 * K8sConversionError, whose `.policy` is the policy with the good rules (write it, as Calico
 * does) and whose `.badRules` says which rules were dropped and why. A malformed object
 * (no metadata.name, a podSelector that cannot be converted, lists that are not lists) throws
 * K8sInputError naming the field.
 */
export function convertNetworkPolicy(np: K8sNetworkPolicy): NetworkPolicy {
  const { name, namespace, ref } = identify(np, 'NetworkPolicy', true);
  const spec = np.spec ?? {};
  if (!isObject(spec)) throw new K8sInputError('spec', spec, 'must be an object', ref);

  let selector: string;
  try {
    selector = k8sSelectorToCalico(spec.podSelector, { orchestrator: true });
  } catch (e) {
    if (!(e instanceof K8sSelectorError)) throw e;
    const path = e.path && e.path !== 'selector' ? `spec.podSelector.${e.path}` : 'spec.podSelector';
    throw new K8sInputError(path, e.value, e.reason, ref);
  }

  const badRules: BadK8sRule[] = [];
  const convertAll = <R extends K8sNetworkPolicyIngressRule | K8sNetworkPolicyEgressRule>(
    direction: 'ingress' | 'egress',
    rules: R[],
    peersOf: (r: R) => K8sNetworkPolicyPeer[] | null | undefined,
  ): Rule[] =>
    rules.flatMap((rule, index) => {
      try {
        if (!isObject(rule)) throw new RuleConversionProblem('rule must be an object');
        return convertRule(peersOf(rule), rule.ports, direction);
      } catch (e) {
        if (!(e instanceof RuleConversionProblem)) throw e;
        badRules.push({ direction, index, rule, reason: `k8s rule couldn't be converted: ${e.message}` });
        return [];
      }
    });
  const ingress = convertAll('ingress', listAt(spec.ingress, 'spec.ingress', ref), (r) => r.from);
  const egress = convertAll('egress', listAt(spec.egress, 'spec.egress', ref), (r) => r.to);

  const out: NetworkPolicySpec = { tier: 'default', order: K8S_POLICY_ORDER };
  if (ingress.length > 0) out.ingress = ingress;
  if (egress.length > 0) out.egress = egress;
  out.selector = selector;
  out.types = policyTypes(listAt(spec.policyTypes, 'spec.policyTypes', ref));

  const policy: NetworkPolicy = {
    apiVersion: API_VERSION,
    kind: 'NetworkPolicy',
    metadata: { name: networkPolicyName(name), namespace },
    spec: out,
  };
  if (badRules.length > 0) throw new K8sConversionError(policy, badRules, name);
  return policy;
}
