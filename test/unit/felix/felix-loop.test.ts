/**
 * The Felix loop over a MemoryBackend with a fake kernel: nothing is programmed before the mirror
 * is complete, a datastore change leads to a pass, and stop() leaves no watch or timer behind.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Client } from '../../../src/client/index.js';
import { MemoryBackend } from '../../../src/datastore/index.js';
import { startFelix } from '../../../src/felix/felix.js';
import { blockKey, encodeBlock } from '../../../src/ipam/index.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { block, FakeRunner, H1, H2, podEndpoint, pool, res } from './fixtures.js';

const ETH0 = JSON.stringify([
  {
    ifname: 'eth0',
    flags: ['UP'],
    mtu: 1500,
    operstate: 'UP',
    addr_info: [{ family: 'inet', local: '198.51.100.11', prefixlen: 24 }],
  },
  { ifname: 'calia', flags: ['UP'], mtu: 1450, operstate: 'UP', addr_info: [] },
]);

async function until(what: string, f: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('felix loop (memory datastore, fake kernel)', () => {
  after(() => assertNoLeaks());

  it('syncs, computes, programs; reacts to a new workload; stops cleanly', async () => {
    const backend = new MemoryBackend();
    const client = new Client(backend);
    await client.create(res(H1));
    await client.create(res(H2));
    await client.create(res(pool('vx', '10.244.0.0/16', { vxlanMode: 'Always' })));
    await backend.create(blockKey('10.244.1.0/26', 4), encodeBlock(block('10.244.1.0/26', 'h1')));
    await backend.create(blockKey('10.244.2.0/26', 4), encodeBlock(block('10.244.2.0/26', 'h2')));

    const runner = new FakeRunner([
      ['ip -j -d addr show', { stdout: ETH0 }],
      ['ip -4 -N -j route show table main', { stdout: '[]' }],
      ['nft -j list table', { code: 1, stderr: 'Error: No such file or directory' }],
      ['sh -c for k', { stdout: 'net/ipv4/ip_forward=1\n' }],
    ]);
    const logs: string[] = [];
    const felix = startFelix({
      client,
      nodeName: 'h1',
      runner,
      debounceMs: 10,
      log: (l, m) => logs.push(`${l} ${m}`),
    });
    try {
      await felix.ready();
      const s = felix.status();
      assert.equal(s.synced, true);
      assert.equal(s.hosts, 2);
      assert.equal(s.vteps, 1);
      assert.deepEqual(s.mtu, { host: 1500, vxlan: 1450, ipip: 1480, pod: 1450 });
      const ipLines = runner.batches('ip');
      assert.ok(
        ipLines.includes(
          'link add vxlan.calico type vxlan id 4096 local 198.51.100.11 dev eth0 dstport 4789 nolearning',
        ),
        ipLines.join('\n'),
      );
      assert.ok(ipLines.includes('route replace blackhole 10.244.1.0/26 proto 80'));

      const before = felix.status().passes;
      await client.create(podEndpoint('h1', 'pod', 'calia', ['10.244.1.1/32']));
      await until('a pass after the new endpoint', () =>
        (felix.desired()?.routes ?? []).some((r) => r.dst === '10.244.1.1/32'),
      );
      await until('the pass programmed it', () =>
        runner.batches('ip').includes('route replace 10.244.1.1/32 dev calia scope link proto 3'),
      );
      assert.ok(felix.status().passes > before);
    } finally {
      await felix.stop();
      await client.close();
    }
    assert.ok(!logs.some((l) => l.startsWith('error')), logs.join('\n'));
  });

  it('programs nothing before every prefix has been listed', async () => {
    const backend = new MemoryBackend();
    const client = new Client(backend);
    // A backend whose block list never answers: Felix must not sweep in the meantime.
    const slow = Object.create(backend) as MemoryBackend;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    slow.list = async (prefix: string) => {
      if (prefix.includes('/ipam/')) await gate;
      return backend.list(prefix);
    };
    const runner = new FakeRunner();
    const felix = startFelix({ client, backend: slow, nodeName: 'h1', runner, debounceMs: 10 });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(runner.calls.length, 0);
    assert.equal(felix.status().synced, false);
    release();
    await felix.ready();
    assert.ok(runner.calls.length > 0);
    await felix.stop();
    await client.close();
  });

  it('ready() rejects when stopped before the first pass', async () => {
    const backend = new MemoryBackend();
    const slow = Object.create(backend) as MemoryBackend;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    slow.list = async (prefix: string) => {
      await gate;
      return backend.list(prefix);
    };
    const felix = startFelix({
      client: new Client(backend),
      backend: slow,
      nodeName: 'h1',
      runner: new FakeRunner(),
    });
    const stopping = felix.stop();
    release();
    await stopping;
    await assert.rejects(felix.ready(), /stopped before/);
    await backend.close();
  });
});
