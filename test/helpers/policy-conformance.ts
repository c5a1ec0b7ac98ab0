/**
 * One conformance suite for every policy backend (nftables, iptables + ipset): real namespaces,
 * real traffic. A host namespace with four pods wired as Calico wires them (see
 * policy-conformance-lab.ts), rulesets in the compiler's IR (policy-conformance-rulesets.ts), and
 * probes that must be allowed or denied; then the same verdicts with rulesets the real compiler
 * builds from Calico resources (policy-conformance-compiled.ts).
 *
 * Conventions the suite holds every backend to:
 * - `changes` counts kernel operations; one set member added or removed is exactly one change
 *   (no rule is rewritten for it), and a pass with nothing to do reports 0.
 * - A new backend instance over existing kernel state reads the kernel on its first reconcile
 *   (with or without `full`) and, when the state is already right, changes nothing.
 * - `reconcile({ full: true })` repairs any drift (`opts.drifts` say how to cause it; defaults
 *   exist for `nftables` and `iptables`).
 *
 * Usage: `policyBackendConformance('nftables', (runner) => new NftPolicyBackend({ runner }), { netnsPrefix: 'pnf-' })`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { Family, PolicyRulesets } from '../../src/felix/calc/policy/ruleset.js';
import type { PolicyBackend } from '../../src/felix/dataplane/policy/backend.js';
import { kernelRunner, type Runner } from '../../src/felix/dataplane/runner.js';
import type { Netns } from './netns.js';
import { compiledRulesets } from './policy-conformance-compiled.js';
import { createPolicyLab, type PolicyLab, type ProbeProto } from './policy-conformance-lab.js';
import {
  allowSetName,
  handcraftedRulesets,
  pod,
  podIP,
  PODS,
  type ConformanceState,
} from './policy-conformance-rulesets.js';

export type { ConformanceState };

/** Damages the backend's kernel state in the host namespace, as an admin or another program might. */
export type Drift = (host: Netns) => Promise<void>;

export interface ConformanceOptions {
  /** Namespace name prefix, unique to the caller (default `pc-<name>-`). */
  netnsPrefix?: string;
  /** Drift cases by label (default: built-in ones for `nftables` / `iptables`). */
  drifts?: Record<string, Drift>;
}

/** An expected verdict: `from` → `to`:`port` over `proto` in `family`. */
export interface Expect {
  from: string;
  to: string;
  port: number;
  proto?: ProbeProto;
  family?: Family;
  allowed: boolean;
}

async function sh(host: Netns, script: string): Promise<void> {
  await host.must('sh', ['-c', script]);
}

export function defaultDrifts(name: string): Record<string, Drift> {
  const v4set = allowSetName(4);
  const tw = `cali-tw-${pod('b').iface}`;
  if (name === 'nftables') {
    const nftSet = v4set.replace(':', '-');
    return {
      'table flushed': (h) => sh(h, 'nft flush table ip calico'),
      'tables deleted': (h) => sh(h, 'nft delete table ip calico; nft delete table ip6 calico'),
      'chain flushed': (h) => sh(h, `nft flush chain ip calico filter-${tw}`),
      'rule inserted by hand': (h) => sh(h, `nft insert rule ip calico filter-${tw} accept`),
      'set member deleted': (h) => sh(h, `nft delete element ip calico ${nftSet} '{ ${pod('a').ip4}/32 }'`),
      'dispatch map element deleted': (h) =>
        sh(h, `nft delete element ip calico filter-cali-to-wl-dispatch '{ "${pod('b').iface}" }'`),
    };
  }
  if (name === 'iptables') {
    return {
      'filter table flushed': (h) => sh(h, 'iptables -w -t filter -F; ip6tables -w -t filter -F'),
      'chain flushed': (h) => sh(h, `iptables -w -t filter -F ${tw}`),
      'rule inserted by hand': (h) => sh(h, `iptables -w -t filter -I ${tw} -j ACCEPT`),
      'set member deleted': (h) => sh(h, `ipset del ${v4set} ${pod('a').ip4}`),
    };
  }
  return {};
}

/** The verdicts of the default handcrafted ruleset (allowed = the pods in B's set). */
export function baseExpectations(allowed: string[] = ['a'], family: Family = 4): Expect[] {
  const inSet = (l: string) => allowed.includes(l);
  return [
    { from: 'a', to: 'b', port: 8080, allowed: inSet('a') },
    { from: 'c', to: 'b', port: 8080, allowed: inSet('c') },
    { from: 'a', to: 'b', port: 9090, allowed: false },
    { from: 'a', to: 'b', port: 5353, proto: 'udp', allowed: inSet('a') },
    { from: 'c', to: 'b', port: 5353, proto: 'udp', allowed: inSet('c') },
    { from: 'a', to: 'b', port: 7070, allowed: true },
    { from: 'c', to: 'b', port: 7070, allowed: false },
    { from: 'b', to: 'a', port: 8080, allowed: false },
    { from: 'a', to: 'c', port: 8080, allowed: true },
    { from: 'd', to: 'c', port: 8080, allowed: false },
  ].map((e) => ({ ...e, family }) as Expect);
}

/** Everything reachable (no policy). */
function openExpectations(family: Family): Expect[] {
  return [
    { from: 'a', to: 'b', port: 9090, allowed: true, family },
    { from: 'c', to: 'b', port: 8080, allowed: true, family },
    { from: 'd', to: 'c', port: 8080, allowed: true, family },
  ];
}

export function policyBackendConformance(
  name: string,
  makeBackend: (runner: Runner) => PolicyBackend,
  opts: ConformanceOptions = {},
): void {
  const prefix = opts.netnsPrefix ?? `pc-${name}-`;
  const skip = process.getuid?.() !== 0 ? 'needs root (network namespaces)' : undefined;

  describe(`policy backend conformance: ${name}`, { skip }, () => {
    let lab: PolicyLab;
    let runner: Runner;
    let backend: PolicyBackend;

    const probe = (e: Expect, timeoutMs = 1000): Promise<boolean> => {
      const from = lab.pods.get(e.from);
      if (!from) throw new Error(`no pod ${e.from}`);
      return from.agent.probe(e.proto ?? 'tcp', podIP(e.to, e.family ?? 4), e.port, timeoutMs);
    };
    const describeExpect = (e: Expect) =>
      `${e.from}->${e.to} ${e.proto ?? 'tcp'}/${e.port} v${e.family ?? 4} ${e.allowed ? 'allowed' : 'denied'}`;

    /** Probes all in parallel; fails listing every verdict that differs. */
    const expectVerdicts = async (what: string, expects: Expect[], timeoutMs = 1000) => {
      const got = await Promise.all(expects.map((e) => probe(e, timeoutMs)));
      const wrong = expects
        .filter((e, i) => got[i] !== e.allowed)
        .map((e) => `expected ${describeExpect(e)}`);
      assert.deepEqual(wrong, [], `${what}: wrong verdicts`);
    };

    /** Retries a few times: the first packets after set-up may wait for neighbour resolution. */
    const eventuallyVerdicts = async (what: string, expects: Expect[]) => {
      for (let i = 0; ; i++) {
        const got = await Promise.all(expects.map((e) => probe(e)));
        if (got.every((g, j) => g === expects[j].allowed)) return;
        if (i >= 4) await expectVerdicts(what, expects);
      }
    };

    const apply = async (rs: PolicyRulesets, full = false) => {
      backend.setDesired(rs);
      return backend.reconcile({ full });
    };

    before(async () => {
      lab = await createPolicyLab(prefix, PODS);
      runner = kernelRunner({ netns: lab.host.name });
      backend = makeBackend(runner);
    });

    after(async () => {
      try {
        await backend?.remove();
      } finally {
        await backend?.close?.();
        await lab?.destroy();
      }
    });

    it('baseline: without policy every pod reaches every other (IPv4 and IPv6)', async () => {
      await eventuallyVerdicts('no policy', [...openExpectations(4), ...openExpectations(6)]);
    });

    it('programs the ruleset; a second pass (fast and full) changes nothing', async () => {
      const first = await apply(handcraftedRulesets());
      assert.ok(first.changes > 0, 'the first reconcile programs something');
      assert.deepEqual(first.waiting, []);
      assert.equal((await backend.reconcile()).changes, 0, 'fast path: idempotent');
      assert.equal((await backend.reconcile({ full: true })).changes, 0, 'full read: idempotent');
    });

    it('IPv4: allowed port vs denied port vs denied source; UDP; named ports; unknown interface', async () => {
      await expectVerdicts('v4', baseExpectations(['a'], 4));
    });

    it('replies of allowed flows pass by conntrack while new flows the other way are denied', async () => {
      await expectVerdicts('conntrack', [
        { from: 'a', to: 'b', port: 8080, allowed: true },
        { from: 'b', to: 'a', port: 8080, allowed: false },
        { from: 'a', to: 'b', port: 5353, proto: 'udp', allowed: true },
      ]);
    });

    it('IPv6: allow and deny', async () => {
      await expectVerdicts('v6', baseExpectations(['a'], 6));
    });

    it('a set member added / removed at runtime changes the verdict with one change, no rule rewrite', async () => {
      const added = await apply(handcraftedRulesets({ allowed: ['a', 'c'], allowed6: ['a'] }));
      assert.equal(added.changes, 1, 'one set element added, nothing else');
      await expectVerdicts('C added', [
        { from: 'c', to: 'b', port: 8080, allowed: true },
        { from: 'c', to: 'b', port: 5353, proto: 'udp', allowed: true },
        { from: 'a', to: 'b', port: 9090, allowed: false },
        { from: 'c', to: 'b', port: 8080, family: 6, allowed: false },
      ]);
      assert.equal((await backend.reconcile({ full: true })).changes, 0, 'kernel matches after the change');
      const removed = await apply(handcraftedRulesets());
      assert.equal(removed.changes, 1, 'one set element removed, nothing else');
      await expectVerdicts('C removed', [
        { from: 'c', to: 'b', port: 8080, allowed: false },
        { from: 'a', to: 'b', port: 8080, allowed: true },
      ]);
    });

    const drifts = opts.drifts ?? defaultDrifts(name);
    for (const [label, drift] of Object.entries(drifts)) {
      it(`drift repaired by a full reconcile: ${label}`, async () => {
        await apply(handcraftedRulesets());
        await drift(lab.host);
        const repaired = await backend.reconcile({ full: true });
        assert.ok(repaired.changes > 0, 'the full reconcile found and repaired the drift');
        await expectVerdicts(`after repairing "${label}"`, [
          ...baseExpectations(['a'], 4),
          { from: 'a', to: 'b', port: 8080, family: 6, allowed: true },
          { from: 'a', to: 'b', port: 9090, family: 6, allowed: false },
        ]);
        assert.equal((await backend.reconcile({ full: true })).changes, 0, 'nothing left to repair');
      });
    }

    it('restart: a new backend over the existing state changes nothing and verdicts never flip', async () => {
      await apply(handcraftedRulesets());
      const fresh = makeBackend(runner);
      fresh.setDesired(handcraftedRulesets());
      const watched: Expect[] = [
        { from: 'a', to: 'b', port: 8080, allowed: true },
        { from: 'a', to: 'b', port: 9090, allowed: false },
        { from: 'c', to: 'b', port: 8080, allowed: false },
        { from: 'a', to: 'b', port: 8080, family: 6, allowed: true },
      ];
      let done = false;
      const flips: string[] = [];
      let rounds = 0;
      const watcher = (async () => {
        while (!done || rounds < 3) {
          const got = await Promise.all(watched.map((e) => probe(e, 500)));
          got.forEach((g, i) => g !== watched[i].allowed && flips.push(describeExpect(watched[i])));
          rounds++;
        }
      })();
      await new Promise((r) => setTimeout(r, 100));
      const report = await fresh.reconcile();
      done = true;
      await watcher;
      assert.equal(report.changes, 0, 'the restarted backend found the kernel right');
      assert.deepEqual(flips, [], 'no verdict flipped during the restart');
      await backend.close?.();
      backend = fresh;
    });

    it('IPv6 off: the IPv6 state is removed, IPv4 stays enforced; back on restores it', async () => {
      await apply(handcraftedRulesets({ ipv6: false }));
      await expectVerdicts('v6 off', [
        { from: 'a', to: 'b', port: 9090, family: 6, allowed: true },
        { from: 'a', to: 'b', port: 9090, family: 4, allowed: false },
      ]);
      assert.equal((await backend.reconcile({ full: true })).changes, 0);
      await apply(handcraftedRulesets());
      await expectVerdicts('v6 on', [
        { from: 'a', to: 'b', port: 9090, family: 6, allowed: false },
        { from: 'a', to: 'b', port: 8080, family: 6, allowed: true },
      ]);
    });

    it('remove() leaves nothing in the kernel, and traffic flows freely again', async () => {
      await apply(handcraftedRulesets());
      await backend.remove();
      const leftovers: string[] = [];
      for (const [tool, args] of [
        ['nft', ['list', 'ruleset']],
        ['iptables-legacy-save', []],
        ['ip6tables-legacy-save', []],
        ['ipset', ['list', '-n']],
      ] as const) {
        if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) continue;
        const r = await lab.host.run(tool, [...args]);
        const found = r.stdout.split('\n').filter((l) => /cali/.test(l));
        if (found.length) leftovers.push(`${tool}: ${found.join(' | ')}`);
      }
      assert.deepEqual(leftovers, [], 'no calico state after remove()');
      await expectVerdicts('after remove', [...openExpectations(4), ...openExpectations(6)]);
      await backend.remove();
    });

    it('after remove(), a reconcile programs everything again', async () => {
      const r = await apply(handcraftedRulesets());
      assert.ok(r.changes > 0);
      await expectVerdicts('reprogrammed', baseExpectations(['a'], 4));
    });

    it('compiler-built rulesets: the same verdicts through Felix chains (IPv4 and IPv6)', async () => {
      const r = await apply(compiledRulesets(), true);
      assert.ok(r.changes > 0);
      assert.deepEqual(r.waiting, []);
      assert.equal((await backend.reconcile({ full: true })).changes, 0, 'idempotent');
      await expectVerdicts('compiled', [...baseExpectations(['a'], 4), ...baseExpectations(['a'], 6)]);
    });

    it('compiler-built rulesets: a label change moves one set member per family, no rule rewrite', async () => {
      await apply(compiledRulesets());
      const added = await apply(compiledRulesets({ allowed: ['a', 'c'] }));
      assert.equal(added.changes, 2, 'one set element per family');
      await expectVerdicts('C labelled allowed', [
        ...baseExpectations(['a', 'c'], 4),
        { from: 'c', to: 'b', port: 8080, family: 6, allowed: true },
      ]);
      const removed = await apply(compiledRulesets());
      assert.equal(removed.changes, 2, 'one set element per family');
      await expectVerdicts('C label removed', [
        { from: 'c', to: 'b', port: 8080, allowed: false },
        { from: 'c', to: 'b', port: 8080, family: 6, allowed: false },
      ]);
    });

    it('compiler-built rulesets: drift (everything removed by hand) repaired; restart changes nothing', async () => {
      await apply(compiledRulesets());
      const other = makeBackend(runner);
      await other.remove();
      assert.ok((await backend.reconcile({ full: true })).changes > 0);
      await expectVerdicts('repaired', baseExpectations(['a'], 4));
      const fresh = makeBackend(runner);
      fresh.setDesired(compiledRulesets());
      assert.equal((await fresh.reconcile()).changes, 0);
      await backend.close?.();
      backend = fresh;
    });
  });
}
