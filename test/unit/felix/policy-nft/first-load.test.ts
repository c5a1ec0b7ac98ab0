/** The split first load's scripts (nft-first-load.ts): hooks only in the tail, every rule once. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstLoadScripts, worthSplitting } from '../../../../src/felix/dataplane/policy/nft-first-load.js';
import { buildTables } from '../../../../src/felix/dataplane/policy/nft-render.js';
import { handcraftedRulesets } from '../../../helpers/policy-conformance-rulesets.js';

const comments = (text: string) => text.match(/comment "cali:[^"]*"/g) ?? [];

describe('split first load', () => {
  const built = buildTables(handcraftedRulesets());

  it('fills chains in balanced self-contained parts, hooks only in the tail', () => {
    const s = firstLoadScripts(built, 2);
    assert.equal(s.parts.length, 2);
    for (const p of s.parts) assert.doesNotMatch(p, /hook/, 'no part sees a packet');
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

  it('declares in each part what its rules refer to; elements are added once', () => {
    const s = firstLoadScripts(built, 2);
    for (const p of s.parts) {
      for (const block of p.split(/^table /m).slice(1)) {
        const declared = new Set([...block.matchAll(/^ {2}(?:chain|set|map) (\S+) \{/gm)].map((m) => m[1]));
        for (const m of block.matchAll(/\b(?:jump|goto) ([^\s,]+)/g))
          assert.ok(declared.has(m[1]), `chain ${m[1]}`);
        for (const m of block.matchAll(/@([^\s,]+)/g)) assert.ok(declared.has(m[1]), `set or map ${m[1]}`);
      }
    }
    const elementLines = (text: string) => text.match(/^ {4}elements = .*$/gm) ?? [];
    const want = [built.ip!, built.ip6!].flatMap((t) =>
      [...t.sets.values(), ...t.maps.values()].filter((x) =>
        'type' in x ? x.elements.length > 0 : x.elements.size > 0,
      ),
    );
    assert.ok(want.length > 0);
    assert.equal(s.parts.flatMap(elementLines).length, want.length, 'each set or map filled by one part');
  });

  it('deletes tables we do not want in the tail', () => {
    const s = firstLoadScripts({ ip: built.ip, ip6: undefined }, 2, ['ip6']);
    assert.match(s.tail, /delete table ip6 calico/);
    for (const p of s.parts) assert.doesNotMatch(p, /ip6/);
  });

  it('splits only big loads on several CPUs', () => {
    assert.equal(worthSplitting(built, 1, 1), false);
    assert.equal(worthSplitting(built, 2, 1), true);
    assert.equal(worthSplitting(built, 2, 1_000_000), false);
  });
});
