/**
 * The calculator's shortcuts must not change its output: lists compared by identity with the
 * last snapshot (elements replaced in place, arrays reused and mutated, keys moved, copies),
 * endpoints sharing one plan template, chains and sets patched per family.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Resource } from '../../../../src/api/index.js';
import {
  compilePolicy,
  PolicyCalculator,
  type PolicyInput,
} from '../../../../src/felix/calc/policy/index.js';
import { config, input, np, nsProfile, wep } from './fixtures.js';

const APPS = ['a', 'b', 'c'];

function pod(i: number, app: string, ip: number, ns = 'ns1'): Resource {
  return wep(ns, `p${i}`, {
    iface: `calip${i}`,
    ips: [`198.51.100.${ip}`, `fd00::${ip}`],
    labels: { app },
    ports: [{ name: 'http', protocol: 'TCP', port: 8000 + ip }],
  });
}

function policy(i: number, app: string, from: string, port: number | string, ns = 'ns1'): Resource {
  return np(ns, `pol${i}`, {
    order: i % 3,
    selector: `app == '${app}'`,
    types: ['Ingress', 'Egress'],
    ingress: [
      {
        action: 'Allow',
        protocol: 'TCP',
        source: { selector: `app == '${from}'` },
        destination: { ports: [port] },
      },
    ],
    egress: [{ action: 'Deny', protocol: 'UDP', destination: { selector: `app == '${from}'` } }],
  });
}

/** One step on the lists the calculator is handed (mutated in place, as a caller may). */
const STEP = fc.oneof(
  fc.record({
    op: fc.constant('pod' as const),
    i: fc.integer({ min: 0, max: 5 }),
    app: fc.constantFrom(...APPS),
    ip: fc.integer({ min: 1, max: 9 }),
  }),
  fc.record({
    op: fc.constant('policy' as const),
    i: fc.integer({ min: 0, max: 5 }),
    app: fc.constantFrom(...APPS),
    from: fc.constantFrom(...APPS),
    port: fc.constantFrom<number | string>(80, 81, 'http'),
  }),
  fc.record({
    op: fc.constantFrom('swapPods' as const, 'swapPolicies' as const),
    i: fc.nat(5),
    j: fc.nat(5),
  }),
  fc.record({ op: fc.constantFrom('clonePod' as const, 'clonePolicy' as const), i: fc.nat(5) }),
  fc.record({ op: fc.constantFrom('dropPod' as const, 'dropPolicy' as const), i: fc.nat(5) }),
  fc.record({ op: fc.constant('profile' as const), team: fc.constantFrom('x', 'y') }),
);

describe('felix policy calculator shortcuts', () => {
  it('equal compilePolicy() when the caller mutates and reuses its lists', () => {
    fc.assert(
      fc.property(fc.array(STEP, { minLength: 1, maxLength: 15 }), fc.boolean(), (steps, ipv6) => {
        const pods: Resource[] = Array.from({ length: 6 }, (_, i) => pod(i, APPS[i % 3], i + 1));
        const pols: Resource[] = Array.from({ length: 6 }, (_, i) =>
          policy(i, APPS[i % 3], APPS[(i + 1) % 3], 80),
        );
        const profiles: Resource[] = [nsProfile('ns1', { team: 'x' })];
        const inp: PolicyInput = {
          ...input([]),
          config: config({ ipv6 }),
          profiles,
          workloadEndpoints: pods,
          networkPolicies: pols,
        };
        const calc = new PolicyCalculator();
        assert.deepStrictEqual(calc.update(inp), compilePolicy(inp));
        for (const s of steps) {
          switch (s.op) {
            // Keys stay unique, as in a datastore snapshot: a step replaces the resource of its key.
            case 'pod': {
              const at = pods.findIndex((r) => r.metadata.name?.includes(`-p${s.i}-`));
              if (at >= 0) pods[at] = pod(s.i, s.app, s.ip);
              break;
            }
            case 'policy': {
              const at = pols.findIndex((r) => r.metadata.name === `pol${s.i}`);
              if (at >= 0) pols[at] = policy(s.i, s.app, s.from, s.port);
              break;
            }
            case 'swapPods':
            case 'swapPolicies': {
              const l = s.op === 'swapPods' ? pods : pols;
              if (s.i < l.length && s.j < l.length) [l[s.i], l[s.j]] = [l[s.j], l[s.i]];
              break;
            }
            case 'clonePod':
            case 'clonePolicy': {
              // An equal copy: the same key, another object.
              const l = s.op === 'clonePod' ? pods : pols;
              if (s.i < l.length) l[s.i] = structuredClone(l[s.i]);
              break;
            }
            case 'dropPod':
            case 'dropPolicy': {
              const l = s.op === 'dropPod' ? pods : pols;
              if (s.i < l.length) l.splice(s.i, 1);
              break;
            }
            case 'profile':
              profiles[0] = nsProfile('ns1', { team: s.team });
              break;
          }
          assert.deepStrictEqual(calc.update(inp), compilePolicy(inp));
        }
      }),
      { numRuns: Number(process.env.POLICY_FUZZ_RUNS ?? 150) },
    );
  });

  it('endpoints with the same policies and profiles share their rules', () => {
    const res = [
      nsProfile('ns1'),
      pod(0, 'a', 1),
      pod(1, 'a', 2),
      pod(2, 'b', 3),
      policy(0, 'a', 'b', 80),
      policy(1, 'b', 'a', 80),
    ];
    const out = compilePolicy(input(res));
    const rules = (name: string) => out.v4.chains.find((c) => c.name === name)!.rules;
    assert.equal(rules('cali-tw-calip0'), rules('cali-tw-calip1'));
    assert.notEqual(rules('cali-tw-calip0'), rules('cali-tw-calip2'));
  });
});
