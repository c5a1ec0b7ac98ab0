/**
 * Policy rules (Rule, EntityRule and their parts), shared by NetworkPolicy, GlobalNetworkPolicy,
 * the staged policies and Profile: types, decoding schema, rule-level validation, normalisation.
 */
import { joinPath, type Checker } from '../check.js';
import { S, type Schema } from '../schema.js';
import { formatCIDR, maskCIDR, tryParseCIDR, isStrictlyMasked, type IPFamily } from '../../net/index.js';
import { normalisePort, parsePort, validatePort, type Port, type PortValue } from '../common/ports.js';
import {
  isICMPv4,
  isICMPv6,
  normaliseProtocol,
  protocolNumber,
  protocolProblem,
  supportsPorts,
} from '../common/protocol.js';
import { checkSelector } from '../common/selector-field.js';
import { isDNS1123Subdomain } from '../common/names.js';
import { checkAnnotations } from '../common/labels.js';

export const RULE_ACTIONS = ['Allow', 'Deny', 'Log', 'Pass'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

export interface ICMPFields {
  type?: number;
  code?: number;
}

export interface HTTPPath {
  exact?: string;
  prefix?: string;
}

export interface HTTPMatch {
  methods?: string[];
  paths?: HTTPPath[];
}

export interface ServiceMatch {
  name?: string;
  namespace?: string;
}

export interface ServiceAccountMatch {
  names?: string[];
  selector?: string;
}

export interface EntityRule {
  nets?: string[];
  selector?: string;
  namespaceSelector?: string;
  services?: ServiceMatch;
  ports?: PortValue[];
  notNets?: string[];
  notSelector?: string;
  notPorts?: PortValue[];
  serviceAccounts?: ServiceAccountMatch;
}

export interface RuleMetadata {
  annotations?: Record<string, string>;
}

export interface Rule {
  action: RuleAction;
  ipVersion?: 4 | 6;
  protocol?: string | number;
  icmp?: ICMPFields;
  notProtocol?: string | number;
  notICMP?: ICMPFields;
  source?: EntityRule;
  destination?: EntityRule;
  http?: HTTPMatch;
  metadata?: RuleMetadata;
}

// Field order follows Calico's Go structs: JSON output uses schema order.
const icmpSchema = S.object({ type: S.int, code: S.int });

export const entityRuleSchema: Schema = S.object({
  nets: S.stringList,
  selector: S.string,
  namespaceSelector: S.string,
  services: S.object({ name: S.string, namespace: S.string }),
  ports: S.array(S.intOrString),
  notNets: S.stringList,
  notSelector: S.string,
  notPorts: S.array(S.intOrString),
  serviceAccounts: S.object({ names: S.stringList, selector: S.string }),
});

export const ruleSchema: Schema = S.object({
  action: S.string,
  ipVersion: S.int,
  protocol: S.intOrString,
  icmp: icmpSchema,
  notProtocol: S.intOrString,
  notICMP: icmpSchema,
  source: entityRuleSchema,
  destination: entityRuleSchema,
  http: S.object({
    methods: S.stringList,
    paths: S.array(S.object({ exact: S.string, prefix: S.string })),
  }),
  metadata: S.object({ annotations: S.stringMap }),
});

export const MAX_RULES = 1024;
export const MAX_NETS = 256;
export const MAX_PORTS = 50;
export const MAX_HTTP_ITEMS = 20;
export const MAX_SELECTOR_LENGTH = 1024;

export const PROTOCOL_PORTS_MSG = 'rules that specify ports must set protocol to TCP or UDP or SCTP';
export const NUMERIC_PORTS_MSG =
  'rules with numeric port or port range must set protocol to TCP or UDP or SCTP';
export const PROTOCOL_ICMP_MSG = 'rules that specify ICMP fields must set protocol to ICMP';
export const CATCH_ALL_NEGATION_MSG =
  'catch-all CIDR in negation creates logical contradiction (matches no traffic)';
export const PROTOCOL_HTTP_MSG = 'rules that specify HTTP fields must set protocol to TCP or empty';

const isSet = (v: unknown): boolean => v !== undefined && v !== null;
const nonEmpty = (v: unknown): boolean =>
  typeof v === 'string' ? v !== '' : Array.isArray(v) ? v.length > 0 : isSet(v);

function checkICMP(c: Checker, path: string, icmp: ICMPFields): void {
  const { type, code } = icmp;
  if (isSet(type)) {
    c.expect(
      Number.isInteger(type) && (type as number) >= 0 && (type as number) <= 254,
      joinPath(path, 'type'),
      type,
      'ICMP type must be between 0 and 254',
    );
  }
  if (isSet(code)) {
    c.expect(
      Number.isInteger(code) && (code as number) >= 0 && (code as number) <= 255,
      joinPath(path, 'code'),
      code,
      'ICMP code must be between 0 and 255',
    );
    // The kernel can only match a code together with a type.
    if (!isSet(type)) c.fail(joinPath(path, 'code'), code, 'ICMP code specified without an ICMP type');
  }
}

function checkHTTP(c: Checker, path: string, http: HTTPMatch): void {
  const methods = http.methods ?? [];
  const mpath = joinPath(path, 'methods');
  c.expect(methods.length <= MAX_HTTP_ITEMS, mpath, methods, `too many methods (max ${MAX_HTTP_ITEMS})`);
  if (new Set(methods).size !== methods.length) {
    c.fail(mpath, methods, `Invalid methods (duplicates): [${methods.join(' ')}]`);
  }
  const paths = http.paths ?? [];
  const ppath = joinPath(path, 'paths');
  c.expect(paths.length <= MAX_HTTP_ITEMS, ppath, paths, `too many paths (max ${MAX_HTTP_ITEMS})`);
  paths.forEach((p, i) => {
    const at = joinPath(ppath, i);
    if (p.exact && p.prefix) {
      c.fail(at, p, "Invalid path match. Both 'exact' and 'prefix' are set");
      return;
    }
    const v = p.exact || p.prefix;
    if (!v) {
      c.fail(at, p, "Invalid path match. Either 'exact' or 'prefix' must be set");
      return;
    }
    if (!v.startsWith('/') || /[? #]/.test(v)) {
      c.fail(at, v, `Invalid path ${v}. (must start with \`/\` and not contain \`?\` or \`#\``);
    }
  });
}

/** Selectors of an EntityRule; global() is only meaningful, alone, in namespaceSelector. */
function checkEntitySelectors(c: Checker, path: string, e: EntityRule): void {
  const opts = { maxLength: MAX_SELECTOR_LENGTH };
  if (isSet(e.selector)) checkSelector(c, joinPath(path, 'selector'), e.selector, opts);
  if (isSet(e.notSelector)) checkSelector(c, joinPath(path, 'notSelector'), e.notSelector, opts);
  if (isSet(e.namespaceSelector)) {
    checkSelector(c, joinPath(path, 'namespaceSelector'), e.namespaceSelector, {
      ...opts,
      allowGlobal: true,
    });
  }
  if (isSet(e.serviceAccounts?.selector)) {
    checkSelector(c, joinPath(path, 'serviceAccounts.selector'), e.serviceAccounts?.selector, opts);
  }
}

function checkServices(c: Checker, path: string, e: EntityRule): void {
  const svc = e.services;
  if (!svc) return;
  const at = joinPath(path, 'services');
  if (!svc.name) c.fail(joinPath(at, 'name'), svc.name, 'must specify a service name');
  else if (!isDNS1123Subdomain(svc.name)) c.fail(joinPath(at, 'name'), svc.name, 'invalid service name');
  if (svc.namespace && !isDNS1123Subdomain(svc.namespace)) {
    c.fail(joinPath(at, 'namespace'), svc.namespace, 'invalid namespace name');
  }
  if (nonEmpty(e.namespaceSelector)) {
    c.fail(at, svc, 'cannot specify NamespaceSelector and Services on the same rule');
  }
  if (nonEmpty(e.selector) || nonEmpty(e.notSelector)) {
    c.fail(at, svc, 'cannot specify Selector/NotSelector and Services on the same rule');
  }
  if (isSet(e.serviceAccounts)) {
    c.fail(at, svc, 'cannot specify ServiceAccounts and Services on the same rule');
  }
  if (nonEmpty(e.nets) || nonEmpty(e.notNets)) {
    c.fail(at, svc, 'cannot specify Nets/NotNets and Services on the same rule');
  }
}

/**
 * Ports of one list: each must decode and be valid; with no protocol only named ports are allowed
 * (they match whatever protocol the named port has); with a protocol, it must carry ports.
 */
function checkPorts(c: Checker, path: string, ports: PortValue[], rule: Rule): void {
  c.expect(ports.length <= MAX_PORTS, path, ports, `too many ports (max ${MAX_PORTS})`);
  const protocolValid = isSet(rule.protocol) && protocolProblem(rule.protocol) === undefined;
  if (protocolValid && !supportsPorts(rule.protocol) && ports.length > 0) {
    c.fail(path, ports, PROTOCOL_PORTS_MSG);
  }
  ports.forEach((v, i) => {
    const at = joinPath(path, i);
    let p: Port;
    try {
      p = parsePort(v);
    } catch (e) {
      c.fail(at, v, (e as Error).message);
      return;
    }
    const problem = validatePort(p);
    if (problem) c.fail(at, v, problem);
    else if (!isSet(rule.protocol) && p.portName === '') c.fail(at, v, NUMERIC_PORTS_MSG);
  });
}

/**
 * Every CIDR in nets/notNets must parse with a prefix and be strictly masked; all of them, across
 * source and destination, must be one family that agrees with ipVersion.
 */
function checkNets(c: Checker, rulePath: string, rule: Rule): void {
  const seen = new Set<IPFamily>();
  for (const side of ['source', 'destination'] as const) {
    for (const list of ['nets', 'notNets'] as const) {
      const nets = rule[side]?.[list];
      if (!nets) continue;
      const path = joinPath(joinPath(rulePath, side), list);
      c.expect(nets.length <= MAX_NETS, path, nets, `too many networks (max ${MAX_NETS})`);
      const families = new Set<IPFamily>();
      nets.forEach((text, i) => {
        const at = joinPath(path, i);
        const cidr = typeof text === 'string' ? tryParseCIDR(text) : undefined;
        if (!cidr) {
          c.fail(at, text, 'invalid CIDR');
          return;
        }
        families.add(cidr.family);
        if (!isStrictlyMasked(cidr)) {
          c.fail(at, text, `CIDR is not strictly masked (did you mean ${formatCIDR(maskCIDR(cidr))}?)`);
        } else if (list === 'notNets' && cidr.prefix === 0) {
          c.fail(at, text, CATCH_ALL_NEGATION_MSG);
        }
      });
      const v = rule.ipVersion;
      if (isSet(v) && [...families].some((f) => f !== v)) {
        c.fail(path, nets, "rule IP version doesn't match CIDR version");
      }
      const mixed = families.size > 1 || [...families].some((f) => seen.size > 0 && !seen.has(f));
      if (mixed) c.fail(path, nets, 'rule contains both IPv4 and IPv6 CIDRs');
      families.forEach((f) => seen.add(f));
    }
  }
}

function checkEntityRule(c: Checker, path: string, e: EntityRule, rule: Rule): void {
  checkEntitySelectors(c, path, e);
  checkServices(c, path, e);
  if (e.ports) checkPorts(c, joinPath(path, 'ports'), e.ports, rule);
  if (e.notPorts) checkPorts(c, joinPath(path, 'notPorts'), e.notPorts, rule);
}

/** All checks that depend only on the rule itself (Calico's validateRule and friends). */
export function checkRule(c: Checker, path: string, rule: Rule): void {
  if (!isSet(rule.action) || rule.action === ('' as RuleAction)) {
    c.fail(joinPath(path, 'action'), rule.action, 'action must be specified (Allow, Deny, Log or Pass)');
  } else {
    c.expect(
      (RULE_ACTIONS as readonly string[]).includes(rule.action),
      joinPath(path, 'action'),
      rule.action,
      'action must be one of Allow, Deny, Log, Pass',
    );
  }
  if (isSet(rule.ipVersion)) {
    c.expect(
      rule.ipVersion === 4 || rule.ipVersion === 6,
      joinPath(path, 'ipVersion'),
      rule.ipVersion,
      'ipVersion must be 4 or 6',
    );
  }
  for (const f of ['protocol', 'notProtocol'] as const) {
    if (!isSet(rule[f])) continue;
    const problem = protocolProblem(rule[f]);
    if (problem) c.fail(joinPath(path, f), rule[f], problem);
  }

  if (rule.icmp) checkICMP(c, joinPath(path, 'icmp'), rule.icmp);
  if (rule.notICMP) checkICMP(c, joinPath(path, 'notICMP'), rule.notICMP);
  // Calico checks only icmp here; notICMP is held to the same rule because the kernel's ICMP
  // type/code matches need the rule's protocol to be ICMP: on any other protocol the rendered
  // ruleset would fail to load (and a negated type would otherwise match every TCP packet).
  const icmpProtocol = isICMPv4(rule.protocol) || isICMPv6(rule.protocol);
  for (const f of ['icmp', 'notICMP'] as const) {
    if (rule[f] && !icmpProtocol) c.fail(joinPath(path, f), rule[f], PROTOCOL_ICMP_MSG);
  }
  if (isSet(rule.ipVersion)) {
    if ((isICMPv4(rule.protocol) || isICMPv4(rule.notProtocol)) && rule.ipVersion !== 4) {
      c.fail(joinPath(path, 'ipVersion'), rule.ipVersion, "must set ipversion to '4' with protocol icmp");
    }
    if ((isICMPv6(rule.protocol) || isICMPv6(rule.notProtocol)) && rule.ipVersion !== 6) {
      c.fail(joinPath(path, 'ipVersion'), rule.ipVersion, "must set ipversion to '6' with protocol icmpv6");
    }
  }

  if (rule.source) checkEntityRule(c, joinPath(path, 'source'), rule.source, rule);
  if (rule.destination) checkEntityRule(c, joinPath(path, 'destination'), rule.destination, rule);
  checkNets(c, path, rule);

  const dst = rule.destination;
  if (dst?.services) {
    if (nonEmpty(dst.ports)) {
      c.fail(joinPath(path, 'destination.ports'), dst.ports, 'cannot specify ports with a service selector');
    }
    if (nonEmpty(dst.notPorts)) {
      c.fail(
        joinPath(path, 'destination.notPorts'),
        dst.notPorts,
        'cannot specify notports with a service selector',
      );
    }
  }

  if (rule.http) {
    checkHTTP(c, joinPath(path, 'http'), rule.http);
    if (rule.action !== 'Allow') c.fail(joinPath(path, 'http'), rule.http, 'only valid for Allow rules');
    if (isSet(rule.protocol) && protocolNumber(rule.protocol) !== 6) {
      c.fail(joinPath(path, 'protocol'), rule.protocol, PROTOCOL_HTTP_MSG);
    }
  }

  if (rule.metadata?.annotations) {
    checkAnnotations(c, joinPath(path, 'metadata.annotations'), rule.metadata.annotations);
  }
}

export type RuleDirection = 'ingress' | 'egress';

export interface RuleListOptions {
  /** Policies (not Profiles) restrict where services and HTTP matches may appear. */
  policy?: 'namespaced' | 'global';
}

/** Checks `spec.ingress` or `spec.egress`: the count, each rule, and direction-specific limits. */
export function checkRules(
  c: Checker,
  path: string,
  rules: Rule[] | undefined,
  direction: RuleDirection,
  opts: RuleListOptions = {},
): void {
  if (!rules) return;
  c.expect(rules.length <= MAX_RULES, path, undefined, `too many rules (max ${MAX_RULES})`);
  rules.forEach((rule, i) => {
    const at = joinPath(path, i);
    if (rule === null || typeof rule !== 'object') {
      c.fail(at, rule, 'rule must be an object');
      return;
    }
    checkRule(c, at, rule);
    if (!opts.policy) return;
    if (direction === 'egress') {
      if (rule.source?.services) {
        c.fail(joinPath(at, 'source.services'), rule.source.services, 'not allowed in egress rule source');
      }
      if (rule.http) c.fail(joinPath(at, 'http'), rule.http, 'not allowed in egress rule');
    } else if (rule.destination?.services) {
      c.fail(
        joinPath(at, 'destination.services'),
        rule.destination.services,
        'not allowed in ingress rule destination',
      );
    }
    // A global policy has no namespace of its own to resolve a bare service name in.
    const svc = direction === 'egress' ? rule.destination?.services : rule.source?.services;
    if (opts.policy === 'global' && svc && !svc.namespace) {
      const side = direction === 'egress' ? 'destination' : 'source';
      c.fail(joinPath(at, `${side}.services.namespace`), svc.namespace, 'must specify a namespace');
    }
  });
}

function normaliseEntity(e: EntityRule | undefined): EntityRule | undefined {
  if (!e || typeof e !== 'object') return e;
  const out: EntityRule = { ...e };
  if (Array.isArray(out.ports)) out.ports = out.ports.map(normalisePort);
  if (Array.isArray(out.notPorts)) out.notPorts = out.notPorts.map(normalisePort);
  // Calico omits an empty source/destination when it writes the rule back.
  return Object.values(out).some((v) => v !== undefined) ? out : undefined;
}

/**
 * The stored form of a rule, as Calico's decode/encode round trip leaves it: protocol names in
 * canonical case, numeric strings as numbers ("6" → 6, "80" → 80), empty source/destination
 * dropped. Invalid values are kept so validation can report them.
 */
export function normaliseRule(rule: Rule): Rule {
  if (!rule || typeof rule !== 'object') return rule;
  const out: Rule = { ...rule };
  for (const f of ['protocol', 'notProtocol'] as const) {
    const v = out[f];
    if (typeof v === 'string' || typeof v === 'number') out[f] = normaliseProtocol(v);
  }
  for (const side of ['source', 'destination'] as const) {
    if (side in out) {
      const e = normaliseEntity(out[side]);
      if (e === undefined) delete out[side];
      else out[side] = e;
    }
  }
  return out;
}

export function normaliseRules(rules: Rule[] | undefined): Rule[] | undefined {
  return Array.isArray(rules) ? rules.map(normaliseRule) : rules;
}
