/**
 * The forward chain's fast path for established workload traffic: accepted before any mark
 * clearing or dispatch (what the workload chains would do anyway), while new, invalid and
 * non-workload traffic still takes the full path.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePolicy, type Ruleset } from '../../../../src/felix/calc/policy/index.js';
import { evaluate, type Packet } from './evaluate.js';
import { config, gnp, hep, input, nsProfile, wep } from './fixtures.js';

const A = '198.51.100.1';
const B = '198.51.100.2';
const OUTSIDE = '203.0.113.50';

/** Two pods whose policy denies everything, and a host endpoint with forward policy. */
function ruleset(prefixes = ['cali']): Ruleset {
  return compilePolicy(
    input(
      [
        nsProfile('ns1'),
        wep('ns1', 'a', { ips: [A] }),
        wep('ns1', 'b', { ips: [B] }),
        gnp('deny-pods', { selector: 'all()', types: ['Ingress', 'Egress'] }),
        hep('h-eth0', { iface: 'eth0', labels: { role: 'edge' } }),
        gnp('deny-fwd', {
          selector: 'role == "edge"',
          applyOnForward: true,
          types: ['Ingress', 'Egress'],
        }),
      ],
      { config: config({ interfacePrefixes: prefixes }) },
    ),
  ).v4;
}

const fwd = (rs: Ruleset, p: Partial<Packet>) =>
  evaluate(rs, 'forward', { src: A, dst: B, proto: 'tcp', sport: 40000, dport: 80, ...p });

describe('forward fast path for established workload traffic', () => {
  const rs = ruleset();

  it('accepts established and related workload traffic before any dispatch', () => {
    for (const ct of ['established', 'related'] as const) {
      for (const ifaces of [
        { iif: 'calia', oif: 'calib' },
        { iif: 'calia', oif: 'eth1' },
        { iif: 'eth1', oif: 'calib' },
      ]) {
        const v = fwd(rs, { ...ifaces, ct, src: ifaces.iif === 'eth1' ? OUTSIDE : A });
        assert.equal(v.verdict, 'accept', `${ct} ${JSON.stringify(ifaces)}`);
        assert.ok(!v.trace.some((c) => c.includes('dispatch')), `no dispatch: ${v.trace.join(' → ')}`);
      }
    }
  });

  it('new and invalid workload traffic still meets the policy', () => {
    assert.equal(fwd(rs, { iif: 'calia', oif: 'calib', ct: 'new' }).verdict, 'drop');
    assert.equal(fwd(rs, { iif: 'calia', oif: 'calib', ct: 'invalid' }).verdict, 'drop');
    assert.equal(fwd(rs, { iif: 'eth1', oif: 'calib', src: OUTSIDE, ct: 'new' }).verdict, 'drop');
    assert.equal(
      fwd(rs, { iif: 'caliunknown', oif: 'calib', ct: 'new' }).verdict,
      'drop',
      'new flow from an unknown workload interface',
    );
  });

  it('non-workload forwarded traffic takes the host endpoint path as before', () => {
    const est = fwd(rs, { iif: 'eth0', oif: 'eth1', src: OUTSIDE, dst: '203.0.113.51', ct: 'established' });
    assert.equal(est.verdict, 'accept', 'the host endpoint chain accepts established flows');
    assert.ok(
      est.trace.some((c) => c.includes('hep-forward')),
      est.trace.join(' → '),
    );
    const fresh = fwd(rs, { iif: 'eth0', oif: 'eth1', src: OUTSIDE, dst: '203.0.113.51', ct: 'new' });
    assert.equal(fresh.verdict, 'drop', 'forward policy of the host endpoint');
  });

  it('one pair of fast-path rules per workload interface prefix', () => {
    const two = ruleset(['cali', 'tap']);
    const v = fwd(two, { iif: 'tapx', oif: 'eth1', dst: OUTSIDE, ct: 'established' });
    assert.equal(v.verdict, 'accept');
    assert.ok(!v.trace.some((c) => c.includes('dispatch')), v.trace.join(' → '));
    const forward = two.chains.find((c) => c.name === 'cali-FORWARD')!;
    const fast = forward.rules.filter((r) => r.match.ctState && r.action.type === 'accept');
    assert.deepEqual(
      fast.map((r) => r.match.iif ?? `out:${r.match.oif}`),
      ['cali+', 'tap+', 'out:cali+', 'out:tap+'],
    );
  });
});
