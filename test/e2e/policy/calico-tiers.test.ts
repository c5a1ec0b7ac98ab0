/**
 * Tiers, in the real kernel, with both policy backends: a Tier `security` (order 100) ahead of the
 * default tier. In it, GlobalNetworkPolicies that Deny sources in a GlobalNetworkSet (pod c's
 * address) and Pass trusted pods and members of a namespaced NetworkSet; in the default tier,
 * namespaced policies allowing TCP 80 to what the Pass lets through. Order decides within a tier
 * (a lower-order Allow beats the Deny; raised above it, it loses), a Log rule does not end
 * evaluation. The same cases run on nftables (the default), then again after FelixConfiguration
 * `default` gets `nftablesMode: Disabled`: Felix switches to iptables + ipset, and the chains and
 * sets carry Calico's names.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoLeaks } from '../../helpers/leaks.js';
import {
  assertLabGone,
  calico,
  CalicoLab,
  eventually,
  expectedMatrix,
  matrixDiff,
  podManifest,
  policySkip,
  switchToIptables,
  type LabPod,
  type Manifest,
} from './fixtures/calico-lab.js';

const lab = new CalicoLab('ka2');
const skip = policySkip();
const PODS = ['default/a', 'default/b', 'default/c', 'default/d'];
const B = 'default/b';

const TIER = calico('Tier', { name: 'security' }, { order: 100 });
const SELECT_B = "app == 'b'";

/** Order 10: log everything (non-terminal), then deny the blocked network set. */
const DENY_BLOCKED = calico(
  'GlobalNetworkPolicy',
  { name: 'security.deny-blocked' },
  {
    tier: 'security',
    order: 10,
    selector: SELECT_B,
    types: ['Ingress'],
    ingress: [{ action: 'Log' }, { action: 'Deny', source: { selector: "blocked == 'true'" } }],
  },
);

/** Order 20: trusted pods and friends go on to the default tier; anything else ends the tier (deny). */
const PASS_TRUSTED = calico(
  'GlobalNetworkPolicy',
  { name: 'security.pass-trusted' },
  {
    tier: 'security',
    order: 20,
    selector: SELECT_B,
    types: ['Ingress'],
    ingress: [
      { action: 'Pass', source: { selector: "trusted == 'true'" } },
      { action: 'Pass', source: { selector: "role == 'friend'" } },
    ],
  },
);

const allowC = (order: number): Manifest =>
  calico(
    'GlobalNetworkPolicy',
    { name: 'security.allow-c' },
    {
      tier: 'security',
      order,
      selector: SELECT_B,
      types: ['Ingress'],
      ingress: [{ action: 'Allow', source: { selector: "app == 'c'" } }],
    },
  );

/** Default tier: TCP 80 from trusted pods and from the `friends` NetworkSet. */
const ALLOW_TRUSTED_80 = calico(
  'NetworkPolicy',
  { name: 'allow-trusted-80', namespace: 'default' },
  {
    selector: SELECT_B,
    types: ['Ingress'],
    ingress: [
      {
        action: 'Allow',
        protocol: 'TCP',
        source: { selector: "trusted == 'true'" },
        destination: { ports: [80] },
      },
      {
        action: 'Allow',
        protocol: 'TCP',
        source: { selector: "role == 'friend'" },
        destination: { ports: [80] },
      },
    ],
  },
);

type Pair = [string, string];
const to = (from: string): Pair => [`default/${from}`, B];

interface Phase {
  what: string;
  port80: Pair[];
  port81: Pair[];
}

/** Everything in force, no `friends` NetworkSet, no allow-c: only trusted a reaches b, on 80 only. */
const BASE: Phase = {
  what: 'base (c blocked, d neither trusted nor a friend)',
  port80: [to('c'), to('d')],
  port81: [to('a'), to('c'), to('d')],
};
const FRIENDS: Phase = {
  what: 'with the friends NetworkSet (d admitted on 80)',
  port80: [to('c')],
  port81: [to('a'), to('c'), to('d')],
};
const ALLOW_C_FIRST: Phase = {
  what: 'allow-c at order 5 (before the deny: c reaches b on every port)',
  port80: [],
  port81: [to('a'), to('d')],
};

async function expectPhase(p: Phase): Promise<void> {
  const want80 = expectedMatrix(PODS, p.port80);
  const want81 = expectedMatrix(PODS, p.port81);
  let last = '';
  try {
    await eventually(
      p.what,
      async () => {
        const d80 = matrixDiff(want80, await lab.matrix(80));
        const d81 = matrixDiff(want81, await lab.matrix(81));
        last = [d80 && `port 80: ${d80}`, d81 && `port 81: ${d81}`].filter(Boolean).join(' | ');
        return last === '' || last;
      },
      25_000,
      500,
    );
  } catch (e) {
    assert.fail(`${p.what}: ${last || String(e)}`);
  }
}

describe(
  'Calico policy: tiers, Pass/Deny, order, NetworkSets, Log (nftables, then iptables)',
  { skip, timeout: 1_200_000 },
  () => {
    let c: LabPod;
    let d: LabPod;
    let friends: Manifest;
    let blocked: Manifest;

    before(async () => {
      await lab.up(3);
      await lab.apply(
        podManifest('a', '1', { app: 'a', trusted: 'true' }),
        podManifest('b', '2', { app: 'b' }),
        podManifest('c', '3', { app: 'c', trusted: 'true' }),
        podManifest('d', '3', { app: 'd' }),
      );
      [, , c, d] = await Promise.all(PODS.map((p) => lab.pod(p)));
      blocked = calico(
        'GlobalNetworkSet',
        { name: 'blocked', labels: { blocked: 'true' } },
        { nets: [`${c.ip}/32`] },
      );
      friends = calico(
        'NetworkSet',
        { name: 'friends', namespace: 'default', labels: { role: 'friend' } },
        { nets: [`${d.ip}/32`] },
      );
      await lab.apply(TIER, blocked, DENY_BLOCKED, PASS_TRUSTED, ALLOW_TRUSTED_80);
    });

    after(async () => {
      await lab.down();
      assertLabGone(lab.name);
      await assertNoLeaks();
    });

    for (const backend of ['nftables', 'iptables'] as const) {
      if (backend === 'iptables') {
        it('switches to iptables with FelixConfiguration default nftablesMode: Disabled', async () => {
          const problem = await switchToIptables(lab, [1, 2, 3]);
          assert.equal(problem, undefined, problem);
        });
      }

      it(`${backend}: a trusted pod passes the security tier and reaches b on 80 only; the blocked one is denied`, async () => {
        await expectPhase(BASE);
      });

      it(`${backend}: a namespaced NetworkSet as a rule source admits d`, async () => {
        await lab.apply(friends);
        await expectPhase(FRIENDS);
      });

      it(`${backend}: a lower-order Allow in the tier beats the Deny; at a higher order it loses`, async () => {
        await lab.apply(allowC(5));
        await expectPhase(ALLOW_C_FIRST);
        await lab.apply(allowC(15));
        await expectPhase(FRIENDS);
        await lab.delete(allowC(15));
        await lab.delete(friends);
        await expectPhase(BASE);
      });

      it(`${backend}: the Log rule is in b's host ruleset and did not end evaluation`, async () => {
        const rules =
          backend === 'nftables'
            ? await lab.hostMust(2, 'nft', ['list', 'table', 'ip', 'calico'])
            : await lab.hostMust(2, 'iptables-save', ['-t', 'filter']);
        assert.match(rules, /calico-packet/, 'a log rule with the default prefix');
        // Had Log been terminal, either a (accepted by it) or c (denied after it) would be wrong:
        await expectPhase(BASE);
      });
    }

    it('iptables: Calico’s chains (cali-FORWARD, cali-tw-…, cali-pi-…) and selector ipsets (cali40s:…); no nft table', async () => {
      const save = await lab.hostMust(2, 'iptables-save', ['-t', 'filter']);
      for (const re of [/^:cali-FORWARD /m, /^:cali-tw-cali[0-9a-f]+ /m, /^:cali-pi-/m, /-j cali-FORWARD/]) {
        assert.match(save, re);
      }
      const sets = (await lab.hostMust(2, 'ipset', ['list', '-n'])).split('\n');
      assert.ok(
        sets.some((s) => s.startsWith('cali40s:')),
        `selector sets in: ${sets.join(' ')}`,
      );
      const nft = await lab.host(2, 'nft', ['list', 'table', 'ip', 'calico']);
      assert.notEqual(nft.code, 0, `table ip calico still there:\n${nft.stdout}`);
      // The blocked set holds c's address.
      const members = await Promise.all(
        sets.filter((s) => s.startsWith('cali40s:')).map((s) => lab.hostMust(2, 'ipset', ['list', s])),
      );
      assert.ok(
        members.some((m) => m.includes(c.ip)),
        `c's address ${c.ip} in a selector set`,
      );
    });
  },
);
