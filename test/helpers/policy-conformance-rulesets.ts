/**
 * Handcrafted rulesets (the compiler's IR) for the policy conformance suite, shaped like Felix's
 * output for four pods: A, B, C are known workloads, D's interface has no dispatch entry.
 * - A: ingress only for replies (established flows), so a working A → B proves conntrack.
 * - B: ingress by policy `cali-pi-conformance`: TCP 8080 and UDP 5353 from the set
 *   `cali4Xs:conformanceAllowToB0000` (A at first), TCP 7070 as a named port (ip-port set) or
 *   9000-9001 from A, TCP 9090 denied (with a log rule and a negated source match on the way).
 * - C: any ingress. Egress of A, B, C: allowed (accept mark, return).
 */
import type {
  Chain,
  Family,
  HookRules,
  IpSet,
  PolicyRulesets,
  Rule,
  Ruleset,
} from '../../src/felix/calc/policy/ruleset.js';
import {
  MARK_ACCEPT,
  MARK_DROP,
  MARK_PASS,
  MARK_SCRATCH0,
  MARK_SCRATCH1,
} from '../../src/felix/calc/policy/ruleset.js';
import type { PodSpec } from './policy-conformance-lab.js';

export const PODS: PodSpec[] = [
  {
    label: 'a',
    iface: 'cali0000000a',
    ip4: '203.0.113.1',
    ip6: 'fd00:113::1',
    tcpPorts: [8080],
    udpPorts: [],
  },
  {
    label: 'b',
    iface: 'cali0000000b',
    ip4: '203.0.113.2',
    ip6: 'fd00:113::2',
    tcpPorts: [7070, 8080, 9090],
    udpPorts: [5353],
  },
  {
    label: 'c',
    iface: 'cali0000000c',
    ip4: '203.0.113.3',
    ip6: 'fd00:113::3',
    tcpPorts: [8080],
    udpPorts: [5353],
  },
  {
    label: 'd',
    iface: 'cali0000000d',
    ip4: '203.0.113.4',
    ip6: 'fd00:113::4',
    tcpPorts: [8080],
    udpPorts: [],
  },
];

/** The workloads the ruleset knows (D is the unknown interface). */
const KNOWN = ['a', 'b', 'c'];

export function pod(label: string): PodSpec {
  const p = PODS.find((x) => x.label === label);
  if (!p) throw new Error(`no pod ${label}`);
  return p;
}

export function podIP(label: string, family: Family): string {
  return family === 4 ? pod(label).ip4 : pod(label).ip6;
}

function hostCIDR(label: string, family: Family): string {
  return family === 4 ? `${pod(label).ip4}/32` : `${pod(label).ip6}/128`;
}

export function allowSetName(family: Family): string {
  return `cali${family}0s:conformanceAllowToB0000`;
}

export function namedPortSetName(family: Family): string {
  return `cali${family}0n:conformanceNamedPort000`;
}

const markIs = (bit: number) => ({ mark: { value: bit, mask: bit } });

const endpointPrologue: Rule[] = [
  { match: { ctState: ['related', 'established'] }, action: { type: 'accept' } },
  { match: { ctState: ['invalid'] }, action: { type: 'drop' } },
  { match: {}, action: { type: 'set-mark', value: 0, mask: MARK_ACCEPT | MARK_PASS } },
];

function fromWorkload(label: string): Chain {
  return {
    name: `cali-fw-${pod(label).iface}`,
    table: 'filter',
    rules: [
      ...endpointPrologue,
      {
        match: {},
        action: { type: 'set-mark', value: MARK_ACCEPT, mask: MARK_ACCEPT },
        comment: 'Profile allow',
      },
      { match: markIs(MARK_ACCEPT), action: { type: 'return' }, comment: 'Return if profile accepted' },
    ],
  };
}

function toWorkload(label: string, body: Rule[]): Chain {
  return { name: `cali-tw-${pod(label).iface}`, table: 'filter', rules: [...endpointPrologue, ...body] };
}

/** The policy chain guarding B. */
function policyChain(family: Family): Chain {
  const allow = (m: Rule['match']): Rule[] => [
    { match: m, action: { type: 'set-mark', value: MARK_ACCEPT, mask: MARK_ACCEPT } },
    { match: markIs(MARK_ACCEPT), action: { type: 'return' } },
  ];
  const unrelated = family === 4 ? '198.51.100.99/32' : 'fd00:198:51:100::99/128';
  return {
    name: 'cali-pi-conformance',
    table: 'filter',
    rules: [
      {
        match: { protocol: 'tcp', dstPorts: [{ first: 9090, last: 9090 }] },
        action: { type: 'log', prefix: 'calico-conformance' },
        comment: 'Policy conformance ingress',
      },
      {
        match: { protocol: 'tcp', dstPorts: [{ first: 9090, last: 9090 }], notSrcNets: [unrelated] },
        action: { type: 'set-mark', value: MARK_DROP, mask: MARK_DROP },
      },
      { match: markIs(MARK_DROP), action: { type: 'drop' } },
      ...allow({ protocol: 'tcp', srcSets: [allowSetName(family)], dstPorts: [{ first: 8080, last: 8080 }] }),
      ...allow({ protocol: 'udp', srcSets: [allowSetName(family)], dstPorts: [{ first: 5353, last: 5353 }] }),
      ...allow({
        protocol: 'tcp',
        srcNets: [hostCIDR('a', family)],
        notProtocol: 'udp',
        dstPorts: [{ first: 9000, last: 9001 }],
        dstPortSets: [namedPortSetName(family)],
      }),
    ],
  };
}

export interface ConformanceState {
  /** Pods whose address is in B's allow set (default: A). */
  allowed?: string[];
  /** The same for the IPv6 ruleset (default: `allowed`). */
  allowed6?: string[];
  /** Compile IPv6 too (default true). */
  ipv6?: boolean;
}

export function handcraftedRuleset(family: Family, state: ConformanceState = {}): Ruleset {
  const allowed = (family === 6 ? state.allowed6 : undefined) ?? state.allowed ?? ['a'];
  const sets: IpSet[] = [
    {
      name: allowSetName(family),
      type: 'net',
      members: allowed.map((l) => hostCIDR(l, family)).sort(),
      comment: 'conformance: allowed into B',
    },
    {
      name: namedPortSetName(family),
      type: 'ip-port',
      members: [`${podIP('b', family)},tcp:7070`],
      comment: 'conformance: named port web of B',
    },
  ].sort((x, y) => x.name.localeCompare(y.name)) as IpSet[];
  const chains = (
    [
      {
        name: 'cali-FORWARD',
        table: 'filter',
        rules: [
          {
            match: { mark: { value: 0, mask: MARK_ACCEPT } },
            action: { type: 'set-mark', value: 0, mask: MARK_PASS },
          },
          { match: { iif: 'cali+' }, action: { type: 'jump', chain: 'cali-from-wl-dispatch' } },
          { match: { oif: 'cali+' }, action: { type: 'jump', chain: 'cali-to-wl-dispatch' } },
        ],
      },
      {
        name: 'cali-PREROUTING',
        table: 'raw',
        rules: [
          {
            match: {},
            action: {
              type: 'set-mark',
              value: 0,
              mask: MARK_ACCEPT | MARK_PASS | MARK_SCRATCH0 | MARK_SCRATCH1,
            },
          },
        ],
      },
      ...KNOWN.map(fromWorkload),
      policyChain(family),
      toWorkload('a', [
        { match: {}, action: { type: 'drop' }, comment: 'Drop if no policies passed packet' },
      ]),
      toWorkload('b', [
        {
          match: { mark: { value: 0, mask: MARK_PASS } },
          action: { type: 'jump', chain: 'cali-pi-conformance' },
        },
        { match: markIs(MARK_ACCEPT), action: { type: 'return' }, comment: 'Return if policy accepted' },
        { match: {}, action: { type: 'drop' }, comment: 'Drop if no policies passed packet' },
      ]),
      toWorkload('c', [{ match: {}, action: { type: 'accept' } }]),
    ] as Chain[]
  ).sort((x, y) => x.name.localeCompare(y.name));
  const unknown: Rule[] = [{ match: {}, action: { type: 'drop' }, comment: 'Unknown interface' }];
  const hooks: HookRules[] = [
    {
      table: 'filter',
      hook: 'forward',
      rules: [{ match: {}, action: { type: 'jump', chain: 'cali-FORWARD' } }],
      append: [
        {
          match: markIs(MARK_ACCEPT),
          action: { type: 'accept' },
          comment: 'Policy explicitly accepted packet.',
        },
      ],
    },
    {
      table: 'raw',
      hook: 'prerouting',
      rules: [{ match: {}, action: { type: 'jump', chain: 'cali-PREROUTING' } }],
      append: [],
    },
  ];
  return {
    family,
    hooks,
    chains,
    dispatches: [
      {
        name: 'cali-from-wl-dispatch',
        table: 'filter',
        direction: 'in',
        entries: KNOWN.map((l) => ({ iface: pod(l).iface, chain: `cali-fw-${pod(l).iface}` })),
        fallback: unknown,
      },
      {
        name: 'cali-to-wl-dispatch',
        table: 'filter',
        direction: 'out',
        entries: KNOWN.map((l) => ({ iface: pod(l).iface, chain: `cali-tw-${pod(l).iface}` })),
        fallback: unknown,
      },
    ],
    sets,
  };
}

export function handcraftedRulesets(state: ConformanceState = {}): PolicyRulesets {
  const v4 = handcraftedRuleset(4, state);
  return state.ipv6 === false ? { v4 } : { v4, v6: handcraftedRuleset(6, state) };
}
