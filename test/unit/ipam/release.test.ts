import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resource } from '../../../src/api/index.js';
import { isCalicoError } from '../../../src/errors/index.js';
import { IPAM_CONFIG_KEY, isIPAMError } from '../../../src/ipam/index.js';
import { node, pool, setup, v4, type Env } from './helpers.js';

const bare = (ips: string[]) => ips.map((ip) => ip.split('/')[0]);

async function blocks(env: Env) {
  return (await env.ipam.listBlocks()).map((b) => b.block);
}

async function handles(env: Env) {
  return Object.fromEntries((await env.ipam.listHandles()).map((h) => [h.handleId, h.handle.block]));
}

describe('release', () => {
  it('by address: grouped per block, reports unallocated, decrements and deletes handles', async () => {
    const env = await setup([pool('p', '10.0.0.0/24', { blockSize: 30 }), node('a')]);
    const r1 = bare((await v4(env, 'a', 'h1', 3)).ipv4.ips);
    const r2 = bare((await v4(env, 'a', 'h2', 3)).ipv4.ips);
    const { unallocated } = await env.ipam.releaseIPs([
      { address: r1[0] },
      { address: r1[1] },
      { address: r2[2] },
      { address: '10.0.0.200' },
      { address: '192.168.1.1' },
    ]);
    assert.deepEqual(unallocated.sort(), ['10.0.0.200', '192.168.1.1']);
    const h = await handles(env);
    assert.equal(
      Object.values(h.h1).reduce((a, b) => a + b),
      1,
    );
    assert.equal(
      Object.values(h.h2).reduce((a, b) => a + b),
      2,
    );
    // Releasing the same address again: unallocated, not an error.
    assert.deepEqual((await env.ipam.releaseIPs([{ address: r1[0] }])).unallocated, [r1[0]]);
    await env.ipam.releaseIPs([{ address: r1[2] }]);
    assert.equal((await handles(env)).h1, undefined, 'handle deleted at zero');
    await assert.rejects(env.ipam.releaseIPs([{ address: '' }]), /No IP address specified in options/);
  });

  it('empty blocks are deleted only when unaffine; affine blocks stay', async () => {
    const env = await setup([pool('p', '10.0.0.0/29', { blockSize: 30 }), node('a'), node('b')]);
    await v4(env, 'b', 'hb', 1);
    const mine = bare((await v4(env, 'a', 'ha', 6)).ipv4.ips); // 4 own + 2 borrowed from b's block
    await env.ipam.releaseHostAffinities('b', false); // b's block keeps a's addresses, becomes unaffine
    assert.equal((await blocks(env)).filter((b) => b.affinity === null).length, 1);
    await env.ipam.releaseByHandle('hb');
    await env.ipam.releaseIPs(mine.map((address) => ({ address })));
    const left = await blocks(env);
    assert.deepEqual(
      left.map((b) => b.affinity),
      ['host:a'],
      'the emptied unaffine block was deleted, the affine one kept',
    );
    assert.deepEqual(await handles(env), {});
  });

  it('by handle: every address of the handle, NOT_FOUND for an unknown handle', async () => {
    const env = await setup([pool('p', '10.0.0.0/24', { blockSize: 30 }), node('a')]);
    await v4(env, 'a', 'h', 6); // spans two blocks
    await v4(env, 'a', 'keep', 1);
    await env.ipam.releaseByHandle('h');
    assert.deepEqual(Object.keys(await handles(env)), ['keep']);
    await assert.rejects(env.ipam.releaseByHandle('h'), (e) => isCalicoError(e, 'NOT_FOUND'));
    await assert.rejects(env.ipam.ipsByHandle('h'), (e) => isCalicoError(e, 'NOT_FOUND'));
    const used = (await blocks(env)).flatMap((b) => b.allocations.filter((a) => a !== null));
    assert.equal(used.length, 1);
  });

  it('sequence numbers protect a release from acting on a re-allocated address', async () => {
    const env = await setup([pool('p', '10.0.0.0/30', { blockSize: 30 }), node('a')]);
    const [ip] = bare((await v4(env, 'a', 'h1', 1)).ipv4.ips);
    const info = await env.ipam.getAssignmentAttributes(ip);
    assert.equal(info?.handleId, 'h1');
    assert.ok(info!.sequenceNumber > 2n ** 53n, 'ns-based sequence numbers survive exactly');
    await assert.rejects(
      env.ipam.releaseIPs([{ address: ip, sequenceNumber: info!.sequenceNumber + 1n }]),
      (e) => isCalicoError(e, 'UPDATE_CONFLICT') && isIPAMError(e, 'badSequenceNumber'),
    );
    await assert.rejects(
      env.ipam.releaseIPs([{ address: ip, handleId: 'other' }]),
      (e) => isIPAMError(e, 'badHandle') && e.message === `update conflict: ${ip}`,
    );
    await env.ipam.releaseIPs([{ address: ip, handleId: 'h1', sequenceNumber: info!.sequenceNumber }]);
    assert.equal(await env.ipam.getAssignmentAttributes(ip), undefined);
  });

  it('cooldown keeps released addresses out of use until it expires; FIFO reuses the longest-free', async () => {
    const env = await setup([pool('p', '10.0.0.0/30', { blockSize: 30 }), node('a')]);
    await env.ipam.setIPAMConfig({ ...(await env.ipam.getIPAMConfig()), ipCooldownSeconds: 60 });
    const first = bare((await v4(env, 'a', 'h1', 2)).ipv4.ips);
    await env.ipam.releaseByHandle('h1');
    const info = await env.ipam.getAssignmentAttributes(first[0]);
    assert.equal(info?.inCooldown, true);
    assert.equal(info?.handleId, undefined);
    const next = bare((await v4(env, 'a', 'h2', 4)).ipv4.ips);
    assert.equal(next.length, 2, 'only the two never-used addresses');
    assert.ok(!next.includes(first[0]) && !next.includes(first[1]));
    env.clock.now = new Date(env.clock.now.getTime() + 61_000);
    const later = bare((await v4(env, 'a', 'h3', 1)).ipv4.ips);
    assert.deepEqual(later, [first[0]]);
  });

  it('with cooldown 0 a freed address goes to the FIFO tail', async () => {
    const env = await setup([pool('p', '10.0.0.0/29', { blockSize: 29 }), node('a')]);
    const ips = bare((await v4(env, 'a', 'h1', 2)).ipv4.ips);
    await env.ipam.releaseIPs([{ address: ips[0] }]);
    const next = bare((await v4(env, 'a', 'h2', 7)).ipv4.ips);
    assert.equal(next.length, 7);
    assert.equal(next.at(-1), ips[0]);
  });
});

describe('affinity release', () => {
  it('mustBeEmpty keeps a used block (and says so); removeIPAMHost releases all and the host key', async () => {
    const env = await setup([
      pool('p', '10.0.0.0/24', { blockSize: 28 }),
      pool('p6', 'fd00::/120'),
      node('a'),
    ]);
    await env.ipam.autoAssign({ num4: 1, num6: 1, handleId: 'h', hostname: 'a', intendedUse: 'Workload' });
    await env.ipam.claimAffinity('10.0.0.128/28', 'a');
    assert.equal((await env.ipam.listAffinities()).length, 3);
    await assert.rejects(env.ipam.releaseHostAffinities('a', true), (e) => isIPAMError(e, 'blockNotEmpty'));
    assert.equal((await env.ipam.listAffinities()).length, 2, 'the empty claimed block was released');
    await env.backend.create('/calico/ipam/v2/host/a', '');
    await env.ipam.removeIPAMHost('a');
    assert.deepEqual(await env.ipam.listAffinities(), []);
    assert.equal(await env.backend.get('/calico/ipam/v2/host/a'), undefined);
    const left = await blocks(env);
    assert.deepEqual(
      left.map((b) => b.affinity),
      [null, null],
      'blocks with addresses stay, unaffine',
    );
    assert.equal((await env.ipam.ipsByHandle('h')).length, 2);
  });
});

describe('assignIP', () => {
  it('claims the block for the host, refuses a taken address, checks pool and use', async () => {
    const env = await setup([
      pool('p', '10.0.0.0/24'),
      pool('tun', '10.1.0.0/24', { allowedUses: ['Tunnel'] }),
      node('a'),
    ]);
    await env.ipam.assignIP({
      ip: '10.0.0.77',
      handleId: 'x',
      hostname: 'a',
      intendedUse: 'Workload',
      attrs: { k: 'v' },
    });
    const [b] = await blocks(env);
    assert.equal(b.cidr, '10.0.0.64/26');
    assert.equal(b.affinity, 'host:a');
    assert.equal(b.unallocated.includes(13), false);
    assert.deepEqual((await env.ipam.getAssignmentAttributes('10.0.0.77'))?.attrs, { k: 'v' });
    await assert.rejects(
      env.ipam.assignIP({ ip: '10.0.0.77', handleId: 'y', hostname: 'a', intendedUse: 'Workload' }),
      (e) => isCalicoError(e, 'ALREADY_EXISTS') && isIPAMError(e, 'alreadyAssigned'),
    );
    await assert.rejects(
      env.ipam.assignIP({ ip: '10.9.0.1', handleId: 'y', hostname: 'a', intendedUse: 'Workload' }),
      (e) => e instanceof Error && e.message === 'The provided IP address is not in a configured pool\n',
    );
    await assert.rejects(
      env.ipam.assignIP({ ip: '10.1.0.1', handleId: 'y', hostname: 'a', intendedUse: 'Workload' }),
      /IP address 10.1.0.1 is in IP pool "tun", which is not allowed for use "Workload" \(allowedUses: \[Tunnel\]\)/,
    );
    // The handle counts exactly the one address.
    assert.deepEqual(await handles(env), { x: { '10.0.0.64/26': 1 } });
  });

  it('under strict affinity refuses another host’s block', async () => {
    const env = await setup([pool('p', '10.0.0.0/24'), node('a'), node('b')]);
    await env.ipam.setIPAMConfig({ ...(await env.ipam.getIPAMConfig()), strictAffinity: true });
    await env.ipam.assignIP({ ip: '10.0.0.1', handleId: 'x', hostname: 'a', intendedUse: 'Workload' });
    await assert.rejects(
      env.ipam.assignIP({ ip: '10.0.0.2', handleId: 'y', hostname: 'b', intendedUse: 'Workload' }),
      /Block host affinity does not match/,
    );
  });
});

describe('IPAM config', () => {
  it('absent key reads as defaults and is not written by reads; set applies Calico’s rules', async () => {
    const env = await setup([]);
    assert.deepEqual(await env.ipam.getIPAMConfig(), {
      strictAffinity: false,
      autoAllocateBlocks: true,
      maxBlocksPerHost: 0,
      kubeVirtVMAddressPersistence: 'Enabled',
      ipCooldownSeconds: 0,
    });
    assert.equal(await env.backend.get(IPAM_CONFIG_KEY), undefined);
    const cfg = await env.ipam.getIPAMConfig();
    await env.ipam.setIPAMConfig(cfg); // unchanged: no write
    assert.equal(await env.backend.get(IPAM_CONFIG_KEY), undefined);
    await assert.rejects(env.ipam.setIPAMConfig({ ...cfg, autoAllocateBlocks: false }), /Cannot disable/);
    await assert.rejects(env.ipam.setIPAMConfig({ ...cfg, maxBlocksPerHost: 5 }), /requires StrictAffinity/);
    await env.ipam.setIPAMConfig({ ...cfg, strictAffinity: true, maxBlocksPerHost: 5 });
    assert.equal(
      (await env.backend.get(IPAM_CONFIG_KEY))?.value,
      '{"strict_affinity":true,"auto_allocate_blocks":true,"maxBlocksPerHost":5,"kubeVirtVMAddressPersistence":"Enabled"}',
    );
    assert.equal((await env.ipam.getIPAMConfig()).maxBlocksPerHost, 5);
  });
});

describe('client hooks', () => {
  it('deleting an IPPool releases its affinities: empty blocks go, used blocks become unaffine', async () => {
    const env = await setup([
      pool('p', '10.0.0.0/24', { blockSize: 30 }),
      pool('q', '10.1.0.0/24'),
      node('a'),
    ]);
    await v4(env, 'a', 'h1', 5); // two blocks of p
    await v4(env, 'a', 'h2', 1, { ipv4Pools: ['10.1.0.0/24'] });
    await env.ipam.releaseByHandle('h1');
    await v4(env, 'a', 'h3', 1, { ipv4Pools: ['10.0.0.0/24'] });
    await env.client.delete('IPPool', 'p');
    const left = await blocks(env);
    assert.deepEqual(left.map((b) => [b.cidr.startsWith('10.0.') ? 'p' : 'q', b.affinity]).sort(), [
      ['p', null],
      ['q', 'host:a'],
    ]);
    assert.deepEqual(
      (await env.ipam.listAffinities()).map((a) => a.cidr.startsWith('10.1.')),
      [true],
    );
  });

  it('deleting a Node releases its workload and tunnel addresses and its affinities', async () => {
    const env = await setup([pool('p', '10.0.0.0/24'), node('a'), node('b')]);
    const wep = bare((await v4(env, 'a', 'k8s-pod-network.c1', 1)).ipv4.ips)[0];
    const tunnel = bare(
      (
        await env.ipam.autoAssign({
          num4: 1,
          num6: 0,
          handleId: 'vxlan-tunnel-addr-a',
          hostname: 'a',
          intendedUse: 'Tunnel',
        })
      ).ipv4.ips,
    )[0];
    await v4(env, 'b', 'k8s-pod-network.c2', 1);
    const n = await env.client.get('Node', 'a');
    await env.client.update({ ...n, spec: { ...(n.spec ?? {}), ipv4VXLANTunnelAddr: tunnel } } as Resource);
    await env.client.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'WorkloadEndpoint',
      metadata: { name: 'a-k8s-pod1-eth0', namespace: 'default' },
      spec: {
        orchestrator: 'k8s',
        node: 'a',
        pod: 'pod1',
        endpoint: 'eth0',
        interfaceName: 'cali0123456789a',
        ipNetworks: [`${wep}/32`],
      },
    });
    await env.client.delete('Node', 'a');
    assert.equal(await env.ipam.getAssignmentAttributes(wep), undefined);
    assert.equal(await env.ipam.getAssignmentAttributes(tunnel), undefined);
    assert.deepEqual(
      (await env.ipam.listAffinities()).map((x) => x.host),
      ['b'],
    );
    assert.deepEqual(Object.keys(await handles(env)), ['k8s-pod-network.c2']);
  });
});
