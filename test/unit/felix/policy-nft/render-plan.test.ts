/** Rendering the IR into `table ip calico`, reading `nft -j` back, and the diff scripts. Pure. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Ruleset } from '../../../../src/felix/calc/policy/ruleset.js';
import { expectedKernel, type KernelTable } from '../../../../src/felix/dataplane/policy/nft-model.js';
import { planTable, planTables } from '../../../../src/felix/dataplane/policy/nft-plan.js';
import { parseKernelTable } from '../../../../src/felix/dataplane/policy/nft-read.js';
import {
  buildTable,
  hashedRules,
  hashOfComment,
  renderNft,
  renderTable,
} from '../../../../src/felix/dataplane/policy/nft-render.js';
import { handcraftedRuleset, handcraftedRulesets } from '../../../helpers/policy-conformance-rulesets.js';

const SET = 'cali40s-conformanceAllowToB0000';
const clone = (k: KernelTable): KernelTable => ({
  sets: new Map([...k.sets].map(([n, s]) => [n, { ...s, elements: new Set(s.elements) }])),
  maps: new Map([...k.maps].map(([n, m]) => [n, { ...m, elements: new Map(m.elements) }])),
  chains: new Map(
    [...k.chains].map(([n, c]) => [n, { base: c.base && { ...c.base }, hashes: [...c.hashes] }]),
  ),
  foreign: [...k.foreign],
});

describe('nft render', () => {
  it('names chains <table>-<chain>, base chains <table>-<HOOK> with their priorities, sets without ":"', () => {
    const t = buildTable(handcraftedRuleset(4));
    assert.deepEqual(t.chains.get('filter-FORWARD')?.base, { hook: 'forward', priority: 0 });
    assert.deepEqual(t.chains.get('raw-PREROUTING')?.base, { hook: 'prerouting', priority: -300 });
    assert.ok(t.chains.has('filter-cali-tw-cali0000000b'));
    assert.ok(t.chains.has('raw-cali-PREROUTING'));
    assert.deepEqual(t.sets.get(SET)?.elements, ['203.0.113.1/32']);
    assert.equal(
      t.sets.get('cali40n-conformanceNamedPort000')?.type,
      'ipv4_addr . inet_proto . inet_service',
    );
    assert.equal(
      t.maps.get('filter-cali-to-wl-dispatch')?.elements.get('cali0000000b'),
      'goto filter-cali-tw-cali0000000b',
    );
    const d = t.chains.get('filter-cali-to-wl-dispatch')!.rules.map((r) => r.body);
    assert.deepEqual(d, ['oifname vmap @filter-cali-to-wl-dispatch', 'drop']);
    // Hook rules first, then the appended ones.
    const fwd = t.chains.get('filter-FORWARD')!.rules;
    assert.equal(fwd[0].body, 'jump filter-cali-FORWARD');
    assert.match(fwd[1].comment, /^cali:[A-Za-z0-9_-]{16}; Policy explicitly accepted packet\.$/);
  });

  it('renders a whole script; without v6 the ip6 table is removed', () => {
    const both = renderNft(handcraftedRulesets());
    assert.match(both, /^add table ip calico\ndelete table ip calico\ntable ip calico \{\n/);
    assert.match(both, /\ntable ip6 calico \{\n/);
    assert.match(both, /type filter hook forward priority 0; policy accept;/);
    assert.match(
      both,
      /set cali60s-conformanceAllowToB0000 \{\n {4}type ipv6_addr\n {4}flags interval\n {4}elements = \{ fd00:113::1\/128 \}/,
    );
    const v4only = renderNft(handcraftedRulesets({ ipv6: false }));
    assert.ok(v4only.endsWith('add table ip6 calico\ndelete table ip6 calico\n'));
    assert.ok(!/table ip6 calico \{/.test(v4only));
  });

  it('hashes chain over the chain name, body, text and position; comments are safe and short', () => {
    const a = hashedRules('c', [{ body: 'accept' }, { body: 'accept' }]);
    assert.notEqual(a[0].hash, a[1].hash, 'same body at another position');
    assert.deepEqual(hashedRules('c', [{ body: 'accept' }]), [a[0]], 'stable');
    assert.notEqual(hashedRules('d', [{ body: 'accept' }])[0].hash, a[0].hash);
    assert.notEqual(hashedRules('c', [{ body: 'accept', text: 'x' }])[0].hash, a[0].hash);
    const long = hashedRules('c', [{ body: 'drop', text: `say "hi"\\ ${'y'.repeat(300)}` }])[0];
    assert.ok(long.comment.length <= 127);
    assert.ok(long.comment.startsWith(`cali:${long.hash}; say _hi__ yyy`));
    assert.equal(hashOfComment(long.comment), long.hash);
    assert.equal(hashOfComment(`cali:${a[0].hash}`), a[0].hash);
    assert.equal(hashOfComment('something else'), '');
    assert.equal(hashOfComment(undefined), '');
  });

  it('refuses rulesets nft cannot take', () => {
    const rs = handcraftedRuleset(4);
    const bad: Ruleset = {
      ...rs,
      chains: [
        ...rs.chains,
        {
          name: 'cali-x',
          table: 'filter',
          rules: [{ match: {}, action: { type: 'jump', chain: 'nowhere' } }],
        },
      ],
    };
    assert.throws(() => buildTable(bad), /jumps to unknown chain nowhere/);
    const dup: Ruleset = { ...rs, chains: [...rs.chains, rs.chains[0]] };
    assert.throws(() => buildTable(dup), /defined twice/);
  });
});

describe('nft read', () => {
  it('parses nft -j output into what the desired table expects', () => {
    const json = {
      nftables: [
        { metainfo: { version: '1.0.6', json_schema_version: 1 } },
        { table: { family: 'ip', name: 'calico', handle: 1 } },
        {
          set: {
            family: 'ip',
            name: 's',
            table: 'calico',
            type: 'ipv4_addr',
            flags: ['interval'],
            elem: ['10.0.0.1', { prefix: { addr: '10.1.0.0', len: 16 } }],
          },
        },
        {
          set: {
            family: 'ip',
            name: 'n',
            table: 'calico',
            type: ['ipv4_addr', 'inet_proto', 'inet_service'],
            elem: [{ concat: ['10.0.0.1', 'tcp', 80] }],
          },
        },
        {
          map: {
            family: 'ip',
            name: 'm',
            table: 'calico',
            type: 'ifname',
            map: 'verdict',
            elem: [['cali1', { goto: { target: 'filter-x' } }]],
          },
        },
        { chain: { family: 'ip', table: 'calico', name: 'filter-x', handle: 1 } },
        {
          chain: {
            family: 'ip',
            table: 'calico',
            name: 'filter-FORWARD',
            handle: 2,
            type: 'filter',
            hook: 'forward',
            prio: 0,
            policy: 'accept',
          },
        },
        {
          rule: {
            family: 'ip',
            table: 'calico',
            chain: 'filter-x',
            handle: 5,
            comment: 'cali:AAAAAAAAAAAAAAAA; hi',
            expr: [],
          },
        },
        { rule: { family: 'ip', table: 'calico', chain: 'filter-x', handle: 6, expr: [] } },
        {
          rule: {
            family: 'ip',
            table: 'calico',
            chain: 'filter-FORWARD',
            handle: 7,
            comment: 'cali:BBBBBBBBBBBBBBBB',
            expr: [],
          },
        },
      ],
    };
    const k = parseKernelTable(json);
    assert.deepEqual([...k.sets.get('s')!.elements], ['10.0.0.1/32', '10.1.0.0/16']);
    assert.equal(k.sets.get('s')!.interval, true);
    assert.equal(k.sets.get('n')!.type, 'ipv4_addr . inet_proto . inet_service');
    assert.deepEqual([...k.sets.get('n')!.elements], ['10.0.0.1 . tcp . 80']);
    assert.deepEqual([...k.maps.get('m')!.elements], [['cali1', 'goto filter-x']]);
    assert.equal(k.maps.get('m')!.type, 'ifname : verdict');
    assert.deepEqual(k.chains.get('filter-x'), { base: undefined, hashes: ['AAAAAAAAAAAAAAAA', ''] });
    assert.deepEqual(k.chains.get('filter-FORWARD')?.base, {
      type: 'filter',
      hook: 'forward',
      prio: 0,
      policy: 'accept',
    });
    assert.deepEqual(k.foreign, []);
    assert.deepEqual(parseKernelTable({ nftables: [{ flowtable: { name: 'f' } }] }).foreign, ['flowtable']);
  });
});

describe('nft plan', () => {
  const t1 = buildTable(handcraftedRuleset(4));
  const k1 = expectedKernel(t1);

  it('nothing to do when the kernel matches', () => {
    assert.deepEqual(planTable('ip', t1, k1), { script: '', changes: 0 });
    assert.deepEqual(planTable('ip6', undefined, undefined), { script: '', changes: 0 });
  });

  it('a set member changes element by element, no rule rewritten', () => {
    const t2 = buildTable(handcraftedRuleset(4, { allowed: ['a', 'c'] }));
    const p = planTable('ip', t2, k1);
    assert.equal(p.script, `add element ip calico ${SET} { 203.0.113.3/32 }\n`);
    assert.equal(p.changes, 1);
    const back = planTable('ip', t1, expectedKernel(t2));
    assert.equal(back.script, `delete element ip calico ${SET} { 203.0.113.3/32 }\n`);
    // A wider CIDR replacing narrower ones: deletions first (interval sets refuse overlaps).
    const k = clone(k1);
    k.sets.get(SET)!.elements = new Set(['203.0.113.1/32', '198.51.100.0/24']);
    assert.deepEqual(
      planTable('ip', t1, k).script.split('\n')[0],
      `delete element ip calico ${SET} { 198.51.100.0/24 }`,
    );
  });

  it('a changed chain is flushed and refilled in the same script; other chains untouched', () => {
    const k = clone(k1);
    k.chains.get('filter-cali-tw-cali0000000b')!.hashes.splice(1, 1);
    const lines = planTable('ip', t1, k).script.trim().split('\n');
    assert.equal(lines[0], 'flush chain ip calico filter-cali-tw-cali0000000b');
    assert.equal(lines.length, 1 + t1.chains.get('filter-cali-tw-cali0000000b')!.rules.length);
    assert.ok(lines.slice(1).every((l) => l.startsWith('add rule ip calico filter-cali-tw-cali0000000b ')));
    assert.match(lines[1], /comment "cali:[A-Za-z0-9_-]{16}"$/);
  });

  it('objects that should not exist go after their references: maps, then chains, then sets', () => {
    const k = clone(k1);
    k.chains.set('filter-old', { hashes: ['x'] });
    k.maps.set('filter-old', { type: 'ifname : verdict', elements: new Map([['cali9', 'goto filter-old']]) });
    k.sets.set('cali40s-old', { type: 'ipv4_addr', interval: true, elements: new Set() });
    k.maps.get('filter-cali-to-wl-dispatch')!.elements.set('cali0000000b', 'goto filter-old');
    assert.deepEqual(planTable('ip', t1, k).script.trim().split('\n'), [
      'flush chain ip calico filter-old',
      'delete element ip calico filter-cali-to-wl-dispatch { "cali0000000b" }',
      'add element ip calico filter-cali-to-wl-dispatch { "cali0000000b" : goto filter-cali-tw-cali0000000b }',
      'delete map ip calico filter-old',
      'delete chain ip calico filter-old',
      'delete set ip calico cali40s-old',
    ]);
  });

  it('new objects are declared before anything references them', () => {
    const k = clone(k1);
    k.chains.delete('filter-cali-tw-cali0000000c');
    k.maps.delete('filter-cali-to-wl-dispatch');
    k.sets.delete(SET);
    const lines = planTable('ip', t1, k).script.trim().split('\n');
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
    assert.ok(at(`add set ip calico ${SET} { type ipv4_addr; flags interval; }`) >= 0);
    assert.ok(
      at('add chain ip calico filter-cali-tw-cali0000000c') <
        at('add rule ip calico filter-cali-tw-cali0000000c'),
    );
    assert.ok(
      at('add map ip calico filter-cali-to-wl-dispatch') <
        at('add element ip calico filter-cali-to-wl-dispatch'),
    );
    assert.ok(
      at('add chain ip calico filter-cali-tw-cali0000000c') <
        at('add element ip calico filter-cali-to-wl-dispatch'),
    );
    assert.ok(
      lines.every((l) => !l.startsWith('flush')),
      'nothing flushed',
    );
  });

  it('structural problems replace the table in one transaction', () => {
    const missing = planTable('ip', t1, undefined);
    assert.ok(missing.script.startsWith('add table ip calico\ndelete table ip calico\ntable ip calico {\n'));
    assert.equal(missing.script, `add table ip calico\ndelete table ip calico\n${renderTable(t1)}`);
    assert.equal(missing.rebuilt, 'the table is missing');
    const wrongHook = clone(k1);
    wrongHook.chains.get('filter-FORWARD')!.base!.prio = 10;
    assert.match(planTable('ip', t1, wrongHook).rebuilt ?? '', /wrong hook/);
    const wrongType = clone(k1);
    wrongType.sets.get(SET)!.interval = false;
    assert.match(planTable('ip', t1, wrongType).rebuilt ?? '', /wrong type/);
    const foreign = clone(k1);
    foreign.foreign.push('flowtable');
    assert.match(planTable('ip', t1, foreign).rebuilt ?? '', /never create/);
    const notBase = clone(k1);
    notBase.chains.get('filter-FORWARD')!.base = undefined;
    assert.match(planTable('ip', t1, notBase).rebuilt ?? '', /not a base chain/);
  });

  it('after a change only the changed objects are compared and written (the rest by identity)', () => {
    const rs = handcraftedRuleset(4);
    const first = buildTable(rs);
    const again = buildTable({ ...rs, chains: [...rs.chains] });
    for (const [name, c] of first.chains) {
      if (!c.base) assert.equal(again.chains.get(name), c, `${name} reused`);
    }
    assert.equal(again.sets.get(SET), first.sets.get(SET));
    assert.deepEqual(planTable('ip', again, expectedKernel(first)), { script: '', changes: 0 });
    // One chain replaced by an equal-content copy and one by a changed one.
    const i = rs.chains.findIndex((c) => c.name === 'cali-tw-cali0000000b');
    const j = rs.chains.findIndex((c) => c.name === 'cali-pi-conformance');
    const chains = [...rs.chains];
    chains[i] = { ...chains[i], rules: [...chains[i].rules] };
    chains[j] = { ...chains[j], rules: chains[j].rules.slice(1) };
    const t2 = buildTable({ ...rs, chains });
    const lines = planTable('ip', t2, expectedKernel(first)).script.trim().split('\n');
    assert.equal(lines[0], 'flush chain ip calico filter-cali-pi-conformance');
    assert.ok(lines.slice(1).every((l) => l.startsWith('add rule ip calico filter-cali-pi-conformance ')));
    assert.equal(lines.length, 1 + t2.chains.get('filter-cali-pi-conformance')!.rules.length);
  });

  it('both families in one script; a family no longer wanted is deleted', () => {
    const t6 = buildTable(handcraftedRuleset(6));
    const p = planTables({ ip: t1, ip6: undefined }, { ip: k1, ip6: expectedKernel(t6) });
    assert.equal(p.script, 'add table ip6 calico\ndelete table ip6 calico\n');
    assert.equal(p.changes, 1);
    const q = planTables({ ip: t1, ip6: t6 }, { ip: k1, ip6: undefined });
    assert.match(q.rebuilt ?? '', /^ip6: the table is missing$/);
  });
});
