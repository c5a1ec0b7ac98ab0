/** IR rule → nft rule bodies: every match field, negations, OR-groups, actions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Match, Rule } from '../../../../src/felix/calc/policy/ruleset.js';
import { renderRule, type MatchContext } from '../../../../src/felix/dataplane/policy/nft-match.js';

const ctx4: MatchContext = { family: 4, chainRef: (c) => `filter-${c}` };
const ctx6: MatchContext = { family: 6, chainRef: (c) => `filter-${c}` };
const accept = (match: Match): Rule => ({ match, action: { type: 'accept' } });
const one = (match: Match, ctx = ctx4) => {
  const out = renderRule(accept(match), ctx);
  assert.equal(out.length, 1, `one rule for ${JSON.stringify(match)}`);
  return out[0];
};

describe('nft match rendering', () => {
  it('renders every plain field in a fixed order', () => {
    assert.equal(one({}), 'accept');
    assert.equal(one({ iif: 'cali+', notOif: 'eth0' }), 'iifname "cali*" oifname != "eth0" accept');
    assert.equal(one({ protocol: 'tcp', notProtocol: 47 }), 'meta l4proto tcp meta l4proto != 47 accept');
    assert.equal(one({ protocol: 'icmpv6' }, ctx6), 'meta l4proto ipv6-icmp accept');
    assert.equal(
      one({ srcNets: ['10.0.0.0/8', '10.1.0.0/16'], notDstNets: ['192.0.2.1/32'] }),
      'ip saddr { 10.0.0.0/8, 10.1.0.0/16 } ip daddr != 192.0.2.1/32 accept',
    );
    assert.equal(
      one({ srcSets: ['cali40s:a', 'cali40s:b'], notDstSets: ['cali40s:c'] }),
      'ip saddr @cali40s-a ip saddr @cali40s-b ip daddr != @cali40s-c accept',
    );
    assert.equal(one({ dstNets: ['fd00::/8'] }, ctx6), 'ip6 daddr fd00::/8 accept');
    assert.equal(
      one({
        protocol: 'udp',
        dstPorts: [
          { first: 53, last: 53 },
          { first: 1000, last: 2000 },
        ],
      }),
      'meta l4proto udp th dport { 53, 1000-2000 } accept',
    );
    assert.equal(
      one({ protocol: 'tcp', notSrcPorts: [{ first: 1, last: 1023 }], notDstPortSets: ['cali40n:x'] }),
      'meta l4proto tcp th sport != 1-1023 ip daddr . meta l4proto . th dport != @cali40n-x accept',
    );
    assert.equal(
      one({ dstPortSets: ['cali60n:y'] }, ctx6),
      'ip6 daddr . meta l4proto . th dport @cali60n-y accept',
    );
    assert.equal(one({ icmp: { type: 8, code: 0 } }), 'icmp type 8 icmp code 0 accept');
    assert.equal(one({ notIcmp: { type: 128 } }, ctx6), 'icmpv6 type != 128 accept');
    assert.equal(one({ notIcmp: { type: 3, code: 4 } }), 'icmp type . icmp code != { 3 . 4 } accept');
    assert.equal(one({ ctState: ['related', 'established'] }), 'ct state related,established accept');
    assert.equal(
      one({ notCtState: ['related', 'established'] }),
      'ct state & (related | established) == 0 accept',
    );
    assert.equal(one({ notCtState: ['invalid', 'dnat'] }), 'ct state != invalid ct status != dnat accept');
    assert.equal(one({ mark: { value: 0, mask: 0x30000 } }), 'meta mark & 0x30000 == 0x0 accept');
    assert.equal(
      one({ notMark: { value: 0x10000, mask: 0x10000 } }),
      'meta mark & 0x10000 != 0x10000 accept',
    );
    assert.equal(one({ dstLocal: true }), 'fib daddr type local accept');
    assert.equal(one({ dstLocal: false }), 'fib daddr type != local accept');
  });

  it('splits OR-groups across expressions into mutually exclusive rules', () => {
    const out = renderRule(
      {
        match: {
          protocol: 'tcp',
          dstPorts: [{ first: 80, last: 80 }],
          dstPortSets: ['cali40n:a', 'cali40n:b'],
        },
        action: { type: 'jump', chain: 'cali-x' },
      },
      ctx4,
    );
    const key = 'ip daddr . meta l4proto . th dport';
    assert.deepEqual(out, [
      'meta l4proto tcp th dport 80 jump filter-cali-x',
      `meta l4proto tcp th dport != 80 ${key} @cali40n-a jump filter-cali-x`,
      `meta l4proto tcp th dport != 80 ${key} != @cali40n-a ${key} @cali40n-b jump filter-cali-x`,
    ]);
    assert.deepEqual(renderRule(accept({ ctState: ['established', 'dnat'] }), ctx4), [
      'ct state established accept',
      'ct state != established ct status dnat accept',
    ]);
    // Two groups: the cross product (2 × 2).
    const both = renderRule(
      accept({
        protocol: 'tcp',
        srcPorts: [{ first: 1, last: 1 }],
        srcPortSets: ['cali40n:s'],
        dstPorts: [{ first: 2, last: 2 }],
        dstPortSets: ['cali40n:d'],
      }),
      ctx4,
    );
    assert.equal(both.length, 4);
  });

  it('renders actions', () => {
    const act = (action: Rule['action']) => renderRule({ match: {}, action }, ctx4)[0];
    assert.equal(act({ type: 'drop' }), 'drop');
    assert.equal(act({ type: 'return' }), 'return');
    assert.equal(act({ type: 'notrack' }), 'notrack');
    assert.equal(act({ type: 'goto', chain: 'cali-y' }), 'goto filter-cali-y');
    assert.equal(
      act({ type: 'set-mark', value: 0x10000, mask: 0x30000 }),
      'meta mark set meta mark & 0xfffcffff | 0x10000',
    );
    assert.equal(act({ type: 'set-mark', value: 0, mask: 0x10000 }), 'meta mark set meta mark & 0xfffeffff');
    assert.equal(act({ type: 'set-mark', value: 5, mask: 0xffffffff }), 'meta mark set 0x5');
    assert.equal(act({ type: 'log', prefix: 'calico "x"\n' }), 'log prefix "calico _x__"');
  });

  it('refuses what nft cannot say', () => {
    assert.throws(() => one({ iif: 'bad"name' }), /interface name/);
    assert.throws(() => one({ protocol: 300 }), /protocol 300/);
    assert.throws(() => one({ protocol: 'tcp', dstPorts: [{ first: 1, last: 70000 }] }), /port 70000/);
  });
});
