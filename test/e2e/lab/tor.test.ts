/**
 * `--tor`: a GoBGP router (AS 64513) peers with every host over eBGP. It must learn exactly each
 * host's own blocks, each with that host as next hop (hosts do not re-advertise what they learned
 * from each other, so the ToR never takes a detour through another host).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { assertLabGone, blockOf, labSkip, mustLab, podIp, runLab } from './lab-cli.js';

const LAB = 'ttor';
const N = ['--name', LAB];
const skip = labSkip(['birdc', 'gobgpd', 'gobgp']);

function gobgp(...args: string[]): unknown {
  const r = spawnSync('nsenter', [`--net=/run/netns/${LAB}-tor`, 'gobgp', '-p', '50051', ...args, '-j'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout || 'null');
}

type Rib = Record<string, { best?: boolean; attrs?: { nexthop?: string }[]; 'neighbor-ip'?: string }[]>;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('calico-lab: GoBGP ToR', { skip }, () => {
  before(async () => {
    const out = await mustLab(['up', ...N, '--nodes', '3', '--tor']);
    assert.match(out, /starting the GoBGP ToR router \.\.\. done .*AS 64513, 198\.51\.100\.1/);
    assert.match(out, /ToR sessions established/);
  });

  after(async () => {
    await runLab(['down', ...N]);
    await assertNoLeaks();
  });

  it('the ToR learns exactly each host’s block, with that host as next hop', async () => {
    const expected = new Map<string, string>();
    for (const i of [1, 2, 3]) {
      const ip = podIp(await mustLab(['pod', 'add', `t${i}`, '--node', String(i), ...N]));
      expected.set(blockOf(ip), `198.51.100.${10 + i}`);
    }
    const neighbors = gobgp('neighbor') as { state?: { session_state?: number } }[];
    assert.equal(neighbors.length, 3);
    assert.ok(
      neighbors.every((n) => n.state?.session_state === 6),
      'all sessions ESTABLISHED',
    );
    // eBGP updates are paced (GoBGP's and BIRD's timers), and a host may briefly announce a pod
    // route before its block's affinity reaches confd: poll until the RIB settles on the blocks.
    let rib: Rib = {};
    const want = JSON.stringify([...expected.keys()].sort());
    for (let t = 0; t < 150; t++) {
      rib = (gobgp('global', 'rib', '-a', 'ipv4') as Rib | null) ?? {};
      if (JSON.stringify(Object.keys(rib).sort()) === want) break;
      await sleep(100);
    }
    assert.deepEqual(Object.keys(rib).sort(), [...expected.keys()].sort());
    for (const [prefix, paths] of Object.entries(rib)) {
      // One path per block: only the owner announces it.
      assert.equal(paths.length, 1, `${prefix}: ${JSON.stringify(paths)}`);
      assert.equal(paths[0].attrs?.find((a) => a.nexthop)?.nexthop, expected.get(prefix));
      assert.equal(paths[0]['neighbor-ip'], expected.get(prefix));
    }
    const status = await runLab(['status', ...N]);
    assert.equal(status.code, 0, status.stdout);
    assert.match(status.stdout, /3\/3 sessions established/);
    assert.match(status.stdout, /global\s+\| up\s+\|[^|]+\| Established/);
  });

  it('down removes everything', async () => {
    await mustLab(['down', ...N]);
    assertLabGone(LAB);
  });
});
