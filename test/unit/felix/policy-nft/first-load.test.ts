/** The split first load's scripts (nft-first-load.ts): hooks only in the tail, every rule once. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstLoadScripts, worthSplitting } from '../../../../src/felix/dataplane/policy/nft-first-load.js';
import { buildTables } from '../../../../src/felix/dataplane/policy/nft-render.js';
import { handcraftedRulesets } from '../../../helpers/policy-conformance-rulesets.js';

const comments = (text: string) => text.match(/comment "cali:[^"]*"/g) ?? [];

describe('split first load', () => {
  const built = buildTables(handcraftedRulesets());

  it('declares everything in the head, fills chains in balanced parts, hooks in the tail', () => {
    const s = firstLoadScripts(built, 2);
    assert.doesNotMatch(s.head, /hook/, 'nothing in the head sees a packet');
    assert.equal(comments(s.head).length, 0, 'the head holds no rules');
    assert.equal(s.parts.length, 2);
    for (const p of s.parts) assert.doesNotMatch(p, /hook/);
    const bases = [...built.ip!.chains.values(), ...built.ip6!.chains.values()].filter((c) => c.base);
    assert.ok(bases.length > 0);
    for (const c of bases) assert.ok(s.tail.includes(`chain ${c.name} {`), c.name);
    // Every rule exactly once, across parts and tail.
    const all = [...built.ip!.chains.values(), ...built.ip6!.chains.values()].flatMap((c) => c.rules);
    const written = [...s.parts, s.tail].flatMap(comments);
    assert.equal(written.length, all.length);
    // Greedy balance: the parts differ by at most the biggest chain.
    const biggest = Math.max(...[...built.ip!.chains.values()].map((c) => c.rules.length));
    const [a, b] = s.parts.map((p) => comments(p).length);
    assert.ok(Math.abs(a - b) <= biggest, `balanced: ${a} vs ${b} (biggest chain ${biggest})`);
  });

  it('deletes tables we do not want in the tail', () => {
    const s = firstLoadScripts({ ip: built.ip, ip6: undefined }, 2, ['ip6']);
    assert.match(s.tail, /delete table ip6 calico/);
    assert.doesNotMatch(s.head, /ip6/);
  });

  it('splits only big loads on several CPUs', () => {
    assert.equal(worthSplitting(built, 1, 1), false);
    assert.equal(worthSplitting(built, 2, 1), true);
    assert.equal(worthSplitting(built, 2, 1_000_000), false);
  });
});
