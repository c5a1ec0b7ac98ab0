/**
 * `--route-reflectors 1`: Calico's recipe (label, cluster ID, two BGPPeers, mesh off). The
 * reflector peers with both clients, each client only with the reflector ("node specific"), and a
 * client learns the other client's block with the original next hop kept.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { assertLabGone, blockOf, hostRoutes, labSkip, mustLab, podIp, runLab } from './lab-cli.js';

const LAB = 'trr';
const N = ['--name', LAB];
const skip = labSkip(['birdc']);

/** Rows of the IPv4 table of `calicoctl node status`: [peer, type, state, info]. */
function peers(status: string): string[][] {
  const v4 = status.split('IPv6 BGP status')[0];
  return v4
    .split('\n')
    .filter((l) => /^\| \d/.test(l))
    .map((l) =>
      l
        .split('|')
        .map((c) => c.trim())
        .filter(Boolean),
    )
    .map((c) => [c[0], c[1], c[2], c[4]]);
}

describe('calico-lab: route reflector', { skip }, () => {
  before(async () => {
    const out = await mustLab(['up', ...N, '--nodes', '3', '--route-reflectors', '1']);
    assert.match(out, /making trr-h1 route reflector\(s\) \.\.\. done/);
  });

  after(async () => {
    await runLab(['down', ...N]);
    await assertNoLeaks();
  });

  it('the reflector and its clients see each other as node specific peers, mesh off', async () => {
    const rr = peers(await mustLab(['exec', '1', ...N, '--', 'calicoctl', 'node', 'status']));
    assert.deepEqual(rr, [
      ['198.51.100.12', 'node specific', 'up', 'Established'],
      ['198.51.100.13', 'node specific', 'up', 'Established'],
    ]);
    for (const i of [2, 3]) {
      const client = peers(await mustLab(['exec', String(i), ...N, '--', 'calicoctl', 'node', 'status']));
      assert.deepEqual(client, [['198.51.100.11', 'node specific', 'up', 'Established']]);
    }
    const labels = await mustLab([
      'exec',
      '1',
      ...N,
      '--',
      'calicoctl',
      'get',
      'node',
      'trr-h1',
      '-o',
      'yaml',
    ]);
    assert.match(labels, /calico-route-reflector: ""/);
    assert.match(labels, /routeReflectorClusterID: 224\.0\.0\.1/);
    const bgpcfg = await mustLab([
      'exec',
      '1',
      ...N,
      '--',
      'calicoctl',
      'get',
      'bgpconfig',
      'default',
      '-o',
      'yaml',
    ]);
    assert.match(bgpcfg, /nodeToNodeMeshEnabled: false/);
    const bgppeers = await mustLab(['exec', '1', ...N, '--', 'calicoctl', 'get', 'bgppeers']);
    assert.match(bgppeers, /peer-with-route-reflectors/);
    assert.match(bgppeers, /route-reflector-mesh/);
  });

  it('clients reach each other through reflected routes that keep the next hop', async () => {
    const a = podIp(await mustLab(['pod', 'add', 'a', '--node', '2', ...N]));
    const b = podIp(await mustLab(['pod', 'add', 'b', '--node', '3', ...N]));
    const r = await runLab(['ping', 'a', 'b', ...N]);
    assert.equal(r.code, 0, r.stdout);
    const onH2 = hostRoutes(`${LAB}-h2`, 'proto', 'bird').find((x) => x.dst === blockOf(b));
    assert.equal(onH2?.gateway, '198.51.100.13');
    const onH3 = hostRoutes(`${LAB}-h3`, 'proto', 'bird').find((x) => x.dst === blockOf(a));
    assert.equal(onH3?.gateway, '198.51.100.12');
  });

  it('down removes everything', async () => {
    await mustLab(['down', ...N]);
    assertLabGone(LAB);
  });
});
