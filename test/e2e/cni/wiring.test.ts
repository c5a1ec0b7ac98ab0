/**
 * The real `calico` plugin, run by libcni (mini-cnitool) in a host namespace against a real etcd:
 * ADD / CHECK / DEL, the kernel state on both sides, the datastore records, pod-to-pod traffic.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { assertNothingLeft, caliLinks, heldBy, NODE, pool, startBed, type Bed } from './fixture.js';

interface AddResult {
  cniVersion: string;
  interfaces: { name: string; mac?: string; mtu?: number; sandbox?: string }[];
  ips: { interface?: number; address: string; version?: string }[];
  routes: { dst: string }[];
  dns: Record<string, unknown>;
}

describe('calico CNI plugin on a real kernel and etcd', { timeout: 240_000 }, () => {
  let bed: Bed;

  before(async () => {
    bed = await startBed('wire', [pool('p4', '10.244.0.0/16'), pool('p6', 'fd00:10:244::/48')]);
    bed.tool.writeConflist('net1', [bed.calico({ mtu: 1400 })]);
    bed.tool.writeConflist('dual', [bed.calico({}, { assign_ipv6: 'true' })]);
    bed.tool.writeConflist('old', [bed.calico()], '0.3.1');
    bed.tool.writeConflist('k8s', [bed.calico({ policy: { type: 'k8s' } })]);
  });
  after(async () => {
    await bed?.close();
    await assertNoLeaks();
  });

  it('ADD wires the pod exactly as Calico does; CHECK passes; DEL removes everything', async () => {
    const pod = await bed.pod('a');
    const add = await bed.tool.add('net1', pod, { containerId: 'cid-a1' });
    assert.equal(add.code, 0, add.stderr);
    const res = add.result as unknown as AddResult;
    const ip = res.ips[0].address.split('/')[0];
    const veth = 'calicid-a1';

    // result
    assert.equal(res.cniVersion, '1.0.0');
    assert.equal(res.interfaces[0].name, veth);
    assert.deepEqual(Object.keys(res.interfaces[0]), ['name']);
    assert.equal(res.interfaces[1].name, 'eth0');
    // (libcni 1.1's result type has no mtu: mini-cnitool prints the result as libcni parsed it)
    assert.equal(res.interfaces[1].sandbox, pod.path);
    assert.deepEqual(res.ips, [{ interface: 1, address: `${ip}/32` }]);
    assert.deepEqual(res.routes, [{ dst: `${ip}/26` }]);
    assert.deepEqual(res.dns, {});

    // pod side
    const [eth0] = await pod.ipJson<{
      address: string;
      mtu: number;
      flags: string[];
      addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
    }>('addr', 'show', 'dev', 'eth0');
    assert.equal(eth0.address, res.interfaces[1].mac);
    assert.equal(eth0.mtu, 1400);
    assert.ok(eth0.flags.includes('UP'));
    assert.deepEqual(
      eth0.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
      [`${ip}/32`],
    );
    const routes = await pod.ip('-4', 'route', 'show');
    assert.match(routes, /^default via 169\.254\.1\.1 dev eth0 $/m);
    assert.match(routes, /^169\.254\.1\.1 dev eth0 scope link $/m);
    assert.equal(await pod.sysctl('net/ipv4/ip_forward'), '0');

    // host side
    const [h] = await bed.host.ipJson<{ address: string; mtu: number; flags: string[] }>(
      'link',
      'show',
      'dev',
      veth,
    );
    assert.equal(h.address, 'ee:ee:ee:ee:ee:ee');
    assert.equal(h.mtu, 1400);
    assert.ok(h.flags.includes('UP'));
    assert.equal(
      (await bed.host.ip('-4', 'addr', 'show', 'dev', veth)).trim(),
      '',
      'no address on the host side',
    );
    assert.match(
      await bed.host.ip('route', 'show', `${ip}/32`),
      new RegExp(`^${ip.replace(/\./g, '\\.')} dev ${veth} scope link`),
    );
    for (const [k, v] of [
      [`net/ipv4/conf/${veth}/proxy_arp`, '1'],
      [`net/ipv4/neigh/${veth}/proxy_delay`, '0'],
      [`net/ipv4/conf/${veth}/route_localnet`, '1'],
      [`net/ipv4/conf/${veth}/forwarding`, '1'],
      [`net/ipv6/conf/${veth}/accept_ra`, '0'],
    ]) {
      assert.equal(await bed.host.sysctl(k), v, k);
    }

    // datastore
    const wep = await bed.client.get('WorkloadEndpoint', `${NODE}-cni-cid--a1-eth0`, 'default');
    assert.deepEqual(wep.spec, {
      orchestrator: 'cni',
      node: NODE,
      containerID: 'cid-a1',
      endpoint: 'eth0',
      ipNetworks: [`${ip}/32`],
      profiles: ['net1'],
      interfaceName: veth,
      mac: eth0.address,
    });
    assert.deepEqual(await heldBy(bed, 'net1.cid-a1'), [ip]);
    assert.ok(await bed.client.get('Profile', 'net1'));

    const check = await bed.tool.check('net1', pod, { containerId: 'cid-a1' });
    assert.equal(check.code, 0, check.stderr);

    const del = await bed.tool.del('net1', pod, { containerId: 'cid-a1' });
    assert.equal(del.code, 0, del.stderr);
    await assertNothingLeft(bed, [pod], 'after DEL');
    const again = await bed.tool.del('net1', pod, { containerId: 'cid-a1' });
    assert.equal(again.code, 0, again.stderr);
  });

  it('dual-stack pods reach each other over IPv4 and IPv6 through host routes, proxy ARP and the host link-local', async () => {
    const [a, b] = [await bed.pod('d1'), await bed.pod('d2')];
    const ra = await bed.tool.add('dual', a, { containerId: 'dual1' });
    const rb = await bed.tool.add('dual', b, { containerId: 'dual2' });
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    const ips = (r: typeof ra) => (r.result as unknown as AddResult).ips.map((i) => i.address.split('/')[0]);
    const [a4, a6] = ips(ra);
    const [b4, b6] = ips(rb);
    assert.match(a6, /^fd00:10:244:/);
    assert.match(
      await a.ip('-6', 'route', 'show', 'default'),
      /default via fe80::ecee:eeff:feee:eeee dev eth0/,
    );
    assert.match(
      await bed.host.ip('-6', 'addr', 'show', 'dev', 'calidual1'),
      /fe80::ecee:eeff:feee:eeee\/64/,
    );
    assert.equal(await a.sysctl('net/ipv6/conf/eth0/accept_dad'), '0');
    assert.equal(await a.sysctl('net/ipv6/conf/all/forwarding'), '0');
    for (const [k, v] of [
      ['proxy_ndp', '1'],
      ['forwarding', '1'],
      ['accept_dad', '0'],
      ['disable_ipv6', '0'],
    ]) {
      assert.equal(await bed.host.sysctl(`net/ipv6/conf/calidual1/${k}`), v, k);
    }
    assert.match(await bed.host.ip('-6', 'route', 'show', `${b6}/128`), /dev calidual2/);

    const ping4 = await a.run('ping', ['-n', '-c', '2', '-i', '0.2', '-W', '2', b4]);
    assert.equal(ping4.code, 0, ping4.stdout + ping4.stderr);
    const ping6 = await b.run('ping', ['-6', '-n', '-c', '2', '-i', '0.2', '-W', '2', a6]);
    assert.equal(ping6.code, 0, ping6.stdout + ping6.stderr);
    assert.match(await a.ip('neigh', 'show', '169.254.1.1'), /lladdr ee:ee:ee:ee:ee:ee/);
    assert.notEqual(a4, b4);

    assert.equal((await bed.tool.check('dual', a, { containerId: 'dual1' })).code, 0);
    assert.equal((await bed.tool.del('dual', a, { containerId: 'dual1' })).code, 0);
    assert.equal((await bed.tool.del('dual', b, { containerId: 'dual2' })).code, 0);
    await assertNothingLeft(bed, [a, b], 'after dual-stack DEL');
  });

  it('plain CNI ADD twice is idempotent; Kubernetes ADD twice rewires without leaking', async () => {
    const pod = await bed.pod('i');
    const first = await bed.tool.add('net1', pod, { containerId: 'idem' });
    const second = await bed.tool.add('net1', pod, { containerId: 'idem' });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual((second.result as unknown as AddResult).ips, (first.result as unknown as AddResult).ips);
    assert.equal((await heldBy(bed, 'net1.idem')).length, 1);
    assert.equal((await bed.tool.del('net1', pod, { containerId: 'idem' })).code, 0);

    const args = { K8S_POD_NAMESPACE: 'team-a', K8S_POD_NAME: 'web-0' };
    const veth = `cali${createHash('sha1').update('team-a.web-0').digest('hex').slice(0, 11)}`;
    const k1 = await bed.tool.add('k8s', pod, { containerId: 'k8s1', args });
    assert.equal(k1.code, 0, k1.stderr);
    assert.equal((k1.result as unknown as AddResult).interfaces[0].name, veth);
    // The runtime lost track and sets the same sandbox up again (its eth0 is still there).
    const k2 = await bed.tool.add('k8s', pod, { containerId: 'k8s1', args });
    assert.equal(k2.code, 0, k2.stderr);
    assert.deepEqual((k2.result as unknown as AddResult).ips, (k1.result as unknown as AddResult).ips);
    assert.deepEqual(await caliLinks(bed.host), [veth]);
    assert.equal((await heldBy(bed, 'net1.k8s1')).length, 0, 'the handle is named after the network');
    assert.equal((await heldBy(bed, 'k8s.k8s1')).length, 1);
    const wep = await bed.client.get('WorkloadEndpoint', `${NODE}-k8s-web--0-eth0`, 'team-a');
    assert.deepEqual(wep.spec?.profiles, ['kns.team-a']);
    assert.equal(wep.metadata.labels?.['projectcalico.org/orchestrator'], 'k8s');
    assert.equal((await bed.tool.check('k8s', pod, { containerId: 'k8s1', args })).code, 0);
    assert.equal((await bed.tool.del('k8s', pod, { containerId: 'k8s1', args })).code, 0);
    await assertNothingLeft(bed, [pod], 'after Kubernetes DEL');
  });

  it('DEL of a container that was never added succeeds, with or without its namespace', async () => {
    const pod = await bed.pod('u');
    assert.equal((await bed.tool.del('net1', pod, { containerId: 'ghost' })).code, 0);
    assert.equal(
      (await bed.tool.del('net1', '/run/netns/does-not-exist', { containerId: 'ghost2' })).code,
      0,
    );
  });

  it("CHECK notices what changed behind the plugin's back", async () => {
    const pod = await bed.pod('c');
    const add = await bed.tool.add('net1', pod, { containerId: 'chk' });
    const ip = (add.result as unknown as AddResult).ips[0].address.split('/')[0];
    await bed.host.ip('route', 'del', `${ip}/32`, 'dev', 'calichk');
    await pod.ip('route', 'del', 'default');
    const check = await bed.tool.check('net1', pod, { containerId: 'chk' });
    assert.equal(check.code, 1);
    assert.equal(check.error?.code, 105);
    assert.match(check.error?.msg ?? '', /host route .* dev calichk scope link is missing/);
    assert.match(check.error?.msg ?? '', /route 0\.0\.0\.0\/0 via 169\.254\.1\.1 dev eth0 is missing/);
    assert.equal((await bed.tool.del('net1', pod, { containerId: 'chk' })).code, 0);
  });

  it('allow_ip_forwarding and num_queues reach the pod', async () => {
    const pod = await bed.pod('f');
    bed.tool.writeConflist('fwd', [
      bed.calico({ container_settings: { allow_ip_forwarding: true }, num_queues: 2 }),
    ]);
    const add = await bed.tool.add('fwd', pod, { containerId: 'fwd' });
    assert.equal(add.code, 0, add.stderr);
    assert.equal(await pod.sysctl('net/ipv4/ip_forward'), '1');
    const [eth0] = await pod.ipJson<{ num_tx_queues: number; num_rx_queues: number }>(
      '-d',
      'link',
      'show',
      'dev',
      'eth0',
    );
    assert.equal(eth0.num_tx_queues, 2);
    assert.equal(eth0.num_rx_queues, 2);
    assert.equal((await bed.tool.check('fwd', pod, { containerId: 'fwd' })).code, 0);
    assert.equal((await bed.tool.del('fwd', pod, { containerId: 'fwd' })).code, 0);
    await assertNothingLeft(bed, [pod], 'after the forwarding pod');
  });

  it('a non-Calico IPAM plugin (host-local) is delegated to through CNI_PATH', async () => {
    const pod = await bed.pod('hl');
    bed.tool.writeConflist('hl', [
      bed.calico({
        ipam: {
          type: 'host-local',
          dataDir: `${bed.tool.dir}/host-local`,
          ranges: [[{ subnet: '10.245.0.0/24' }]],
        },
      }),
    ]);
    const add = await bed.tool.add('hl', pod, { containerId: 'hl1' });
    assert.equal(add.code, 0, add.stderr);
    const ip = (add.result as unknown as AddResult).ips[0].address;
    assert.match(ip, /^10\.245\.0\.\d+\/32$/);
    assert.match(await bed.host.ip('route', 'show', ip), /dev calihl1 scope link/);
    assert.equal((await bed.tool.check('hl', pod, { containerId: 'hl1' })).code, 0);
    assert.equal((await bed.tool.del('hl', pod, { containerId: 'hl1' })).code, 0);
    await assertNothingLeft(bed, [pod], 'after the host-local pod');
  });

  it("results come in the conflist's version (0.3.1)", async () => {
    const pod = await bed.pod('v');
    const add = await bed.tool.add('old', pod, { containerId: 'ver' });
    assert.equal(add.code, 0, add.stderr);
    const res = add.result as unknown as AddResult;
    assert.equal(res.cniVersion, '0.3.1');
    assert.equal(res.ips[0].version, '4');
    assert.equal((await bed.tool.del('old', pod, { containerId: 'ver' })).code, 0);
    await assertNothingLeft(bed, [pod], 'after 0.3.1 DEL');
  });
});
