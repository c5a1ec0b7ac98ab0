/**
 * A node without host endpoints leaves the host endpoint dispatch out of cali-INPUT / OUTPUT /
 * FORWARD (host packets, VXLAN's outer ones included, then cost a rule or two), while a node
 * with one, the wildcard included, keeps the full path and its failsafe behaviour.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CHAIN,
  PolicyCalculator,
  compilePolicy,
  type Ruleset,
} from '../../../../src/felix/calc/policy/index.js';
import { evaluate, type Packet } from './evaluate.js';
import { gnp, hep, input, nsProfile, wep } from './fixtures.js';
import type { Resource } from '../../../../src/api/index.js';

const POD = '198.51.100.1';
const HOST = '198.51.100.10';
const PEER = '198.51.100.20';
const HEP_CHAINS: string[] = [
  CHAIN.fromHostEndpoint,
  CHAIN.toHostEndpoint,
  CHAIN.fromHepForward,
  CHAIN.toHepForward,
];

const base = (): Resource[] => [
  nsProfile('ns1'),
  wep('ns1', 'a', { ips: [POD] }),
  gnp('deny-pods', { selector: 'all()', types: ['Ingress', 'Egress'] }),
];

function jumpsOf(rs: Ruleset, chain: string): string[] {
  const c = rs.chains.find((x) => x.name === chain && x.table === 'filter');
  assert.ok(c, chain);
  return c.rules.flatMap((r) => ('chain' in r.action ? [r.action.chain] : []));
}

const hepJumps = (rs: Ruleset) =>
  [CHAIN.input, CHAIN.output, CHAIN.forward]
    .flatMap((c) => jumpsOf(rs, c))
    .filter((c) => HEP_CHAINS.includes(c));

const toHost = (p: Partial<Packet>) => ({
  iif: 'eth0',
  src: PEER,
  dst: HOST,
  dstLocal: true,
  proto: 'tcp' as const,
  sport: 40000,
  dport: 8080,
  ct: 'new' as const,
  ...p,
});
const fromHost = (p: Partial<Packet>) => ({
  oif: 'eth0',
  src: HOST,
  dst: PEER,
  proto: 'tcp' as const,
  sport: 40000,
  dport: 8080,
  ct: 'new' as const,
  ...p,
});

describe('static chains without host endpoints', () => {
  it('no host endpoint dispatch; host traffic accepted in a rule or two', () => {
    const rs = compilePolicy(input(base())).v4!;
    assert.deepEqual(hepJumps(rs), []);
    for (const [path, p] of [
      ['input', toHost({})],
      ['output', fromHost({})],
      ['input', toHost({ proto: 'udp', dport: 4789 })],
      ['output', fromHost({ proto: 'udp', dport: 4789 })],
    ] as const) {
      const v = evaluate(rs, path, p);
      assert.equal(v.verdict, 'accept', `${path} ${p.dport}`);
      assert.ok(!v.trace.some((c) => HEP_CHAINS.includes(c)), v.trace.join(' → '));
    }
  });

  it('workload traffic to the host still meets the workload policy', () => {
    const rs = compilePolicy(input(base())).v4!;
    const v = evaluate(rs, 'input', toHost({ iif: 'calia', src: POD }));
    assert.equal(v.verdict, 'drop', v.trace.join(' → '));
  });

  it('a host endpoint of another node does not count', () => {
    const rs = compilePolicy(input([...base(), hep('other', { node: 'node2', iface: 'eth0' })])).v4!;
    assert.deepEqual(hepJumps(rs), []);
  });

  for (const iface of ['eth0', '*']) {
    it(`a local host endpoint (${iface}) restores the dispatch, policy and failsafes`, () => {
      const rs = compilePolicy(input([...base(), hep('h', { iface, ips: [HOST] })])).v4!;
      assert.deepEqual(hepJumps(rs).sort(), [...HEP_CHAINS].sort());
      // No policy selects it: everything but failsafe traffic is denied.
      assert.equal(evaluate(rs, 'input', toHost({})).verdict, 'drop');
      assert.equal(evaluate(rs, 'output', fromHost({})).verdict, 'drop');
      assert.equal(evaluate(rs, 'input', toHost({ dport: 22 })).verdict, 'accept', 'failsafe ssh in');
      assert.equal(evaluate(rs, 'output', fromHost({ dport: 2379 })).verdict, 'accept', 'failsafe etcd out');
    });
  }

  it('one calculator follows host endpoints coming and going', () => {
    const calc = new PolicyCalculator();
    const withHep = [...base(), hep('h', { iface: 'eth0', ips: [HOST] })];
    assert.deepEqual(hepJumps(calc.update(input(base())).v4!), []);
    const on = calc.update(input(withHep)).v4!;
    assert.equal(hepJumps(on).length, HEP_CHAINS.length);
    assert.deepEqual(on, compilePolicy(input(withHep)).v4);
    assert.equal(evaluate(on, 'input', toHost({})).verdict, 'drop');
    const off = calc.update(input(base())).v4!;
    assert.deepEqual(hepJumps(off), []);
    assert.equal(evaluate(off, 'input', toHost({})).verdict, 'accept');
  });
});
