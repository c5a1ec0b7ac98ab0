/** Host endpoints: failsafes, normal / applyOnForward / preDNAT / doNotTrack placement, wildcard. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resource } from '../../../../src/api/index.js';
import { compilePolicy, profileChainName, type Ruleset } from '../../../../src/felix/calc/policy/index.js';
import { evaluate, type Packet, type Path } from './evaluate.js';
import { gnp, hep, input, nsProfile, wep } from './fixtures.js';

const HOST = '192.0.2.1';
const PEER = '192.0.2.99';
const POD = '198.51.100.2';

const base = (profiles?: string[]): Resource[] => [
  nsProfile('ns1'),
  wep('ns1', 'b', { ips: [POD] }),
  hep('node1-eth0', {
    iface: 'eth0',
    ips: [HOST],
    labels: { role: 'host' },
    ...(profiles ? { profiles } : {}),
  }),
];

const v4 = (res: Resource[]): Ruleset => compilePolicy(input(res)).v4;

function run(rs: Ruleset, path: Path, p: Partial<Packet>) {
  return evaluate(rs, path, { src: PEER, dst: HOST, proto: 'tcp', sport: 40000, ...p } as Packet);
}

const toHost = (rs: Ruleset, dport: number, proto: Packet['proto'] = 'tcp', iif = 'eth0') =>
  run(rs, 'input', { iif, dport, proto, dstLocal: true }).verdict;
const fromHost = (rs: Ruleset, dport: number, proto: Packet['proto'] = 'tcp', oif = 'eth0') =>
  run(rs, 'output', { oif, src: HOST, dst: PEER, dport, proto }).verdict;

const denyIngress = gnp('deny-host-in', { selector: "role == 'host'", types: ['Ingress'] });

describe('felix policy host endpoints', () => {
  it('failsafe ports are accepted despite a deny policy; other interfaces are not policed', () => {
    const rs = v4([...base(), denyIngress]);
    assert.equal(toHost(rs, 22), 'accept', 'ssh failsafe');
    assert.equal(toHost(rs, 6443), 'accept');
    assert.equal(toHost(rs, 68, 'udp'), 'accept');
    assert.equal(toHost(rs, 80), 'drop');
    assert.equal(toHost(rs, 80, 'tcp', 'eth1'), 'accept', 'no host endpoint on eth1');
    // Egress: no egress policy and no profile → Felix's final drop, failsafes excepted.
    assert.equal(fromHost(rs, 443), 'drop');
    assert.equal(fromHost(rs, 53, 'udp'), 'accept');
    assert.equal(fromHost(rs, 2379), 'accept');
    const chain = rs.chains.find((c) => c.name === 'cali-fh-eth0' && c.table === 'filter')!;
    const jumpAt = chain.rules.findIndex(
      (r) => r.action.type === 'jump' && r.action.chain === 'cali-failsafe-in',
    );
    assert.equal(jumpAt, 2, 'failsafe jump right after the conntrack rules');
  });

  it('a host endpoint with the default-allow profile and no policy allows everything', () => {
    const rs = v4(base(['projectcalico-default-allow']));
    assert.equal(toHost(rs, 80), 'accept');
    assert.equal(fromHost(rs, 443), 'accept');
    assert.ok(rs.chains.some((c) => c.name === profileChainName('ingress', 'projectcalico-default-allow')));
  });

  it('normal host policy does not police forwarded traffic; applyOnForward policy does', () => {
    const fwd = (rs: Ruleset, dport: number) =>
      run(rs, 'forward', { iif: 'eth0', oif: 'calib', dst: POD, dport }).verdict;
    assert.equal(fwd(v4([...base(), denyIngress]), 80), 'accept', 'forwarded traffic allowed by default');
    const rs = v4([
      ...base(),
      gnp('fwd', {
        selector: "role == 'host'",
        applyOnForward: true,
        types: ['Ingress'],
        ingress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: [80] } }, { action: 'Allow' }],
      }),
    ]);
    assert.equal(fwd(rs, 80), 'drop');
    assert.equal(fwd(rs, 81), 'accept');
    assert.ok(rs.chains.some((c) => c.name === 'cali-fhfw-eth0'));
    assert.equal(toHost(rs, 80), 'drop', 'applyOnForward policy also applies to the host itself');
    assert.equal(toHost(rs, 22), 'accept', 'failsafe');
  });

  it('preDNAT policy runs in mangle PREROUTING, ingress only, before the failsafe-checked filter rules', () => {
    const rs = v4([
      ...base(['projectcalico-default-allow']),
      gnp('pre', {
        selector: "role == 'host'",
        preDNAT: true,
        applyOnForward: true,
        types: ['Ingress'],
        ingress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: [8080, 22] } }],
      }),
    ]);
    const pi = rs.chains.find((c) => c.name === 'cali-pi-gnp/pre')!;
    assert.equal(pi.table, 'mangle');
    assert.ok(rs.hooks.some((h) => h.table === 'mangle' && h.hook === 'prerouting'));
    assert.equal(toHost(rs, 8080), 'drop');
    assert.equal(toHost(rs, 8081), 'accept', 'the pre-DNAT tier passes to normal policy');
    assert.equal(toHost(rs, 22), 'accept', 'failsafe in mangle too');
    const fwd = run(rs, 'forward', { iif: 'eth0', oif: 'calib', dst: POD, dport: 8080 }).verdict;
    assert.equal(fwd, 'drop', 'pre-DNAT policy applies to forwarded traffic');
  });

  it('doNotTrack policy runs in raw; its Allow also skips conntrack', () => {
    const rs = v4([
      ...base(['projectcalico-default-allow']),
      gnp('untracked', {
        selector: "role == 'host'",
        doNotTrack: true,
        applyOnForward: true,
        types: ['Ingress', 'Egress'],
        ingress: [
          { action: 'Allow', protocol: 'UDP', destination: { ports: [4000] } },
          { action: 'Deny', protocol: 'UDP' },
        ],
        egress: [{ action: 'Allow', protocol: 'UDP', source: { ports: [4000] } }],
      }),
    ]);
    assert.equal(rs.chains.find((c) => c.name === 'cali-pi-gnp/untracked')!.table, 'raw');
    assert.equal(rs.chains.find((c) => c.name === 'cali-po-gnp/untracked')!.table, 'raw');
    const allowed = run(rs, 'input', { iif: 'eth0', proto: 'udp', dport: 4000, dstLocal: true });
    assert.deepEqual([allowed.verdict, allowed.notrack], ['accept', true]);
    const other = run(rs, 'input', { iif: 'eth0', proto: 'udp', dport: 4001, dstLocal: true });
    assert.equal(other.verdict, 'drop');
    const tcp = run(rs, 'input', { iif: 'eth0', proto: 'tcp', dport: 80, dstLocal: true });
    assert.deepEqual(
      [tcp.verdict, tcp.notrack],
      ['accept', false],
      'unmatched: normal (tracked) policy decides',
    );
    const fromWorkload = run(rs, 'forward', {
      iif: 'calib',
      oif: 'eth0',
      src: POD,
      proto: 'udp',
      dport: 4001,
    });
    assert.equal(fromWorkload.verdict, 'accept', 'raw host endpoint policy skips workload traffic');
  });

  it('a wildcard host endpoint polices every non-workload interface', () => {
    const rs = v4([
      nsProfile('ns1'),
      wep('ns1', 'b', { ips: [POD] }),
      hep('node1-all', { iface: '*', labels: { role: 'host' } }),
      denyIngress,
    ]);
    assert.equal(toHost(rs, 80, 'tcp', 'eth5'), 'drop');
    assert.equal(toHost(rs, 22, 'tcp', 'eth5'), 'accept');
    const d = rs.dispatches.find((x) => x.name === 'cali-from-host-endpoint' && x.table === 'filter')!;
    assert.deepEqual(d.fallback.at(-1)?.action, { type: 'goto', chain: 'cali-fh-*' });
    const podOut = run(rs, 'output', { oif: 'calib', src: HOST, dst: POD, dport: 80 }).verdict;
    assert.equal(podOut, 'accept', 'host → local workload skips the wildcard egress chain');
  });

  it('host endpoints of other nodes get no chains but their IPs are set members', () => {
    const rs = v4([
      ...base(),
      hep('node2-eth0', { node: 'node2', iface: 'eth0', ips: [PEER], labels: { role: 'peer' } }),
      gnp('from-peers', {
        selector: "role == 'host'",
        types: ['Ingress'],
        ingress: [{ action: 'Allow', source: { selector: "role == 'peer'" } }],
      }),
    ]);
    assert.equal(rs.chains.filter((c) => c.name === 'cali-fh-eth0').length, 1);
    assert.equal(toHost(rs, 80), 'accept');
    assert.equal(
      run(rs, 'input', { iif: 'eth0', src: '192.0.2.98', dport: 80, dstLocal: true }).verdict,
      'drop',
    );
  });
});
