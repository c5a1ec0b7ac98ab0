/**
 * Drift: the policy dataplane broken by hand in b's host while a policy is in force (a → b:80
 * allowed, c → b:80 denied). nftables: the table flushed, then deleted. iptables (after switching
 * with FelixConfiguration nftablesMode: Disabled): cali-FORWARD flushed, b's cali-tw- chain
 * flushed, the source selector's ipset flushed. Each time Felix repairs it within 10 s: the denied
 * probe is denied again and the allowed one allowed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoLeaks } from '../../helpers/leaks.js';
import {
  assertLabGone,
  CalicoLab,
  eventually,
  podManifest,
  policySkip,
  onIptables,
  switchToIptables,
  sleep,
  type LabPod,
  ALLOW_A_TO_B_TCP80,
} from './fixtures/calico-lab.js';

const lab = new CalicoLab('ka5');
const skip = policySkip();
const REPAIR_MS = 10_000;
/** b's host. */
const HB = 2;

const POLICY = ALLOW_A_TO_B_TCP80;

describe(
  'Calico policy faults: drift repaired within 10 s (nftables, iptables)',
  { skip, timeout: 900_000 },
  () => {
    let a: LabPod;
    let b: LabPod;
    let c: LabPod;

    /** Both verdicts right, at once. */
    const verdicts = async (): Promise<{ allowed: boolean; denied: boolean }> => {
      const [ab, cb] = await Promise.all([
        lab.probe(a, b.ip, 80, 'tcp', 500),
        lab.probe(c, b.ip, 80, 'tcp', 500),
      ]);
      return { allowed: ab, denied: !cb };
    };

    /**
     * Breaks the dataplane with `fault` (commands in b's host), then waits for both verdicts to be
     * right twice in a row; returns how long that took and whether the fault was seen to matter.
     */
    const breakAndWait = async (fault: string[][]): Promise<{ ms: number; brokenSeen: boolean }> => {
      for (const argv of fault) await lab.hostMust(HB, argv[0], argv.slice(1));
      const start = Date.now();
      let brokenSeen = false;
      let good = 0;
      while (Date.now() - start < REPAIR_MS + 5000) {
        const v = await verdicts();
        if (v.allowed && v.denied) {
          if (++good >= 2) return { ms: Date.now() - start, brokenSeen };
        } else {
          good = 0;
          brokenSeen = true;
        }
        await sleep(100);
      }
      const v = await verdicts();
      assert.fail(
        `not repaired within ${REPAIR_MS + 5000} ms after ${JSON.stringify(fault)}: ${JSON.stringify(v)}`,
      );
    };

    const expectRepaired = async (what: string, fault: string[][]): Promise<void> => {
      const r = await breakAndWait(fault);
      assert.ok(r.ms <= REPAIR_MS, `${what}: repaired after ${r.ms} ms (limit ${REPAIR_MS})`);
      // Informational: a very fast repair may finish before the first probe saw the damage.
      console.log(`# ${what}: verdicts right again after ${r.ms} ms (damage seen: ${r.brokenSeen})`);
    };

    before(async () => {
      await lab.up(2);
      await lab.apply(
        podManifest('a', '1', { app: 'a' }),
        podManifest('b', '2', { app: 'b' }),
        podManifest('c', '1', { app: 'c' }),
      );
      [a, b, c] = await Promise.all(['default/a', 'default/b', 'default/c'].map((p) => lab.pod(p)));
      await lab.apply(POLICY);
      await eventually('policy in force', async () => {
        const v = await verdicts();
        return (v.allowed && v.denied) || JSON.stringify(v);
      });
    });

    after(async () => {
      await lab.down();
      assertLabGone(lab.name);
      await assertNoLeaks();
    });

    it('nftables: `nft flush table ip calico` is repaired', async () => {
      await expectRepaired('nft flush table', [['nft', 'flush', 'table', 'ip', 'calico']]);
      assert.match(await lab.hostMust(HB, 'nft', ['list', 'table', 'ip', 'calico']), /chain filter-cali-tw-/);
    });

    it('nftables: `nft delete table ip calico` is repaired', async () => {
      await expectRepaired('nft delete table', [['nft', 'delete', 'table', 'ip', 'calico']]);
      assert.match(await lab.hostMust(HB, 'nft', ['list', 'table', 'ip', 'calico']), /chain filter-cali-tw-/);
    });

    it('switches to iptables (nftablesMode: Disabled)', async (t) => {
      // calico-tiers.test.ts asserts the switch through `default` alone; here only the drift matters.
      const problem = await switchToIptables(lab, [1, 2]);
      if (problem) t.diagnostic(`switch: ${problem}`);
      for (const h of [1, 2]) assert.equal(await onIptables(lab, h), true);
      await eventually('policy in force with iptables', async () => {
        const v = await verdicts();
        return (v.allowed && v.denied) || JSON.stringify(v);
      });
    });

    it('iptables: `iptables -F cali-FORWARD` is repaired', async () => {
      await expectRepaired('iptables -F cali-FORWARD', [['iptables', '-w', '-F', 'cali-FORWARD']]);
      assert.match(
        await lab.hostMust(HB, 'iptables-save', ['-t', 'filter']),
        /-A cali-FORWARD .*cali-to-wl-dispatch/,
      );
    });

    it('iptables: the rules of b’s cali-tw- chain deleted is repaired', async () => {
      const save = await lab.hostMust(HB, 'iptables-save', ['-t', 'filter']);
      const chains = [...save.matchAll(/^:(cali-tw-\S+)/gm)].map((m) => m[1]);
      assert.equal(chains.length, 1, `one workload on b's host: ${chains.join(' ')}`);
      await expectRepaired(`iptables -F ${chains[0]}`, [['iptables', '-w', '-F', chains[0]]]);
      const after = await lab.hostMust(HB, 'iptables-save', ['-t', 'filter']);
      assert.match(after, new RegExp(`-A ${chains[0]} .*cali-pi-`));
    });

    it('iptables: the source selector’s ipset flushed is repaired', async () => {
      const names = (await lab.hostMust(HB, 'ipset', ['list', '-n']))
        .split('\n')
        .filter((s) => s.startsWith('cali40s:'));
      const withA: string[] = [];
      for (const n of names) {
        const members = (await lab.hostMust(HB, 'ipset', ['list', n])).split('Members:')[1] ?? '';
        if (members.split('\n').some((m) => m.trim().split('/')[0] === a.ip)) withA.push(n);
      }
      assert.equal(withA.length, 1, `one selector set holds a's address ${a.ip}: ${names.join(' ')}`);
      await expectRepaired(`ipset flush ${withA[0]}`, [['ipset', 'flush', withA[0]]]);
      assert.match(
        await lab.hostMust(HB, 'ipset', ['list', withA[0]]),
        new RegExp(a.ip.replace(/\./g, '\\.')),
      );
    });
  },
);
