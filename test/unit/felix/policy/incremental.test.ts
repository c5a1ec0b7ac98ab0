/** Property: the incremental calculator always returns what a from-scratch compile returns. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Resource } from '../../../../src/api/index.js';
import { compilePolicy, PolicyCalculator } from '../../../../src/felix/calc/policy/index.js';
import {
  config,
  globalNetworkSet,
  gnp,
  hep,
  input,
  np,
  nsProfile,
  tier,
  wep,
  networkSet,
} from './fixtures.js';

const APPS = ['a', 'b', 'c'];
const SELECTORS = [
  '',
  "app == 'a'",
  "app in {'a', 'b'}",
  "app != 'c'",
  'has(app)',
  "role == 'host'",
  'all()',
];
const ENTITY: fc.Arbitrary<object> = fc.oneof(
  fc.constant({}),
  fc.record({ selector: fc.constantFrom(...SELECTORS.filter(Boolean)) }),
  fc.record({ notSelector: fc.constantFrom("app == 'b'", 'has(role)') }),
  fc.record({ namespaceSelector: fc.constantFrom("team == 'x'", 'all()', 'global()') }),
  fc.record({ nets: fc.constantFrom(['198.51.100.0/25'], ['fd00::/64'], ['203.0.113.0/24', 'fd00:1::/64']) }),
  fc.record({ notNets: fc.constantFrom(['198.51.100.128/25'], ['fd00::/64']) }),
  fc.record({ serviceAccounts: fc.constantFrom({ names: ['sa1'] }, { selector: "role == 'web'" }) }),
);
const PORTS = fc.constantFrom([80], ['http'], ['8000:8100', 'http'], [22, 'dns']);

const RULE = fc
  .record({
    action: fc.constantFrom('Allow', 'Deny', 'Pass', 'Log'),
    protocol: fc.constantFrom(undefined, 'TCP', 'UDP', 'ICMP'),
    ipVersion: fc.constantFrom(undefined, undefined, 4, 6),
    source: ENTITY,
    destination: ENTITY,
    ports: fc.option(PORTS),
  })
  .map(({ action, protocol, ipVersion, source, destination, ports }) => {
    const r: Record<string, unknown> = { action, source, destination };
    if (protocol) r.protocol = protocol;
    if (ipVersion) r.ipVersion = ipVersion;
    if (ports && (protocol === 'TCP' || protocol === 'UDP')) r.destination = { ...destination, ports };
    return r;
  });

const POLICY_SPEC = fc
  .record({
    tier: fc.constantFrom(undefined, 'default', 't1', 'kube-admin'),
    order: fc.constantFrom(undefined, 1, 2, 100),
    selector: fc.constantFrom(...SELECTORS),
    types: fc.constantFrom(undefined, ['Ingress'], ['Egress'], ['Ingress', 'Egress']),
    ingress: fc.array(RULE, { maxLength: 3 }),
    egress: fc.array(RULE, { maxLength: 2 }),
    flavour: fc.constantFrom('normal', 'normal', 'forward', 'preDNAT', 'untracked'),
  })
  .map(({ flavour, ...s }) => {
    const spec: Record<string, unknown> = { ...s };
    for (const k of Object.keys(spec)) if (spec[k] === undefined) delete spec[k];
    if (flavour !== 'normal') spec.applyOnForward = true;
    if (flavour === 'preDNAT') {
      spec.preDNAT = true;
      spec.types = ['Ingress'];
      delete spec.egress;
    }
    if (flavour === 'untracked') spec.doNotTrack = true;
    return spec;
  });

/** One slot of the world: each mutation replaces (or deletes) the resource of one slot. */
type Slot = (v: number) => fc.Arbitrary<Resource | null>;

const SLOTS: Slot[] = [
  ...[0, 1, 2, 3, 4].map(
    (i): Slot =>
      () =>
        fc.option(
          fc
            .record({
              ns: fc.constantFrom('ns1', 'ns2'),
              node: fc.constantFrom('node1', 'node1', 'node2'),
              app: fc.constantFrom(...APPS),
              ip: fc.integer({ min: 1, max: 6 }),
              v6: fc.boolean(),
              port: fc.constantFrom(undefined, 8080, 8081),
              sa: fc.constantFrom(undefined, 'sa1', 'sa2'),
            })
            .map((o) =>
              wep(o.ns, `p${i}`, {
                node: o.node,
                ips: [`198.51.100.${o.ip}`, ...(o.v6 ? [`fd00::${o.ip}`] : [])],
                labels: { app: o.app },
                ...(o.sa ? { sa: o.sa } : {}),
                ...(o.port ? { ports: [{ name: 'http', protocol: 'TCP', port: o.port }] } : {}),
              }),
            ),
        ),
  ),
  ...[0, 1, 2, 3, 4, 5].map(
    (i): Slot =>
      () =>
        fc.option(
          fc.tuple(fc.constantFrom('ns1', 'ns2', 'global', 'knp'), POLICY_SPEC).map(([where, spec]) =>
            where === 'global'
              ? gnp(`pol${i}`, spec)
              : np(where === 'knp' ? 'ns1' : where, where === 'knp' ? `knp.default.pol${i}` : `pol${i}`, {
                  ...spec,
                  applyOnForward: undefined,
                  preDNAT: undefined,
                  doNotTrack: undefined,
                }),
          ),
        ),
  ),
  ...['ns1', 'ns2'].map(
    (ns): Slot =>
      () =>
        fc.option(fc.constantFrom('x', 'y').map((team) => nsProfile(ns, { team }))),
  ),
  () =>
    fc.option(
      fc
        .record({
          order: fc.constantFrom(undefined, 10, 2_000_000),
          action: fc.constantFrom(undefined, 'Pass', 'Deny'),
        })
        .map((t) => tier('t1', t.order, t.action as 'Pass' | 'Deny' | undefined)),
    ),
  ...[0, 1].map(
    (i): Slot =>
      () =>
        fc.option(
          fc
            .record({
              iface: fc.constantFrom('eth0', 'eth1', '*'),
              node: fc.constantFrom('node1', 'node2'),
              profile: fc.boolean(),
            })
            .map((o) =>
              hep(`h${i}`, {
                node: o.node,
                iface: o.iface,
                ips: [`192.0.2.${i + 1}`],
                labels: { role: 'host' },
                ...(o.profile ? { profiles: ['projectcalico-default-allow'] } : {}),
              }),
            ),
        ),
  ),
  () =>
    fc.option(
      fc
        .constantFrom(['203.0.113.0/28'], ['203.0.113.16/28', 'fd00:2::/64'])
        .map((nets) => networkSet('ns1', 'set0', [...nets], { app: 'a' })),
    ),
  () =>
    fc.option(
      fc
        .constantFrom(['192.0.2.128/25'], ['192.0.2.0/25'])
        .map((nets) => globalNetworkSet('gs0', [...nets], { role: 'host' })),
    ),
];

const MUTATION = fc.integer({ min: 0, max: SLOTS.length - 1 }).chain((slot) =>
  fc.record({
    slot: fc.constant(slot),
    value: SLOTS[slot](slot),
    // Sometimes hand over an equal copy instead of the same object (content comparison path).
    cloneOthers: fc.boolean(),
  }),
);

describe('felix policy incremental calculator', () => {
  it('update() equals compilePolicy() after every step of random update sequences', () => {
    fc.assert(
      fc.property(
        fc.tuple(...SLOTS.map((s, i) => s(i))),
        fc.array(MUTATION, { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        (initial, mutations, ipv6) => {
          const world: (Resource | null)[] = [...initial];
          const calc = new PolicyCalculator();
          const cfg = config({ ipv6 });
          const check = () => {
            const inp = input(
              world.filter((r): r is Resource => r !== null),
              { config: cfg },
            );
            assert.deepStrictEqual(calc.update(inp), compilePolicy(inp));
          };
          check();
          for (const m of mutations) {
            world[m.slot] = m.value;
            if (m.cloneOthers) {
              for (let i = 0; i < world.length; i++) if (world[i]) world[i] = structuredClone(world[i]);
            }
            check();
          }
        },
      ),
      { numRuns: Number(process.env.POLICY_FUZZ_RUNS ?? 100) },
    );
  });

  it('reuses compiled chains for unchanged policies', () => {
    const res = [
      nsProfile('ns1'),
      wep('ns1', 'a', { ips: ['198.51.100.1'], labels: { app: 'a' } }),
      np('ns1', 'p1', { selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Allow' }] }),
      np('ns1', 'p2', { selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Deny' }] }),
    ];
    const calc = new PolicyCalculator();
    const first = calc.update(input(res));
    const changed = res.slice();
    changed[3] = np('ns1', 'p2', { selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Log' }] });
    const second = calc.update(input(changed));
    const chain = (out: typeof first, name: string) => out.v4.chains.find((c) => c.name === name);
    assert.equal(chain(first, 'cali-pi-np/ns1/p1'), chain(second, 'cali-pi-np/ns1/p1'), 'same object reused');
    assert.notEqual(chain(first, 'cali-pi-np/ns1/p2'), chain(second, 'cali-pi-np/ns1/p2'));
  });
});
