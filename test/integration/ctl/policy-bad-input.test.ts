import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { ctl } from '../../helpers/ctl.js';

/** Indents every non-empty line of a YAML fragment by `n` spaces. */
const indent = (text: string, n: number) =>
  text
    .split('\n')
    .map((l) => (l ? ' '.repeat(n) + l : l))
    .join('\n');

const doc = (kind: string, meta: string, spec: string) =>
  `apiVersion: projectcalico.org/v3\nkind: ${kind}\nmetadata:\n${indent(meta, 2)}\nspec:\n${indent(spec, 2)}\n`;

const gnp = (name: string, spec: string) => doc('GlobalNetworkPolicy', `name: ${name}`, spec);
const np = (name: string, spec: string) => doc('NetworkPolicy', `name: ${name}\nnamespace: prod`, spec);
const tier = (name: string, spec: string) => doc('Tier', `name: ${name}`, spec);

/** GlobalNetworkPolicy `p1` selecting all() with one rule (the rule's YAML fields). */
const rule = (yaml: string, dir: 'ingress' | 'egress' = 'ingress') =>
  gnp('p1', `selector: all()\n${dir}:\n- ${indent(yaml, 2).trimStart()}`);

const GNP = 'GlobalNetworkPolicy(p1): error with field';
const R0 = `${GNP} spec.ingress[0]`;

interface Case {
  name: string;
  input: string;
  /** Exact substrings of stderr: the resource, the field path, the value and the rule. */
  expect: string[];
}

const CASES: Case[] = [
  // Selectors: the policy's own and every selector of a rule's entity.
  {
    name: 'bad spec.selector',
    input: gnp('p1', 'selector: "a == "'),
    expect: [`${GNP} spec.selector = 'a == ' (invalid selector: expected string`],
  },
  {
    name: 'global() in spec.selector',
    input: gnp('p1', 'selector: global()'),
    expect: [`${GNP} spec.selector = 'global()' (global() selector is not valid here)`],
  },
  {
    name: 'bad source selector',
    input: rule('action: Allow\nsource:\n  selector: "has("'),
    expect: [`${R0}.source.selector = 'has(' (invalid selector: expected identifier at position 4)`],
  },
  {
    name: 'bad destination notSelector',
    input: rule('action: Allow\ndestination:\n  notSelector: "x in {"'),
    expect: [`${R0}.destination.notSelector = 'x in {' (invalid selector`],
  },
  {
    name: 'bad namespaceSelector',
    input: rule('action: Allow\nsource:\n  namespaceSelector: "&& b"'),
    expect: [`${R0}.source.namespaceSelector = '&& b' (invalid selector: unexpected token "&&"`],
  },
  {
    name: 'bad serviceAccounts.selector',
    input: rule('action: Allow\nsource:\n  serviceAccounts:\n    selector: "role =="'),
    expect: [`${R0}.source.serviceAccounts.selector = 'role ==' (invalid selector`],
  },
  // Ports.
  {
    name: 'port range reversed',
    input: rule('action: Allow\nprotocol: TCP\ndestination:\n  ports: ["90:80"]'),
    expect: [
      `${R0}.destination.ports[0] = '90:80' (minimum port number (90) is greater than maximum port number (80) in port range)`,
    ],
  },
  {
    name: 'port 0',
    input: rule('action: Allow\nprotocol: TCP\ndestination:\n  ports: [0]'),
    expect: [
      `${R0}.destination.ports[0] = '0' (port range invalid, port number must be between 1 and 65535)`,
    ],
  },
  {
    name: 'port range starting at 0',
    input: rule('action: Allow\nprotocol: UDP\ndestination:\n  ports: ["0:80"]'),
    expect: [
      `${R0}.destination.ports[0] = '0:80' (port range invalid, port number must be between 1 and 65535)`,
    ],
  },
  {
    name: 'port 65536',
    input: rule('action: Allow\nprotocol: TCP\ndestination:\n  ports: [65536]'),
    expect: [`${R0}.destination.ports[0] = '65536' (invalid port number (65536))`],
  },
  {
    name: 'numeric port without protocol',
    input: rule('action: Allow\ndestination:\n  ports: [80]'),
    expect: [
      `${R0}.destination.ports[0] = '80' (rules with numeric port or port range must set protocol to TCP or UDP or SCTP)`,
    ],
  },
  {
    name: 'notPorts range without protocol',
    input: rule('action: Allow\nsource:\n  notPorts: ["1:2"]'),
    expect: [`${R0}.source.notPorts[0] = '1:2' (rules with numeric port or port range must set protocol`],
  },
  {
    name: 'ports with protocol ICMP',
    input: rule('action: Allow\nprotocol: ICMP\ndestination:\n  ports: [80]'),
    expect: [
      `${R0}.destination.ports = '[80]' (rules that specify ports must set protocol to TCP or UDP or SCTP)`,
    ],
  },
  {
    name: 'named port with bad characters',
    input: rule('action: Allow\nprotocol: TCP\ndestination:\n  ports: ["http$"]'),
    expect: [`${R0}.destination.ports[0] = 'http$' (invalid name for named port (http$))`],
  },
  // Protocols.
  {
    name: 'protocol 0',
    input: rule('action: Allow\nprotocol: 0'),
    expect: [`${R0}.protocol = '0' (protocol number invalid)`],
  },
  {
    name: 'unknown notProtocol name',
    input: rule('action: Allow\nnotProtocol: bogus'),
    expect: [`${R0}.notProtocol = 'bogus' (protocol name invalid)`],
  },
  // ICMP and notICMP.
  {
    name: 'ICMP code without type',
    input: rule('action: Allow\nprotocol: ICMP\nicmp:\n  code: 3'),
    expect: [`${R0}.icmp.code = '3' (ICMP code specified without an ICMP type)`],
  },
  {
    name: 'ICMP type 255',
    input: rule('action: Allow\nprotocol: ICMP\nicmp:\n  type: 255'),
    expect: [`${R0}.icmp.type = '255' (ICMP type must be between 0 and 254)`],
  },
  {
    name: 'ICMP code 256',
    input: rule('action: Allow\nprotocol: ICMP\nicmp:\n  type: 3\n  code: 256'),
    expect: [`${R0}.icmp.code = '256' (ICMP code must be between 0 and 255)`],
  },
  {
    name: 'icmp with protocol TCP',
    input: rule('action: Allow\nprotocol: TCP\nicmp:\n  type: 8'),
    expect: [`${R0}.icmp = '{"type":8}' (rules that specify ICMP fields must set protocol to ICMP)`],
  },
  {
    name: 'notICMP code without type',
    input: rule('action: Allow\nprotocol: ICMP\nnotICMP:\n  code: 3'),
    expect: [`${R0}.notICMP.code = '3' (ICMP code specified without an ICMP type)`],
  },
  {
    name: 'notICMP type 255',
    input: rule('action: Allow\nprotocol: ICMP\nnotICMP:\n  type: 255'),
    expect: [`${R0}.notICMP.type = '255' (ICMP type must be between 0 and 254)`],
  },
  {
    name: 'notICMP with protocol TCP',
    input: rule('action: Allow\nprotocol: TCP\nnotICMP:\n  type: 8'),
    expect: [`${R0}.notICMP = '{"type":8}' (rules that specify ICMP fields must set protocol to ICMP)`],
  },
  {
    name: 'ICMPv6 with ipVersion 4',
    input: rule('action: Allow\nprotocol: ICMPv6\nipVersion: 4'),
    expect: [`${R0}.ipVersion = '4' (must set ipversion to '6' with protocol icmpv6)`],
  },
  // Nets.
  {
    name: 'bad CIDR in nets',
    input: rule('action: Allow\nsource:\n  nets: ["10.0.0.0/33"]'),
    expect: [`${R0}.source.nets[0] = '10.0.0.0/33' (invalid CIDR)`],
  },
  {
    name: 'host bits set in nets',
    input: rule('action: Allow\nsource:\n  nets: ["10.0.0.1/8"]'),
    expect: [`${R0}.source.nets[0] = '10.0.0.1/8' (CIDR is not strictly masked (did you mean 10.0.0.0/8?))`],
  },
  {
    name: 'more than 256 nets',
    input: rule(
      `action: Allow\ndestination:\n  nets: [${Array.from({ length: 257 }, (_, i) => `"10.${i >> 8}.${i & 255}.0/24"`).join(', ')}]`,
    ),
    expect: [`${R0}.destination.nets = '["10.0.0.0/24",`, '"10.1.0.0/24"]\' (too many networks (max 256))'],
  },
  {
    name: 'catch-all notNets',
    input: rule('action: Allow\nsource:\n  notNets: ["0.0.0.0/0"]'),
    expect: [
      `${R0}.source.notNets[0] = '0.0.0.0/0' (catch-all CIDR in negation creates logical contradiction (matches no traffic))`,
    ],
  },
  {
    name: 'IPv4 and IPv6 nets in one rule',
    input: rule('action: Allow\nsource:\n  nets: ["10.0.0.0/8"]\ndestination:\n  nets: ["fd00::/8"]'),
    expect: [`${R0}.destination.nets = '["fd00::/8"]' (rule contains both IPv4 and IPv6 CIDRs)`],
  },
  // Action and ipVersion.
  {
    name: 'action Bogus',
    input: rule('action: Bogus'),
    expect: [`${R0}.action = 'Bogus' (action must be one of Allow, Deny, Log, Pass)`],
  },
  {
    name: 'action missing',
    input: rule('protocol: TCP'),
    expect: [`${R0}.action (action must be specified (Allow, Deny, Log or Pass))`],
  },
  {
    name: 'ipVersion 5',
    input: rule('action: Allow\nipVersion: 5'),
    expect: [`${R0}.ipVersion = '5' (ipVersion must be 4 or 6)`],
  },
  {
    name: 'ipVersion 4 with an IPv6 net',
    input: rule('action: Allow\nipVersion: 4\nsource:\n  nets: ["fd00::/64"]'),
    expect: [`${R0}.source.nets = '["fd00::/64"]' (rule IP version doesn't match CIDR version)`],
  },
  // HTTP matches.
  {
    name: 'HTTP match on a Deny rule',
    input: rule('action: Deny\nhttp:\n  methods: [GET]'),
    expect: [`${R0}.http = '{"methods":["GET"]}' (only valid for Allow rules)`],
  },
  {
    name: 'HTTP match in an egress rule',
    input: rule('action: Allow\nhttp:\n  methods: [GET]', 'egress'),
    expect: [`${GNP} spec.egress[0].http = '{"methods":["GET"]}' (not allowed in egress rule)`],
  },
  {
    name: 'HTTP match with protocol UDP',
    input: rule('action: Allow\nprotocol: UDP\nhttp:\n  methods: [GET]'),
    expect: [`${R0}.protocol = 'UDP' (rules that specify HTTP fields must set protocol to TCP or empty)`],
  },
  // GlobalNetworkPolicy-only fields and policy types.
  {
    name: 'preDNAT and doNotTrack both',
    input: gnp('p1', 'selector: all()\npreDNAT: true\ndoNotTrack: true\napplyOnForward: true'),
    expect: [
      `${GNP} spec.preDNAT = 'true' (PreDNAT and DoNotTrack cannot both be true, for a given PolicySpec)`,
    ],
  },
  {
    name: 'doNotTrack without applyOnForward',
    input: gnp('p1', 'selector: all()\ndoNotTrack: true'),
    expect: [
      `${GNP} spec.applyOnForward = 'false' (ApplyOnForward must be true if either PreDNAT or DoNotTrack is true, for a given PolicySpec)`,
    ],
  },
  {
    name: 'preDNAT without applyOnForward',
    input: gnp('p1', 'selector: all()\npreDNAT: true\napplyOnForward: false'),
    expect: [
      `${GNP} spec.applyOnForward = 'false' (ApplyOnForward must be true if either PreDNAT or DoNotTrack`,
    ],
  },
  {
    name: 'preDNAT with egress rules',
    input: gnp('p1', 'selector: all()\npreDNAT: true\napplyOnForward: true\negress:\n- action: Allow'),
    expect: [
      'GlobalNetworkPolicy(p1): error with the following fields:',
      'spec.egress (PreDNAT PolicySpec cannot have any Egress rules)',
      `spec.types = '["Egress"]' (PreDNAT PolicySpec cannot have 'egress' Type)`,
    ],
  },
  {
    name: 'types [Sideways]',
    input: gnp('p1', 'selector: all()\ntypes: [Sideways]'),
    expect: [`${GNP} spec.types[0] = 'Sideways' (type must be Ingress or Egress)`],
  },
  {
    name: 'types repeated',
    input: gnp('p1', 'selector: all()\ntypes: [Ingress, Ingress]'),
    expect: [`${GNP} spec.types = '["Ingress","Ingress"]' ('Ingress' type specified more than once)`],
  },
  {
    name: 'order as a string (a decode error)',
    input: gnp('p1', 'selector: all()\norder: first'),
    expect: [
      'failed to execute command: cannot decode field spec.order: expected a number, got string "first"',
      'kind GlobalNetworkPolicy, line 7',
    ],
  },
  {
    name: 'staged policy with preDNAT and doNotTrack',
    input: doc(
      'StagedGlobalNetworkPolicy',
      'name: s1',
      'preDNAT: true\ndoNotTrack: true\napplyOnForward: true',
    ),
    expect: ["StagedGlobalNetworkPolicy(s1): error with field spec.preDNAT = 'true' (PreDNAT and DoNotTrack"],
  },
  {
    name: 'NetworkPolicy with a bad selector names its namespace',
    input: np('web', 'selector: "a =="'),
    expect: ["NetworkPolicy(prod/web): error with field spec.selector = 'a ==' (invalid selector"],
  },
  {
    name: 'Profile rule with a reversed port range',
    input: doc(
      'Profile',
      'name: pr1',
      'ingress:\n- action: Allow\n  protocol: TCP\n  destination:\n    ports: ["90:80"]',
    ),
    expect: [
      "Profile(pr1): error with field spec.ingress[0].destination.ports[0] = '90:80' (minimum port number",
    ],
  },
  // Sets and endpoints.
  {
    name: 'NetworkSet with a bad CIDR',
    input: doc('NetworkSet', 'name: ns1\nnamespace: prod', 'nets: ["10.0.0.0/40"]'),
    expect: ["NetworkSet(prod/ns1): error with field spec.nets[0] = '10.0.0.0/40' (invalid CIDR)"],
  },
  {
    name: 'GlobalNetworkSet with a bad CIDR',
    input: doc('GlobalNetworkSet', 'name: g1', 'nets: ["nope"]'),
    expect: ["GlobalNetworkSet(g1): error with field spec.nets[0] = 'nope' (invalid CIDR)"],
  },
  {
    name: 'HostEndpoint without interfaceName and expectedIPs',
    input: doc('HostEndpoint', 'name: h1', 'node: node1'),
    expect: [
      'HostEndpoint(h1): error with field spec.interfaceName (no interface or expected IPs have been specified)',
    ],
  },
  // Tiers.
  {
    name: 'Tier defaultAction bogus',
    input: tier('silver', 'order: 100\ndefaultAction: Bogus'),
    expect: ["Tier(silver): error with field spec.defaultAction = 'Bogus' (must be one of: Deny, Pass)"],
  },
  {
    name: 'kube-admin tier with defaultAction Deny',
    input: tier('kube-admin', 'order: 1000\ndefaultAction: Deny'),
    expect: [
      "Tier(kube-admin): error with field spec.defaultAction = 'Deny' (kube-admin tier defaultAction must be Pass)",
    ],
  },
  {
    name: 'Tier name with a dot',
    input: tier('a.b', '{}'),
    expect: [
      "Tier(a.b): error with field metadata.name = 'a.b' (name must consist of lower case alphanumeric",
    ],
  },
  // Cross-resource: the policy's tier must exist (the client's check, after validation).
  {
    name: 'NetworkPolicy in an unknown tier',
    input: np('nosuch.web', 'tier: nosuch\nselector: all()'),
    expect: ['resource does not exist: Tier(nosuch) with error: <nil>'],
  },
  {
    name: 'GlobalNetworkPolicy in an unknown tier',
    input: gnp('web', 'tier: nosuch\nselector: all()'),
    expect: ['resource does not exist: Tier(nosuch) with error: <nil>'],
  },
];

describe('calicoctl rejects invalid policies (and policy-related kinds) with field-level errors', () => {
  let etcd: EtcdHandle;
  let env: Record<string, string>;
  let baseline: string[];

  const keys = async () =>
    (await etcd.etcdctl(['get', '--prefix', '--keys-only', '/calico/'])).stdout
      .split('\n')
      .filter(Boolean)
      .sort();

  before(async () => {
    etcd = await startEtcd();
    env = etcd.env();
    // A valid policy first: initialises the datastore (built-in tiers, ClusterInformation).
    const r = await ctl(
      env,
      ['create', '-f', '-'],
      gnp('existing', 'selector: all()\ningress:\n- action: Allow'),
    );
    assert.equal(r.code, 0, r.stderr);
    baseline = await keys();
  });
  after(async () => {
    await etcd?.stop();
    await assertNoLeaks();
  });

  for (const c of CASES) {
    for (const cmd of ['apply', 'create'] as const) {
      it(`${c.name} (${cmd})`, async () => {
        const r = await ctl(env, [cmd, '-f', '-'], c.input);
        assert.equal(r.code, 1, `exit code; stdout=${r.stdout} stderr=${r.stderr}`);
        for (const s of c.expect)
          assert.ok(r.stderr.includes(s), `expected ${JSON.stringify(s)} in:\n${r.stderr}`);
        assert.deepEqual(await keys(), baseline, 'nothing written');
      });
    }
  }

  it('a valid policy then an invalid one: neither is written (all documents are validated first)', async () => {
    const input = np('b1', 'selector: all()') + '---\n' + np('b2', 'selector: "a =="');
    const r = await ctl(env, ['apply', '-f', '-'], input);
    assert.equal(r.code, 1);
    assert.ok(
      r.stderr.includes(
        "failed to apply 'NetworkPolicy' resource: [NetworkPolicy(prod/b2): error with field",
      ),
    );
    assert.ok(!r.stderr.includes('NetworkPolicy(prod/b1)'), r.stderr);
    assert.deepEqual(await keys(), baseline);
  });

  it('the tier prefix is not required on names of policies in other tiers', async () => {
    const input = tier('gold', 'order: 100') + '---\n' + np('web', 'tier: gold\nselector: all()');
    const r = await ctl(env, ['create', '-f', '-'], input);
    assert.equal(r.code, 0, r.stderr);
    const got = await ctl(env, ['get', 'networkpolicy', 'web', '-n', 'prod', '-o', 'yaml']);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /tier: gold/);
    assert.match(got.stdout, /projectcalico\.org\/tier: gold/);
  });

  it('a valid policy then one in a missing tier: the first is applied, the second reported', async () => {
    const input = np('a1', 'selector: all()') + '---\n' + np('a2', 'tier: silver\nselector: all()');
    const r = await ctl(env, ['apply', '-f', '-'], input);
    assert.equal(r.code, 1);
    // The summary goes to stdout, the error to stderr (as calicoctl prints them).
    assert.ok(
      r.stdout.includes("Partial success: applied the first 1 out of 2 'NetworkPolicy' resources:"),
      r.stdout,
    );
    assert.ok(
      r.stderr.includes('hit error: [resource does not exist: Tier(silver) with error: <nil>]'),
      r.stderr,
    );
    assert.equal((await ctl(env, ['get', 'networkpolicy', 'a1', '-n', 'prod'])).code, 0);
    assert.equal((await ctl(env, ['get', 'networkpolicy', 'a2', '-n', 'prod'])).code, 1);
  });
});
