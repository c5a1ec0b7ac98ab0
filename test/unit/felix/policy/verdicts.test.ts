/** Verdict semantics of the compiled rulesets, proven with the reference evaluator. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resource } from '../../../../src/api/index.js';
import { compilePolicy, type PolicyInput, type Ruleset } from '../../../../src/felix/calc/policy/index.js';
import { evaluate, type Packet, type Path } from './evaluate.js';
import {
  config,
  gnp,
  input,
  np,
  nsProfile,
  saProfile,
  tier,
  wep,
  networkSet,
  globalNetworkSet,
} from './fixtures.js';

const A = '198.51.100.1';
const B = '198.51.100.2';
const C = '198.51.100.3';
const OUTSIDE = '203.0.113.50';

const base = (): Resource[] => [
  nsProfile('ns1'),
  nsProfile('ns2', { team: 'x' }),
  nsProfile('ns3', { team: 'y' }),
  wep('ns1', 'a', { ips: [A, 'fd00::a'], labels: { app: 'client' } }),
  wep('ns1', 'b', {
    ips: [B, 'fd00::b'],
    labels: { app: 'server' },
    ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
  }),
  wep('ns1', 'c', { ips: [C], labels: { app: 'other' } }),
];

function v4(inp: PolicyInput): Ruleset {
  return compilePolicy(inp).v4;
}

function verdict(rs: Ruleset, path: Path, p: Packet): string {
  return evaluate(rs, path, p).verdict;
}

/** pod → pod on this node (forwarded between two workload interfaces). */
function pod(
  rs: Ruleset,
  from: string,
  to: string,
  dport: number,
  proto: Packet['proto'] = 'tcp',
  extra: Partial<Packet> = {},
) {
  const ip = (x: string) => ({ a: A, b: B, c: C })[x] ?? x;
  return verdict(rs, 'forward', {
    iif: `cali${from}`,
    oif: `cali${to}`,
    src: ip(from),
    dst: ip(to),
    proto,
    sport: 40000,
    dport,
    ...extra,
  });
}

/** A packet from outside (eth0) forwarded to a pod. */
function fromOutside(rs: Ruleset, src: string, to: string, dport: number): string {
  return verdict(rs, 'forward', {
    iif: 'eth0',
    oif: `cali${to}`,
    src,
    dst: B,
    proto: 'tcp',
    sport: 40000,
    dport,
  });
}

const serverPolicy = (ingress: object[], extra: object = {}) =>
  np('ns1', 'server', { selector: "app == 'server'", types: ['Ingress'], ingress, ...extra });

describe('felix policy verdicts', () => {
  it('allows one pod → pod port only; replies and other directions are unaffected', () => {
    const rs = v4(
      input([
        ...base(),
        serverPolicy([
          {
            action: 'Allow',
            protocol: 'TCP',
            source: { selector: "app == 'client'" },
            destination: { ports: [80] },
          },
        ]),
      ]),
    );
    assert.equal(pod(rs, 'a', 'b', 80), 'accept');
    assert.equal(pod(rs, 'a', 'b', 81), 'drop');
    assert.equal(pod(rs, 'c', 'b', 80), 'drop');
    assert.equal(pod(rs, 'a', 'b', 80, 'udp'), 'drop');
    assert.equal(pod(rs, 'a', 'b', 81, 'tcp', { ct: 'established' }), 'accept', 'conntrack fast path');
    assert.equal(pod(rs, 'a', 'b', 81, 'tcp', { ct: 'invalid' }), 'drop');
    assert.equal(pod(rs, 'b', 'a', 81), 'accept', 'unselected pod: namespace profile allows');
  });

  it('default-denies a direction only once a policy selects the endpoint in that direction', () => {
    const rs = v4(input([...base(), serverPolicy([])]));
    assert.equal(pod(rs, 'a', 'b', 80), 'drop', 'ingress selected, no rules');
    assert.equal(pod(rs, 'b', 'a', 80), 'accept', 'egress of b not selected');
    assert.equal(pod(rs, 'a', 'c', 80), 'accept');
    // Empty types: Felix enforces both directions.
    const both = v4(input([...base(), np('ns1', 'deny', { selector: "app == 'server'" })]));
    assert.equal(pod(both, 'b', 'a', 80), 'drop');
    assert.equal(pod(both, 'a', 'b', 80), 'drop');
    // Egress only.
    const egress = v4(input([...base(), np('ns1', 'e', { selector: "app == 'server'", types: ['Egress'] })]));
    assert.equal(pod(egress, 'b', 'a', 80), 'drop');
    assert.equal(pod(egress, 'a', 'b', 80), 'accept');
  });

  it('Pass skips the rest of the tier; a Pass tier falls through to the next tier', () => {
    const rs = v4(
      input([
        ...base(),
        tier('security', 100),
        np('ns1', 'pass80', {
          tier: 'security',
          order: 1,
          selector: "app == 'server'",
          types: ['Ingress'],
          ingress: [{ action: 'Pass', protocol: 'TCP', destination: { ports: [80] } }],
        }),
        np('ns1', 'denyall', {
          tier: 'security',
          order: 2,
          selector: "app == 'server'",
          types: ['Ingress'],
          ingress: [{ action: 'Deny' }],
        }),
        serverPolicy([{ action: 'Allow', protocol: 'TCP', destination: { ports: [80, 81] } }]),
      ]),
    );
    assert.equal(pod(rs, 'a', 'b', 80), 'accept', 'passed, then allowed in default');
    assert.equal(pod(rs, 'a', 'b', 81), 'drop', 'denied by the next policy of the first tier');

    const passTier = v4(
      input([
        ...base(),
        tier('admin', 10, 'Pass'),
        np('ns1', 'nomatch', {
          tier: 'admin',
          selector: "app == 'server'",
          types: ['Ingress'],
          ingress: [{ action: 'Deny', protocol: 'UDP' }],
        }),
      ]),
    );
    assert.equal(pod(passTier, 'a', 'b', 80), 'accept', 'Pass tier falls through to the profiles');
    assert.equal(pod(passTier, 'a', 'b', 80, 'udp'), 'drop');
  });

  it('orders tiers by order, then policies by order, ties by name', () => {
    const rs = v4(
      input([
        ...base(),
        tier('late', 50),
        tier('early', 5),
        np('ns1', 'deny', {
          tier: 'late',
          selector: "app == 'server'",
          ingress: [{ action: 'Deny', protocol: 'TCP' }],
          types: ['Ingress'],
        }),
        np('ns1', 'allow', {
          tier: 'early',
          selector: "app == 'server'",
          ingress: [{ action: 'Allow', protocol: 'TCP' }],
          types: ['Ingress'],
        }),
      ]),
    );
    assert.equal(pod(rs, 'a', 'b', 80), 'accept');
    const ties = (allowName: string, denyName: string) =>
      v4(
        input([
          ...base(),
          np('ns1', allowName, {
            order: 10,
            selector: "app == 'server'",
            ingress: [{ action: 'Allow' }],
            types: ['Ingress'],
          }),
          np('ns1', denyName, {
            order: 10,
            selector: "app == 'server'",
            ingress: [{ action: 'Deny' }],
            types: ['Ingress'],
          }),
        ]),
      );
    assert.equal(pod(ties('a-allow', 'b-deny'), 'a', 'b', 80), 'accept');
    assert.equal(pod(ties('b-allow', 'a-deny'), 'a', 'b', 80), 'drop');
    const missingOrder = v4(
      input([
        ...base(),
        np('ns1', 'a-no-order', {
          selector: "app == 'server'",
          ingress: [{ action: 'Deny' }],
          types: ['Ingress'],
        }),
        np('ns1', 'z-ordered', {
          order: 1000,
          selector: "app == 'server'",
          ingress: [{ action: 'Allow' }],
          types: ['Ingress'],
        }),
      ]),
    );
    assert.equal(pod(missingOrder, 'a', 'b', 80), 'accept', 'no order sorts last');
  });

  it('built-in tiers exist without resources: kube-admin passes, kube-baseline comes after default', () => {
    const rs = v4(
      input([
        ...base(),
        np('ns1', 'admin', {
          tier: 'kube-admin',
          selector: "app == 'server'",
          types: ['Ingress'],
          ingress: [{ action: 'Deny', protocol: 'UDP' }],
        }),
        serverPolicy([{ action: 'Allow', protocol: 'TCP', destination: { ports: [80] } }]),
        np('ns1', 'baseline', {
          tier: 'kube-baseline',
          selector: "app == 'server'",
          types: ['Ingress'],
          ingress: [{ action: 'Allow' }],
        }),
      ]),
    );
    assert.equal(pod(rs, 'a', 'b', 53, 'udp'), 'drop', 'kube-admin deny');
    assert.equal(pod(rs, 'a', 'b', 80), 'accept', 'kube-admin passes, default allows');
    assert.equal(pod(rs, 'a', 'b', 81), 'drop', 'end of default tier before kube-baseline');
    const tw = rs.chains.find((c) => c.name === 'cali-tw-calib')!;
    const tiers = tw.rules.filter((r) => r.comment?.startsWith('Start of tier')).map((r) => r.comment);
    assert.deepEqual(tiers, [
      'Start of tier kube-admin',
      'Start of tier default',
      'Start of tier kube-baseline',
    ]);
  });

  it("profile labels are inherited; the endpoint's own labels win", () => {
    const custom: Resource = {
      apiVersion: 'projectcalico.org/v3',
      kind: 'Profile',
      metadata: { name: 'custom' },
      spec: { labelsToApply: { zone: 'prof', extra: 'x' } },
    };
    const rs = v4(
      input([
        nsProfile('ns1', { team: 'prof' }),
        custom,
        wep('ns1', 'a', { ips: [A], labels: { 'pcns.team': 'spoofed' } }),
        wep('ns1', 'b', { ips: [B], labels: { app: 'server' } }),
        wep('ns1', 'c', { ips: [C], labels: { zone: 'own' }, profiles: ['kns.ns1', 'custom'] }),
        np('ns1', 'p', {
          selector: "app == 'server'",
          types: ['Ingress'],
          ingress: [
            {
              action: 'Allow',
              protocol: 'TCP',
              source: { selector: "pcns.team == 'prof'" },
              destination: { ports: [80] },
            },
            {
              action: 'Allow',
              protocol: 'TCP',
              source: { selector: "zone == 'own' && extra == 'x'" },
              destination: { ports: [81] },
            },
          ],
        }),
      ]),
    );
    assert.equal(pod(rs, 'a', 'b', 80), 'accept', 'pcns. labels written on the pod are ignored');
    assert.equal(pod(rs, 'c', 'b', 81), 'accept', 'own zone wins, extra inherited');
    assert.equal(pod(rs, 'a', 'b', 81), 'drop');
  });

  it('ICMP type and code', () => {
    const rs = v4(
      input([...base(), serverPolicy([{ action: 'Allow', protocol: 'ICMP', icmp: { type: 8, code: 0 } }])]),
    );
    assert.equal(pod(rs, 'a', 'b', 0, 'icmp', { icmp: { type: 8, code: 0 } }), 'accept');
    assert.equal(pod(rs, 'a', 'b', 0, 'icmp', { icmp: { type: 13, code: 0 } }), 'drop');
    const v6 = compilePolicy(input([...base(), serverPolicy([{ action: 'Allow', protocol: 'ICMP' }])])).v6!;
    const pi = v6.chains.find((c) => c.name === 'cali-pi-np/ns1/server')!;
    assert.equal(pi.rules.length, 0, 'ICMPv4 rules are not rendered for IPv6');
  });

  it('Log is not terminal', () => {
    const rs = v4(
      input([...base(), serverPolicy([{ action: 'Log', protocol: 'TCP' }, { action: 'Allow' }])]),
    );
    const v = evaluate(rs, 'forward', {
      iif: 'calia',
      oif: 'calib',
      src: A,
      dst: B,
      proto: 'tcp',
      dport: 80,
    });
    assert.equal(v.verdict, 'accept');
    assert.deepEqual(v.logs, ['calico-packet']);
  });

  it('profiles: kns. allows, no profile and no policy drops', () => {
    const rs = v4(
      input([
        ...base(),
        wep('ns1', 'd', { ips: ['198.51.100.4'], profiles: [] }),
        wep('ns1', 'e', { ips: ['198.51.100.5'], profiles: ['missing'] }),
      ]),
    );
    assert.equal(pod(rs, 'a', 'b', 80), 'accept');
    assert.equal(pod(rs, 'a', '198.51.100.4', 80, 'tcp', { oif: 'calid' }), 'drop');
    assert.equal(
      pod(rs, 'a', '198.51.100.5', 80, 'tcp', { oif: 'calie' }),
      'drop',
      'missing profile = no profile',
    );
    assert.equal(pod(rs, 'a', 'x', 80, 'tcp', { oif: 'caliunknown', dst: C }), 'drop', 'unknown interface');
  });

  it('named ports become ip-port sets of the selected endpoints', () => {
    const rs = v4(
      input([
        ...base(),
        serverPolicy([{ action: 'Allow', protocol: 'TCP', destination: { ports: ['http'] } }]),
      ]),
    );
    assert.equal(pod(rs, 'a', 'b', 8080), 'accept');
    assert.equal(pod(rs, 'a', 'b', 8081), 'drop');
    const set = rs.sets.find((s) => s.type === 'ip-port');
    assert.ok(set && set.name.startsWith('cali40n:') && set.name.length === 31);
    assert.deepEqual(set.members, [`${B},tcp:8080`]);
  });

  it('port ranges and notPorts', () => {
    const range = v4(
      input([
        ...base(),
        serverPolicy([{ action: 'Allow', protocol: 'TCP', destination: { ports: ['8000:8100', 22] } }]),
      ]),
    );
    assert.equal(pod(range, 'a', 'b', 8050), 'accept');
    assert.equal(pod(range, 'a', 'b', 22), 'accept');
    assert.equal(pod(range, 'a', 'b', 8101), 'drop');
    const not = v4(
      input([
        ...base(),
        serverPolicy([{ action: 'Allow', protocol: 'TCP', destination: { notPorts: [22] } }]),
      ]),
    );
    assert.equal(pod(not, 'a', 'b', 80), 'accept');
    assert.equal(pod(not, 'a', 'b', 22), 'drop');
  });

  it('nets / notNets (ipBlock with except) match non-Calico sources', () => {
    const rs = v4(
      input([
        ...base(),
        serverPolicy([
          { action: 'Allow', source: { nets: ['203.0.113.0/24'], notNets: ['203.0.113.128/25'] } },
        ]),
      ]),
    );
    assert.equal(fromOutside(rs, '203.0.113.5', 'b', 80), 'accept');
    assert.equal(fromOutside(rs, '203.0.113.200', 'b', 80), 'drop');
    assert.equal(fromOutside(rs, '192.0.2.1', 'b', 80), 'drop');
  });

  it('namespaceSelector matches pods of other namespaces through pcns. profile labels', () => {
    const rs = v4(
      input([
        ...base(),
        wep('ns2', 'x', { ips: ['198.51.100.20'] }),
        wep('ns3', 'y', { ips: ['198.51.100.30'] }),
        serverPolicy([{ action: 'Allow', source: { namespaceSelector: "team == 'x'" } }]),
      ]),
    );
    assert.equal(pod(rs, 'x', 'b', 80, 'tcp', { src: '198.51.100.20' }), 'accept');
    assert.equal(pod(rs, 'y', 'b', 80, 'tcp', { src: '198.51.100.30' }), 'drop');
    assert.equal(pod(rs, 'a', 'b', 80), 'drop', 'own namespace not selected by the namespaceSelector');
    // A plain selector is scoped to the policy's namespace.
    const scoped = v4(
      input([
        ...base(),
        wep('ns2', 'x', { ips: ['198.51.100.20'], labels: { app: 'client' } }),
        serverPolicy([{ action: 'Allow', source: { selector: "app == 'client'" } }]),
      ]),
    );
    assert.equal(pod(scoped, 'a', 'b', 80), 'accept');
    assert.equal(pod(scoped, 'x', 'b', 80, 'tcp', { src: '198.51.100.20' }), 'drop');
    // all() selects every namespace.
    const all = v4(
      input([
        ...base(),
        wep('ns2', 'x', { ips: ['198.51.100.20'] }),
        serverPolicy([{ action: 'Allow', source: { namespaceSelector: 'all()' } }]),
      ]),
    );
    assert.equal(pod(all, 'x', 'b', 80, 'tcp', { src: '198.51.100.20' }), 'accept');
    assert.equal(fromOutside(all, OUTSIDE, 'b', 80), 'drop');
  });

  it('serviceAccounts by name and by selector', () => {
    const res = [
      ...base(),
      saProfile('ns1', 'sa1', { role: 'web' }),
      saProfile('ns1', 'sa2'),
      wep('ns1', 's1', { ips: ['198.51.100.41'], sa: 'sa1' }),
      wep('ns1', 's2', { ips: ['198.51.100.42'], sa: 'sa2' }),
    ];
    const byName = v4(
      input([...res, serverPolicy([{ action: 'Allow', source: { serviceAccounts: { names: ['sa1'] } } }])]),
    );
    assert.equal(pod(byName, 's1', 'b', 80, 'tcp', { src: '198.51.100.41' }), 'accept');
    assert.equal(pod(byName, 's2', 'b', 80, 'tcp', { src: '198.51.100.42' }), 'drop');
    const bySel = v4(
      input([
        ...res,
        serverPolicy([{ action: 'Allow', source: { serviceAccounts: { selector: "role == 'web'" } } }]),
      ]),
    );
    assert.equal(pod(bySel, 's1', 'b', 80, 'tcp', { src: '198.51.100.41' }), 'accept');
    assert.equal(pod(bySel, 's2', 'b', 80, 'tcp', { src: '198.51.100.42' }), 'drop');
  });

  it('NetworkSets and GlobalNetworkSets are rule sources', () => {
    const rs = v4(
      input([
        ...base(),
        networkSet('ns1', 'db', ['203.0.113.0/28'], { role: 'db' }),
        networkSet('ns2', 'db', ['203.0.113.16/28'], { role: 'db' }),
        globalNetworkSet('corp', ['192.0.2.0/24'], { zone: 'corp' }),
        serverPolicy([
          { action: 'Allow', source: { selector: "role == 'db'" } },
          { action: 'Allow', source: { selector: "zone == 'corp'", namespaceSelector: 'global()' } },
        ]),
      ]),
    );
    assert.equal(fromOutside(rs, '203.0.113.7', 'b', 80), 'accept');
    assert.equal(fromOutside(rs, '203.0.113.20', 'b', 80), 'drop', 'network set of another namespace');
    assert.equal(fromOutside(rs, '192.0.2.9', 'b', 80), 'accept', 'global network set via global()');
    assert.equal(fromOutside(rs, '198.18.0.1', 'b', 80), 'drop');
    const g = v4(
      input([
        ...base(),
        globalNetworkSet('corp', ['192.0.2.0/24'], { zone: 'corp' }),
        gnp('from-corp', {
          selector: "app == 'server'",
          types: ['Ingress'],
          ingress: [{ action: 'Allow', source: { selector: "zone == 'corp'" } }],
        }),
      ]),
    );
    assert.equal(fromOutside(g, '192.0.2.9', 'b', 80), 'accept');
    assert.equal(fromOutside(g, '203.0.113.9', 'b', 80), 'drop');
  });

  it('notSelector: scoped to the namespace in a NetworkPolicy, open to unknown sources in a global one', () => {
    const rs = v4(
      input([...base(), serverPolicy([{ action: 'Allow', source: { notSelector: "app == 'other'" } }])]),
    );
    assert.equal(pod(rs, 'a', 'b', 80), 'accept');
    assert.equal(pod(rs, 'c', 'b', 80), 'drop');
    // Calico ANDs the namespace into the positive selector when a notSelector is present.
    assert.equal(fromOutside(rs, OUTSIDE, 'b', 80), 'drop');
    const g = v4(
      input([
        ...base(),
        gnp('not-other', {
          selector: "app == 'server'",
          types: ['Ingress'],
          ingress: [{ action: 'Allow', source: { notSelector: "app == 'other'" } }],
        }),
      ]),
    );
    assert.equal(pod(g, 'a', 'b', 80), 'accept');
    assert.equal(pod(g, 'c', 'b', 80), 'drop');
    assert.equal(fromOutside(g, OUTSIDE, 'b', 80), 'accept');
  });

  it('IPv6: rules exist only in the family they name', () => {
    const res = [
      ...base(),
      serverPolicy([
        { action: 'Allow', ipVersion: 6, protocol: 'TCP', destination: { ports: [80] } },
        { action: 'Allow', source: { nets: ['fd00:1::/64'] } },
        { action: 'Allow', source: { notNets: ['0.0.0.0/0'] } },
      ]),
    ];
    const out = compilePolicy(input(res));
    assert.ok(out.v6, 'v6 ruleset when ipv6 is on');
    const v6 = out.v6!;
    const p6 = (src: string, dport: number) =>
      verdict(v6, 'forward', {
        iif: 'calia',
        oif: 'calib',
        src,
        dst: 'fd00::b',
        proto: 'tcp',
        sport: 1,
        dport,
      });
    assert.equal(p6('fd00::a', 80), 'accept');
    assert.equal(p6('fd00::a', 81), 'drop');
    assert.equal(p6('fd00:1::9', 81), 'accept');
    assert.equal(
      pod(out.v4, 'a', 'b', 80),
      'drop',
      'v6-only rule absent from v4; notNets catch-all rule dropped',
    );
    const pi = out.v4.chains.find((c) => c.name.startsWith('cali-pi-'))!;
    assert.equal(pi.rules.length, 0);
    assert.equal(compilePolicy(input(res, { config: config({ ipv6: false }) })).v6, undefined);
  });

  it('workload → host: DefaultEndpointToHostAction after the egress policy', () => {
    const toHost = (rs: Ruleset, from: string, src: string) =>
      verdict(rs, 'input', {
        iif: `cali${from}`,
        src,
        dst: '192.0.2.1',
        proto: 'tcp',
        dport: 10250,
        dstLocal: true,
      });
    const deny = np('ns1', 'no-egress', { selector: "app == 'client'", types: ['Egress'] });
    assert.equal(toHost(v4(input(base())), 'a', A), 'drop', 'Drop by default');
    const accept = input([...base(), deny], { config: config({ defaultEndpointToHostAction: 'Accept' }) });
    assert.equal(toHost(v4(accept), 'b', B), 'accept');
    assert.equal(toHost(v4(accept), 'a', A), 'drop', 'egress policy still applies');
    const v6 = compilePolicy(accept).v6!;
    const ns = verdict(v6, 'input', {
      iif: 'calia',
      src: 'fd00::a',
      dst: 'fe80::1',
      proto: 'icmpv6',
      icmp: { type: 135 },
    });
    assert.equal(ns, 'accept', 'neighbour solicitation always reaches the host');
    // Host → workload is not policed.
    const out = verdict(v4(input([...base(), serverPolicy([])])), 'output', {
      oif: 'calib',
      src: '192.0.2.1',
      dst: B,
      proto: 'tcp',
      dport: 80,
    });
    assert.equal(out, 'accept');
  });

  it('VXLAN and IPIP from workloads are dropped unless allowed', () => {
    const rs = v4(input(base()));
    assert.equal(pod(rs, 'a', 'b', 4789, 'udp'), 'drop');
    assert.equal(pod(rs, 'a', 'b', 0, 4), 'drop');
    const allowed = v4(
      input(base(), {
        config: config({ allowVXLANPacketsFromWorkloads: true, allowIPIPPacketsFromWorkloads: true }),
      }),
    );
    assert.equal(pod(allowed, 'a', 'b', 4789, 'udp'), 'accept');
    assert.equal(pod(allowed, 'a', 'b', 0, 4), 'accept');
  });

  it('staged policies are ignored', () => {
    const staged: Resource = {
      apiVersion: 'projectcalico.org/v3',
      kind: 'StagedNetworkPolicy',
      metadata: { name: 'staged', namespace: 'ns1' },
      spec: { selector: "app == 'server'", types: ['Ingress'] },
    };
    assert.equal(pod(v4(input([...base(), staged])), 'a', 'b', 80), 'accept');
  });

  it('knp.default.* policies are Kubernetes policies (policy ID knp/<ns>/<name>)', () => {
    const rs = v4(
      input([
        ...base(),
        np('ns1', 'knp.default.deny', {
          order: 1000,
          selector: "projectcalico.org/orchestrator == 'k8s' && app == 'server'",
          types: ['Ingress'],
        }),
      ]),
    );
    assert.ok(rs.chains.some((c) => c.name === 'cali-pi-knp/ns1/deny'));
    assert.equal(pod(rs, 'a', 'b', 80), 'drop');
  });
});
