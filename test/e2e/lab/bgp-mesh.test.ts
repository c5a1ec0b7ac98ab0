/**
 * The lab's main path, through the binary: `up` (3 hosts, BGP full mesh) → a pod on each host
 * through the CNI plugin → every cross-host pair pings, over `proto bird` routes (one per remote
 * block, via its owner) → status, exec, pod del → `down` leaves no namespace, process or file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoLeaks } from '../../helpers/leaks.js';
import {
  assertLabGone,
  blockOf,
  hostRoutes,
  labProcesses,
  mustLab,
  podIp,
  runLab,
  labSkip,
} from './lab-cli.js';

const LAB = 'tmesh';
const N = ['--name', LAB];
const skip = labSkip(['birdc']);

describe('calico-lab: BGP full mesh', { skip }, () => {
  const pods = new Map<string, { host: number; ip: string }>();

  before(async () => {
    const out = await mustLab(['up', ...N, '--nodes', '3', '--mode', 'bgp']);
    assert.match(out, /\[1\/6\] removing leftovers of earlier runs \.\.\. done/);
    assert.match(out, /\[6\/6\] waiting for the hosts to be ready \.\.\. done .*felix and bird ready/);
  });

  after(async () => {
    await runLab(['down', ...N]);
    await assertNoLeaks();
  });

  it('runs one etcd and one calico-node per host, all detached from the finished `up`', () => {
    const procs = labProcesses(LAB);
    const nodes = procs.filter((p) => p.argv.some((a) => a.endsWith('calico-node.js')));
    const etcds = procs.filter((p) => p.argv[0]?.endsWith('etcd'));
    const birds = procs.filter((p) => p.argv[0]?.endsWith('bird'));
    assert.equal(nodes.length, 3, JSON.stringify(procs));
    assert.equal(etcds.length, 1);
    assert.equal(birds.length, 3);
  });

  it('adds a pod on each host through the CNI plugin', async () => {
    for (const i of [1, 2, 3]) {
      const out = await mustLab(['pod', 'add', `p${i}`, '--node', String(i), ...N]);
      assert.match(
        out,
        new RegExp(`pod p${i} on ${LAB}-h${i}: 203\\.0\\.113\\.\\d+ .*routed from every host \\(BGP\\)`),
      );
      pods.set(`p${i}`, { host: i, ip: podIp(out) });
    }
    // The pod's side as the plugin wires it: eth0 /32, default via 169.254.1.1.
    const addr = await mustLab(['exec', 'p1', ...N, '--', 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
    assert.match(addr, new RegExp(`inet ${pods.get('p1')!.ip.replace(/\./g, '\\.')}/32`));
    assert.match(
      await mustLab(['exec', 'p1', ...N, '--', 'ip', 'route']),
      /default via 169\.254\.1\.1 dev eth0/,
    );
  });

  it('every cross-host pod pair pings', async () => {
    const names = [...pods.keys()];
    const pairs = names.flatMap((a) => names.filter((b) => b !== a).map((b) => [a, b]));
    const results = await Promise.all(pairs.map(([a, b]) => runLab(['ping', a, b, ...N])));
    for (const [i, r] of results.entries()) {
      assert.equal(r.code, 0, `ping ${pairs[i].join(' -> ')}:\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /3 packets transmitted, 3 received/);
    }
  });

  it('cross-host traffic follows proto bird routes: one per remote block, via the block owner', () => {
    for (const [, me] of pods) {
      const bird = hostRoutes(`${LAB}-h${me.host}`, 'proto', 'bird').filter((r) =>
        r.dst.startsWith('203.0.113.'),
      );
      const expected = [...pods.values()]
        .filter((p) => p.host !== me.host)
        .map((p) => ({ dst: blockOf(p.ip), gateway: `198.51.100.${10 + p.host}` }))
        .sort((a, b) => a.dst.localeCompare(b.dst));
      assert.deepEqual(
        bird.map((r) => ({ dst: r.dst, gateway: r.gateway })).sort((a, b) => a.dst.localeCompare(b.dst)),
        expected,
        `h${me.host}'s BGP routes`,
      );
      assert.ok(bird.every((r) => r.dev === 'eth0'));
    }
  });

  it('status lists hosts, pods and Established mesh sessions; exit 0', async () => {
    const r = await runLab(['status', ...N]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const i of [1, 2, 3]) {
      assert.match(
        r.stdout,
        new RegExp(`${LAB}-h${i}\\s+198\\.51\\.100\\.1${i}\\s+pid \\d+ running\\s+ready\\s+ready\\s+1`),
      );
    }
    assert.equal((r.stdout.match(/node-to-node mesh \| up\s+\|[^|]+\| Established/g) ?? []).length, 6);
  });

  it('exec: calicoctl on PATH reaches the lab, the exit status is the command’s', async () => {
    const nodes = await mustLab(['exec', '2', ...N, '--', 'calicoctl', 'get', 'nodes']);
    assert.deepEqual(
      nodes
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.trim()),
      [`${LAB}-h1`, `${LAB}-h2`, `${LAB}-h3`],
    );
    assert.equal((await runLab(['exec', 'h1', ...N, '--', 'sh', '-c', 'exit 3'])).code, 3);
    const bad = await runLab(['exec', 'nosuch', ...N, '--', 'true']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /no host or pod 'nosuch'/);
  });

  it('a second pod on the same host pings through the host; pod del removes it', async () => {
    const out = await mustLab(['pod', 'add', 'p1b', '--node', 'h1', ...N]);
    const ip = podIp(out);
    assert.equal((await runLab(['ping', 'p1', 'p1b', ...N])).code, 0);
    await mustLab(['pod', 'del', 'p1b', ...N]);
    const after = await runLab(['ping', 'p1', ip, ...N]);
    assert.equal(after.code, 1, after.stdout);
    assert.doesNotMatch(await mustLab(['exec', '1', ...N, '--', 'ip', 'route']), new RegExp(`^${ip} `, 'm'));
  });

  it('up refuses to replace a lab that is up', async () => {
    const r = await runLab(['up', ...N, '--nodes', '1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /lab 'tmesh' is already up/);
  });

  it('down leaves no namespace, process or file behind', async () => {
    const out = await mustLab(['down', ...N]);
    assert.match(out, /done \(\d+\.\d s\): lab 'tmesh' removed/);
    assertLabGone(LAB);
    assert.match(await mustLab(['down', ...N]), /nothing found: no lab 'tmesh' to remove/);
  });
});
