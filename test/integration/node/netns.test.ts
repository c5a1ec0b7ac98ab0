// The real interface reader and route lookup, inside a network namespace this test creates (never
// the host's), and `calico-node startup` as a command against a real etcd using them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { NodeSpec } from '../../../src/api/index.js';
import { Client } from '../../../src/client/index.js';
import { EtcdBackend } from '../../../src/datastore/index.js';
import { readInterfaces, routeGet, startupMain, type HostFiles } from '../../../src/node/startup/index.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { assertNoLeaks } from '../../helpers/leaks.js';

const NS = `calts-node-${process.pid}`;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

function removeNetns(): void {
  try {
    ip('netns', 'del', NS);
  } catch {
    // already gone
  }
}

function memoryFiles(): HostFiles & { files: Map<string, string>; dirs: string[] } {
  const files = new Map<string, string>();
  const dirs: string[] = [];
  return {
    files,
    dirs,
    async ensureDir(p) {
      if (dirs.includes(p)) return false;
      dirs.push(p);
      return true;
    },
    async writeFile(p, c) {
      files.set(p, c);
    },
  };
}

describe('interfaces and routes read in a network namespace', () => {
  let etcd: EtcdHandle;
  let client: Client;

  before(async () => {
    process.on('exit', removeNetns);
    ip('netns', 'add', NS);
    ip('-n', NS, 'link', 'set', 'lo', 'up');
    ip('-n', NS, 'link', 'add', 'ens-a', 'type', 'veth', 'peer', 'name', 'ens-b');
    ip('-n', NS, 'addr', 'add', '198.51.100.10/24', 'dev', 'ens-a');
    ip('-n', NS, 'addr', 'add', '198.51.100.200/25', 'dev', 'ens-b');
    ip('-n', NS, 'link', 'set', 'ens-a', 'up');
    ip('-n', NS, 'link', 'set', 'ens-b', 'up');
    etcd = await startEtcd();
    client = new Client(new EtcdBackend({ endpoints: etcd.endpoints }));
  });
  after(async () => {
    removeNetns();
    process.off('exit', removeNetns);
    await client?.close();
    await etcd?.stop();
    await assertNoLeaks();
  });

  it('readInterfaces lists the namespace interfaces with their addresses', async () => {
    const ifaces = await readInterfaces({ netns: NS });
    const names = ifaces.map((i) => i.ifname).sort();
    assert.deepEqual(names, ['ens-a', 'ens-b', 'lo']);
    const a = ifaces.find((i) => i.ifname === 'ens-a')!;
    assert.ok(a.ifindex > 1);
    assert.deepEqual(
      (a.addr_info ?? []).filter((x) => x.family === 'inet').map((x) => [x.local, x.prefixlen]),
      [['198.51.100.10', 24]],
    );
  });

  it('routeGet answers with the kernel-chosen source address, undefined without a route', async () => {
    assert.equal(await routeGet('198.51.100.20', 4, { netns: NS }), '198.51.100.10');
    assert.equal(await routeGet('203.0.113.1', 4, { netns: NS }), undefined);
    assert.equal(await routeGet('no-such-host.invalid', 4, { netns: NS }), undefined);
  });

  it('a bad namespace name is refused before running anything', async () => {
    await assert.rejects(readInterfaces({ netns: '../etc' }), /invalid network namespace name/);
  });

  it('startup as a command: can-reach inside the namespace, Node written, nodename file written', async () => {
    const lines: string[] = [];
    const files = memoryFiles();
    const code = await startupMain({
      env: {
        ...etcd.env(),
        NODENAME: 'ns-node',
        IP: 'autodetect',
        IP_AUTODETECTION_METHOD: 'can-reach=198.51.100.20',
        CALICO_IPV4POOL_VXLAN: 'Always',
        CALICO_NODENAME_FILE: '/nodename-test',
      },
      out: { write: (s: string) => lines.push(s) },
      ip: { netns: NS },
      files,
    });
    assert.equal(code, 0, lines.join(''));
    const spec = (await client.get('Node', 'ns-node')).spec as NodeSpec;
    assert.equal(spec.bgp?.ipv4Address, '198.51.100.10/24');
    assert.deepEqual(
      spec.interfaces?.map((i) => i.name),
      ['ens-a', 'ens-b'],
    );
    assert.ok(spec.ipv4VXLANTunnelAddr, 'VXLAN tunnel address allocated');
    assert.equal(files.files.get('/nodename-test'), 'ns-node');
    assert.ok(files.dirs.includes('/var/lib/calico'));

    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const chosen = logged.find((l) => String(l.msg).startsWith('Using autodetected IPv4 address'));
    assert.equal(chosen?.interface, 'ens-a');
    assert.equal(chosen?.method, 'can-reach=198.51.100.20');
    assert.match(String(chosen?.reason), /the kernel routes to 198\.51\.100\.20 from 198\.51\.100\.10/);
  });

  it('startup as a command: a bad variable prints ERROR and exits 1 before touching the datastore', async () => {
    const lines: string[] = [];
    const code = await startupMain({
      env: { ...etcd.env(), NODENAME: 'x', CALICO_IPV4POOL_BLOCK_SIZE: '40' },
      out: { write: (s: string) => lines.push(s) },
      ip: { netns: NS },
      files: memoryFiles(),
    });
    assert.equal(code, 1);
    assert.match(
      lines.join(''),
      /^ERROR: invalid CALICO_IPV4POOL_BLOCK_SIZE="40": expected an integer from 20 to 32/,
    );
  });

  it('startup as a command: an autodetection failure logs the reason and "Terminating", exit 1', async () => {
    const lines: string[] = [];
    const code = await startupMain({
      env: { ...etcd.env(), NODENAME: 'ns-node-2', IP_AUTODETECTION_METHOD: 'can-reach=203.0.113.1' },
      out: { write: (s: string) => lines.push(s) },
      ip: { netns: NS },
      files: memoryFiles(),
    });
    assert.equal(code, 1);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(
      logged.some((l) =>
        /failed to autodetect an IPv4 address: the kernel has no route to 203\.0\.113\.1/.test(String(l.msg)),
      ),
    );
    assert.equal(logged.at(-1)?.msg, 'Terminating');
  });
});
