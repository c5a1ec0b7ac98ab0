/**
 * The seeds' scenario, in the real kernel: pods on 3 hosts, one Calico NetworkPolicy allowing
 * only pod a to reach pod b on TCP 80. Everything else towards b is denied (another port, another
 * source, UDP on the allowed port); replies flow (a TCP exchange carries b's answer back); b's
 * egress is not restricted; the matrix shows exactly that table; deleting the policy opens b again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoLeaks } from '../../helpers/leaks.js';
import {
  assertLabGone,
  CalicoLab,
  eventually,
  expectedMatrix,
  matrixDiff,
  podManifest,
  policySkip,
  tcpRead,
  type LabPod,
  ALLOW_A_TO_B_TCP80,
} from './fixtures/calico-lab.js';

const lab = new CalicoLab('ka1');
const skip = policySkip();
const PODS = ['default/a', 'default/b', 'default/c'];

const POLICY = ALLOW_A_TO_B_TCP80;

describe(
  'Calico policy: the seeds’ scenario (3 hosts, a → b on TCP 80 only)',
  { skip, timeout: 900_000 },
  () => {
    let a: LabPod;
    let b: LabPod;
    let c: LabPod;

    before(async () => {
      await lab.up(3);
      await lab.apply(
        podManifest('a', '1', { app: 'a' }),
        podManifest('b', '2', { app: 'b' }),
        podManifest('c', '3', { app: 'c' }),
      );
      [a, b, c] = await Promise.all(PODS.map((p) => lab.pod(p)));
    });

    after(async () => {
      await lab.down();
      assertLabGone(lab.name);
      await assertNoLeaks();
    });

    it('places one pod on each host; with no policy every pod reaches every other', async () => {
      assert.deepEqual([a.node, b.node, c.node], [lab.hostName(1), lab.hostName(2), lab.hostName(3)]);
      const want = expectedMatrix(PODS, []);
      await eventually(
        'all pairs connect on TCP 80',
        async () => matrixDiff(want, await lab.matrix(80)) || true,
      );
    });

    it('with the policy: a → b:80 connects and b’s answer flows back', async () => {
      await lab.apply(POLICY);
      // Applied when b's other sources are cut off.
      await eventually('c → b:80 denied', async () => !(await lab.probe(c, b.ip, 80)), 20_000);
      assert.equal(await lab.probeCli('default/a', 'default/b', 80), true, 'a → b:80');
      assert.equal(await tcpRead(a.netns, b.ip, 80), 'default/b\n', 'b’s reply reaches a');
    });

    it('denies a → b on another port, c → b on the allowed port, and UDP a → b:80', async () => {
      assert.equal(await lab.probeCli('default/a', 'default/b', 81), false, 'a → b:81');
      assert.equal(await lab.probeCli('default/c', 'default/b', 80), false, 'c → b:80');
      assert.equal(await lab.probeCli('default/a', 'default/b', 80, 'udp'), false, 'a → b:80/udp');
      assert.equal(await tcpRead(c.netns, b.ip, 80, 1500), undefined, 'no exchange c → b:80');
    });

    it('leaves b’s egress alone: b → a and b → c connect (the namespace profile allows)', async () => {
      assert.equal(await lab.probeCli('default/b', 'default/a', 80), true, 'b → a:80');
      assert.equal(await lab.probeCli('default/b', 'default/c', 81), true, 'b → c:81');
      assert.equal(await tcpRead(b.netns, a.ip, 80), 'default/a\n');
    });

    it('the matrix is exactly the expected table (TCP 80, TCP 81, UDP 80)', async () => {
      const cases: [number, 'tcp' | 'udp', [string, string][]][] = [
        [80, 'tcp', [['default/c', 'default/b']]],
        [
          81,
          'tcp',
          [
            ['default/a', 'default/b'],
            ['default/c', 'default/b'],
          ],
        ],
        [
          80,
          'udp',
          [
            ['default/a', 'default/b'],
            ['default/c', 'default/b'],
          ],
        ],
      ];
      for (const [port, proto, denied] of cases) {
        const want = expectedMatrix(PODS, denied);
        const got = await lab.matrix(port, proto);
        assert.deepEqual(got, want, `${proto} ${port}: ${matrixDiff(want, got)}`);
      }
    });

    it('is enforced on b’s host by the nftables backend (table ip calico)', async () => {
      const table = await lab.hostMust(2, 'nft', ['list', 'table', 'ip', 'calico']);
      assert.match(table, /chain filter-cali-tw-/);
      assert.match(table, /chain filter-cali-pi-/);
      assert.match(table, /set cali40s[:-]/);
      // Every host has the table (its own endpoints' chains), none uses iptables for policy.
      assert.match(await lab.hostMust(1, 'nft', ['list', 'table', 'ip', 'calico']), /chain filter-cali-tw-/);
      assert.doesNotMatch(await lab.hostMust(2, 'iptables-save', []), /cali-tw-/);
    });

    it('deleting the policy opens b again', async () => {
      await lab.delete(POLICY);
      const want = expectedMatrix(PODS, []);
      await eventually(
        'all pairs connect on TCP 81',
        async () => matrixDiff(want, await lab.matrix(81)) || true,
      );
    });
  },
);
