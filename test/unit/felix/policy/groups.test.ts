/**
 * Policy groups: consecutive policies of a tier with the same selector are jumped to through one
 * `cali-gi-` / `cali-go-` chain. Verdicts must be exactly those of jumping to each policy in turn
 * (proven against a brute-force model of the tier semantics with the reference evaluator).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resource } from '../../../../src/api/index.js';
import { compilePolicy, PolicyCalculator, type Ruleset } from '../../../../src/felix/calc/policy/index.js';
import { evaluate } from './evaluate.js';
import { input, np, nsProfile, tier, wep } from './fixtures.js';

const A = '198.51.100.1';
const B = '198.51.100.2';
const N = 23;
const S = "app == 'server'";
const S2 = "app == 'server' && has(app)";
type Act = 'Allow' | 'Deny' | 'Pass' | 'None';
/** Policy i's action on ports 1000+i and 1500+i (None: no rule there). */
const act = (i: number): Act => (['Allow', 'Deny', 'Pass', 'None'] as const)[(i * 7) % 4];
/** Ports several policies have a rule for: the first in order decides. */
const SHARED: Record<number, [number, Act][]> = {
  5000: [
    [7, 'Pass'],
    [12, 'Deny'],
    [13, 'Allow'],
  ],
  5001: [
    [16, 'Deny'],
    [17, 'Allow'],
  ],
  5002: [
    [4, 'None'],
    [9, 'Allow'],
    [10, 'Deny'],
  ],
};
const PORTS = [
  ...Array.from({ length: N }, (_, i) => 1000 + i),
  ...Array.from({ length: N }, (_, i) => 1500 + i),
  5000,
  5001,
  5002,
  4000,
];

function rulesOf(i: number, dir: 'in' | 'out'): object[] {
  const rule = (action: Act, port: number) =>
    action === 'None'
      ? []
      : [
          dir === 'in'
            ? { action, protocol: 'TCP', destination: { ports: [port] } }
            : { action, protocol: 'TCP', destination: { ports: [port] } },
        ];
  const shared = Object.entries(SHARED).flatMap(([port, list]) =>
    list.filter(([j]) => j === i).flatMap(([, a]) => rule(a, Number(port))),
  );
  return [...rule(act(i), 1000 + i), ...rule(act(i), 1500 + i), ...shared];
}

function resources(selectorOf: (i: number) => string): Resource[] {
  return [
    nsProfile('ns1'),
    wep('ns1', 'a', { ips: [A], labels: { app: 'client' } }),
    wep('ns1', 'b', { ips: [B], labels: { app: 'server' } }),
    tier('sec', 10),
    ...Array.from({ length: N }, (_, i) =>
      np('ns1', `g${i}`, {
        tier: 'sec',
        order: i,
        selector: selectorOf(i),
        types: ['Ingress', 'Egress'],
        ingress: rulesOf(i, 'in'),
        egress: rulesOf(i, 'out'),
      }),
    ),
    // The next tier tells a Pass from an Allow: it denies 1000-1499 and allows 1500-1999 and 5000.
    np('ns1', 'after', {
      order: 1,
      selector: S,
      types: ['Ingress', 'Egress'],
      ingress: [
        { action: 'Deny', protocol: 'TCP', destination: { ports: ['1000:1499'] } },
        { action: 'Allow', protocol: 'TCP', destination: { ports: ['1500:1999', 5000] } },
      ],
      egress: [
        { action: 'Deny', protocol: 'TCP', destination: { ports: ['1000:1499'] } },
        { action: 'Allow', protocol: 'TCP', destination: { ports: ['1500:1999', 5000] } },
      ],
    }),
  ];
}

/** The tiers' semantics, policy by policy. */
function expected(port: number): 'accept' | 'drop' {
  let decided: Act = 'None';
  for (let i = 0; i < N && decided === 'None'; i++) {
    const own = port === 1000 + i || port === 1500 + i ? act(i) : 'None';
    const shared = SHARED[port]?.find(([j]) => j === i)?.[1] ?? 'None';
    decided = own !== 'None' ? own : shared;
  }
  if (decided === 'Allow') return 'accept';
  if (decided !== 'Pass') return 'drop'; // Deny, or the end of tier sec
  if (port >= 1000 && port <= 1499) return 'drop';
  return (port >= 1500 && port <= 1999) || port === 5000 ? 'accept' : 'drop';
}

function checkVerdicts(rs: Ruleset): void {
  for (const dport of PORTS) {
    const want = expected(dport);
    const packet = { proto: 'tcp' as const, sport: 40000, dport };
    const inbound = evaluate(rs, 'forward', { ...packet, iif: 'calia', oif: 'calib', src: A, dst: B });
    assert.equal(inbound.verdict, want, `a → b port ${dport}: ${inbound.trace.join(' → ')}`);
    const outbound = evaluate(rs, 'forward', { ...packet, iif: 'calib', oif: 'calia', src: B, dst: A });
    // a's own chains allow everything (profile), so b's egress decides.
    assert.equal(outbound.verdict, want, `b → a port ${dport}: ${outbound.trace.join(' → ')}`);
  }
}

const chain = (rs: Ruleset, name: string) => rs.chains.find((c) => c.name === name)!;
const jumps = (rs: Ruleset, name: string) =>
  chain(rs, name).rules.flatMap((r) => (r.action.type === 'jump' ? [r.action.chain] : []));

describe('policy groups', () => {
  const mixed = (i: number) => (i === 10 ? S2 : S);

  it('one group chain per run of policies sharing a selector; a run of one is inlined', () => {
    const rs = compilePolicy(input(resources(mixed))).v4;
    const tw = jumps(rs, 'cali-tw-calib').filter((c) => !c.startsWith('cali-pri-'));
    assert.equal(tw.length, 3 + 1, `${tw.join(', ')}`);
    assert.match(tw[0], /^cali-gi-[A-Za-z0-9_-]{20}$/);
    assert.equal(tw[1], 'cali-pi-np/ns1/g10');
    assert.match(tw[2], /^cali-gi-[A-Za-z0-9_-]{20}$/);
    assert.equal(tw[3], 'cali-pi-np/ns1/after');
    assert.match(jumps(rs, 'cali-fw-calib')[0], /^cali-go-[A-Za-z0-9_-]{20}$/);
    // 12 policies: 12 jumps and a "Return on verdict" after the 5th and the 10th.
    const g = chain(rs, tw[2]);
    assert.equal(g.rules.length, 12 + 2);
    assert.deepEqual(
      g.rules.flatMap((r, i) => (r.comment === 'Return on verdict' ? [i] : [])),
      [5, 11],
    );
    assert.deepEqual(g.rules[0].match, {}, 'the first jump of a block is not guarded');
    assert.ok(g.rules[1].match.mark, 'later jumps run only without a verdict');
    assert.deepEqual(
      jumps(rs, tw[2]),
      Array.from({ length: 12 }, (_, k) => `cali-pi-np/ns1/g${11 + k}`),
    );
    // Every policy chain still exists; only the endpoint chains shrink.
    for (let i = 0; i < N; i++) assert.ok(chain(rs, `cali-pi-np/ns1/g${i}`));
  });

  it('verdicts are those of the policies in order (allow, deny, pass, no match; across blocks of 5)', () => {
    checkVerdicts(compilePolicy(input(resources(mixed))).v4);
    checkVerdicts(compilePolicy(input(resources(() => S))).v4);
    checkVerdicts(compilePolicy(input(resources((i) => (i % 2 ? S : S2)))).v4);
  });

  it('a selector change regroups the endpoint chains incrementally; unchanged groups keep their objects', () => {
    const calc = new PolicyCalculator();
    const first = calc.update(input(resources(mixed))).v4;
    const groupsBefore = first.chains.filter((c) => c.name.startsWith('cali-gi-'));
    assert.equal(groupsBefore.length, 2);
    // Unrelated change: the group chains are the same objects.
    const again = calc.update(input([...resources(mixed), wep('ns1', 'z', { ips: ['198.51.100.9'] })])).v4;
    for (const g of groupsBefore) assert.equal(chain(again, g.name), g);
    // Policy 10 now shares the selector: one group of 23, the old chains are gone.
    const merged = calc.update(input(resources(() => S))).v4;
    const groups = merged.chains.filter((c) => c.name.startsWith('cali-gi-'));
    assert.equal(groups.length, 1);
    assert.equal(jumps(merged, groups[0].name).length, N);
    const names = new Set([...merged.chains, ...merged.dispatches].map((c) => c.name));
    for (const c of merged.chains)
      for (const r of c.rules)
        if (r.action.type === 'jump') assert.ok(names.has(r.action.chain), `${c.name} → ${r.action.chain}`);
    checkVerdicts(merged);
    assert.deepEqual(merged, compilePolicy(input(resources(() => S))).v4, 'same as a compile from scratch');
  });
});
