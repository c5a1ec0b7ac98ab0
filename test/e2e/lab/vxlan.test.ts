/**
 * VXLAN mode: no BGP at all; Felix programs `vxlan.calico`, one route per remote block through it,
 * and the pods ping across hosts over the tunnel.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoLeaks } from '../../helpers/leaks.js';
import {
  assertLabGone,
  blockOf,
  hostRoutes,
  labProcesses,
  labSkip,
  mustLab,
  podIp,
  runLab,
} from './lab-cli.js';

const LAB = 'tvxlan';
const N = ['--name', LAB];
const skip = labSkip();

describe('calico-lab: VXLAN mode', { skip }, () => {
  const ips: string[] = [];

  before(async () => {
    const out = await mustLab(['up', ...N, '--nodes', '3', '--mode', 'vxlan']);
    assert.match(out, /felix ready on every host/);
  });

  after(async () => {
    await runLab(['down', ...N]);
    await assertNoLeaks();
  });

  it('runs no BIRD', () => {
    assert.equal(labProcesses(LAB).filter((p) => p.argv[0]?.endsWith('bird')).length, 0);
  });

  it('pods on every host ping each other through vxlan.calico', async () => {
    for (const i of [1, 2, 3]) {
      const out = await mustLab(['pod', 'add', `v${i}`, '--node', String(i), ...N]);
      assert.match(out, /routed from every host \(VXLAN\)/);
      ips.push(podIp(out));
    }
    const pairs = [
      ['v1', 'v2'],
      ['v2', 'v3'],
      ['v3', 'v1'],
      ['v2', 'v1'],
    ];
    const results = await Promise.all(pairs.map(([a, b]) => runLab(['ping', a, b, ...N])));
    for (const [i, r] of results.entries()) assert.equal(r.code, 0, `${pairs[i].join(' -> ')}: ${r.stdout}`);
    // h1 reaches the other blocks through the tunnel device, one route per remote block.
    const viaTunnel = hostRoutes(`${LAB}-h1`)
      .filter((r) => r.dev === 'vxlan.calico')
      .map((r) => r.dst)
      .sort();
    assert.deepEqual(viaTunnel, [blockOf(ips[1]), blockOf(ips[2])].sort());
    // Room for the 50-byte VXLAN header inside the fabric's 1500 (sysfs under nsenter shows the root namespace: ask ip).
    const link = await mustLab(['exec', 'v1', ...N, '--', 'ip', '-o', 'link', 'show', 'eth0']);
    assert.match(link, / mtu 1450 /);
  });

  it('down removes everything', async () => {
    await mustLab(['down', ...N]);
    assertLabGone(LAB);
  });
});
