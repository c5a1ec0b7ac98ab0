import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Dispatch, Rule } from '../../../../src/felix/calc/policy/ruleset.js';
import { dispatchChains } from '../../../../src/felix/dataplane/policy/ipt-dispatch.js';
import { hashOfSavedRule, ruleHashes } from '../../../../src/felix/dataplane/policy/ipt-hash.js';
import { buildIptables, renderIptables } from '../../../../src/felix/dataplane/policy/ipt-render.js';

describe('iptables rule hashes', () => {
  it('are SHA-224 chained from the chain name over the rule text with a placeholder (spec §3.7)', () => {
    const h0 = createHash('sha224').update('cali-x').digest();
    const text = '-A cali-x -m comment --comment "cali:HASHHASHHASHHASH" -j ACCEPT';
    const h1 = createHash('sha224').update(h0).update(text).digest();
    const text2 = '-A cali-x -m comment --comment "cali:HASHHASHHASHHASH" -j DROP';
    const h2 = createHash('sha224').update(h1).update(text2).digest();
    assert.deepEqual(ruleHashes('cali-x', ['-j ACCEPT', '-j DROP']), [
      h1.toString('base64url').slice(0, 16),
      h2.toString('base64url').slice(0, 16),
    ]);
  });

  it('depend on the chain and on every rule before, not on rules after', () => {
    const a = ruleHashes('cali-x', ['-j ACCEPT', '-j DROP', '-j RETURN']);
    const b = ruleHashes('cali-x', ['-j ACCEPT', '-j LOG', '-j RETURN']);
    const c = ruleHashes('cali-y', ['-j ACCEPT', '-j DROP', '-j RETURN']);
    assert.equal(a[0], b[0]);
    assert.notEqual(a[1], b[1]);
    assert.notEqual(a[2], b[2], 'a change above changes the hashes below');
    assert.notEqual(a[0], c[0]);
    for (const h of a) assert.match(h, /^[A-Za-z0-9_-]{16}$/);
    assert.notEqual(ruleHashes('cali-x', ['-j DROP'])[0], ruleHashes('cali-x', ['-j ACCEPT', '-j DROP'])[1]);
  });

  it('are found again in iptables-save output (quoted or not)', () => {
    assert.equal(
      hashOfSavedRule('-p tcp -m comment --comment "cali:abcdefghijklmnop" -j ACCEPT'),
      'abcdefghijklmnop',
    );
    assert.equal(hashOfSavedRule('-m comment --comment cali:abcdefghijklmn-_ -j ACCEPT'), 'abcdefghijklmn-_');
    assert.equal(hashOfSavedRule('-m comment --comment "hello" -j ACCEPT'), undefined);
  });

  it('of hook rules: inserts hash under the kernel chain, appends under <chain>*appends*', () => {
    const accept: Rule = { match: {}, action: { type: 'accept' } };
    const model = buildIptables({
      family: 4,
      hooks: [{ table: 'filter', hook: 'forward', rules: [accept], append: [accept] }],
      chains: [],
      dispatches: [],
      sets: [],
    });
    const fwd = model.get('filter')?.hooks.get('FORWARD');
    assert.equal(fwd?.insert[0].hash, ruleHashes('FORWARD', ['-j ACCEPT'])[0]);
    assert.equal(fwd?.append[0].hash, ruleHashes('FORWARD*appends*', ['-j ACCEPT'], 'FORWARD')[0]);
    assert.notEqual(fwd?.insert[0].hash, fwd?.append[0].hash);
  });
});

describe('iptables dispatch tree (spec §3.4)', () => {
  const drop: Rule = { match: {}, action: { type: 'drop' }, comment: 'Unknown interface' };
  const d: Dispatch = {
    name: 'cali-to-wl-dispatch',
    table: 'filter',
    direction: 'out',
    entries: ['caliB1', 'caliA2', 'caliC', 'caliA1'].map((i) => ({ iface: i, chain: `cali-tw-${i}` })),
    fallback: [drop],
  };

  it('sorts, bins by the character after the common prefix, and gives a bin of several a child', () => {
    const chains = dispatchChains(d);
    assert.deepEqual(
      chains.map((c) => c.name),
      ['cali-to-wl-dispatch', 'cali-to-wl-dispatch-A'],
    );
    const [root, child] = chains;
    assert.deepEqual(root.rules, [
      { match: { oif: 'caliA+' }, action: { type: 'goto', chain: 'cali-to-wl-dispatch-A' } },
      { match: { oif: 'caliB1' }, action: { type: 'goto', chain: 'cali-tw-caliB1' } },
      { match: { oif: 'caliC' }, action: { type: 'goto', chain: 'cali-tw-caliC' } },
      drop,
    ]);
    assert.deepEqual(child.rules, [
      { match: { oif: 'caliA1' }, action: { type: 'goto', chain: 'cali-tw-caliA1' } },
      { match: { oif: 'caliA2' }, action: { type: 'goto', chain: 'cali-tw-caliA2' } },
      drop,
    ]);
  });

  it('renders -i/-o <iface> -g <chain>, fallback last, in the filter restore input', () => {
    const text = renderIptables({
      family: 4,
      hooks: [],
      chains: [],
      dispatches: [{ ...d, name: 'cali-from-wl-dispatch', direction: 'in' }],
      sets: [],
    }).filter;
    assert.ok(text);
    const lines = text.split('\n');
    assert.equal(lines[0], '*filter');
    assert.ok(lines.includes(':cali-from-wl-dispatch - [0:0]'));
    assert.ok(lines.includes(':cali-from-wl-dispatch-A - [0:0]'));
    const root = lines.filter((l) => l.startsWith('-A cali-from-wl-dispatch '));
    assert.match(
      root[0],
      /^-A cali-from-wl-dispatch -m comment --comment "cali:\S{16}" -i caliA\+ -g cali-from-wl-dispatch-A$/,
    );
    assert.match(root[1], / -i caliB1 -g cali-tw-caliB1$/);
    assert.match(root[3], /"Unknown interface" -j DROP$/);
    assert.equal(lines.at(-2), 'COMMIT');
  });

  it('handles one entry, a name equal to the common prefix, and duplicates', () => {
    const one = dispatchChains({ ...d, entries: [{ iface: 'cali1', chain: 'cali-tw-cali1' }] });
    assert.equal(one.length, 1);
    assert.equal(one[0].rules.length, 2);
    const pre = dispatchChains({
      ...d,
      entries: ['cali1', 'cali12', 'cali13', 'cali1'].map((i) => ({ iface: i, chain: `cali-tw-${i}` })),
    });
    assert.deepEqual(
      pre[0].rules.map((r) => r.match.oif),
      ['cali1', 'cali12', 'cali13', undefined],
    );
    const none = dispatchChains({ ...d, entries: [] });
    assert.deepEqual(none, [{ name: d.name, table: 'filter', rules: [drop] }]);
  });
});
