import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend, KV } from '../../../src/datastore/index.js';
import { isCalicoError } from '../../../src/errors/index.js';
import {
  IPAMClient,
  blockKey,
  encodeBlock,
  hostAffinityPrefix,
  isIPAMError,
  partialFulfillmentError,
} from '../../../src/ipam/index.js';
import { newBlock } from '../../../src/ipam/core/block.js';
import { parseCIDR } from '../../../src/net/index.js';
import { node, pool, reservation, setup, v4, type Env } from './helpers.js';

async function blocksOf(env: Env) {
  return (await env.ipam.listBlocks()).map((b) => b.block);
}

async function handleTotal(env: Env, id: string): Promise<number> {
  const h = (await env.ipam.listHandles()).find((x) => x.handleId === id);
  return h ? Object.values(h.handle.block).reduce((a, b) => a + b, 0) : 0;
}

describe('autoAssign', () => {
  it('claims an affine block and returns addresses with the block prefix', async () => {
    const env = await setup([pool('p', '10.0.0.0/24'), node('a')]);
    const r = await v4(env, 'a', 'h1', 3);
    assert.equal(r.ipv4.ips.length, 3);
    assert.ok(r.ipv4.ips.every((ip) => ip.endsWith('/26')));
    assert.deepEqual(r.ipv6, { ips: [], numRequested: 0, msgs: [] });
    const [b] = await blocksOf(env);
    assert.equal(b.affinity, 'host:a');
    assert.equal(b.affinity_claim_time, '2026-01-01T00:00:00Z');
    assert.deepEqual(b.attributes, [
      { handle_id: 'h1', secondary: { namespace: 'default', node: 'a', pod: 'h1' } },
    ]);
    const affs = await env.ipam.listAffinities();
    assert.deepEqual(
      affs.map((a) => [a.host, a.cidr, a.state]),
      [['a', b.cidr, 'confirmed']],
    );
    assert.equal(await handleTotal(env, 'h1'), 3);
    assert.deepEqual(
      await env.ipam.ipsByHandle('h1'),
      r.ipv4.ips.map((ip) => ip.split('/')[0]),
    );
  });

  it('uses the affine block first and claims another only when it is full', async () => {
    const env = await setup([pool('p', '10.0.0.0/24', { blockSize: 30 }), node('a')]);
    const first = await v4(env, 'a', 'h1', 4);
    const second = await v4(env, 'a', 'h2', 1);
    const blocks = await blocksOf(env);
    assert.equal(blocks.length, 2);
    assert.ok(blocks.every((b) => b.affinity === 'host:a'));
    const firstBlock = first.ipv4.ips[0].replace(/\.\d+\/30$/, '');
    assert.ok(first.ipv4.ips.every((ip) => ip.startsWith(firstBlock)));
    assert.ok(!second.ipv4.ips[0].startsWith(`${firstBlock}.`) || blocks.length === 2);
  });

  it('dual-stack: one call assigns both families', async () => {
    const env = await setup([pool('p4', '10.0.0.0/24'), pool('p6', 'fd00:10::/120'), node('a')]);
    const r = await env.ipam.autoAssign({
      num4: 1,
      num6: 2,
      handleId: 'h',
      hostname: 'a',
      intendedUse: 'Workload',
    });
    assert.equal(r.ipv4.ips.length, 1);
    assert.deepEqual(
      r.ipv6.ips.map((ip) => ip.split('/')[1]),
      ['122', '122'],
    );
    assert.equal(await handleTotal(env, 'h'), 3);
    assert.deepEqual((await env.ipam.listAffinities()).map((a) => a.family).sort(), [4, 6]);
  });

  it('pool exhausted: a partial result with Calico messages, not an error', async () => {
    const env = await setup([pool('p', '10.0.0.0/30', { blockSize: 30 }), node('a')]);
    const r = await v4(env, 'a', 'h', 6);
    assert.equal(r.ipv4.ips.length, 4);
    assert.equal(
      partialFulfillmentError(r.ipv4, 4),
      'Assigned 4 out of 6 requested IPv4 addresses; No IPs available in pools: [10.0.0.0/30]',
    );
  });

  it('strict affinity: no borrowing, and says so', async () => {
    const env = await setup([pool('p', '10.0.0.0/29', { blockSize: 30 }), node('a'), node('b')]);
    await env.ipam.setIPAMConfig({ ...(await env.ipam.getIPAMConfig()), strictAffinity: true });
    await v4(env, 'b', 'hb', 1);
    const r = await v4(env, 'a', 'ha', 6);
    assert.equal(r.ipv4.ips.length, 4);
    assert.equal(
      partialFulfillmentError(r.ipv4, 4),
      'Assigned 4 out of 6 requested IPv4 addresses; No more free affine blocks and strict affinity enabled',
    );
  });

  it('without strict affinity, borrows from another host’s block once no block is free', async () => {
    const env = await setup([pool('p', '10.0.0.0/29', { blockSize: 30 }), node('a'), node('b')]);
    const b = await v4(env, 'b', 'hb', 1);
    const r = await v4(env, 'a', 'ha', 6);
    assert.equal(r.ipv4.ips.length, 6);
    const quad = (ip: string) => Number(ip.split('/')[0].split('.')[3]) >> 2;
    const borrowed = r.ipv4.ips.filter((ip) => quad(ip) === quad(b.ipv4.ips[0]));
    assert.equal(borrowed.length, 2, 'two addresses borrowed from b’s block');
    const blocks = await blocksOf(env);
    assert.deepEqual(blocks.map((x) => x.affinity).sort(), ['host:a', 'host:b']);
  });

  it('maxBlocksPerHost: the block limit is an error carrying the partial result', async () => {
    const env = await setup([pool('p', '10.0.0.0/24', { blockSize: 30 }), node('a')]);
    await assert.rejects(v4(env, 'a', 'h', 10, { maxBlocksPerHost: 2 }), (e) => {
      assert.ok(isIPAMError(e, 'blockLimit'));
      assert.equal(e.message, 'cannot allocate new block due to per host block limit');
      assert.equal(e.partial?.ipv4.ips.length, 8);
      assert.equal(
        partialFulfillmentError(e.partial!.ipv4, 4),
        'Assigned 8 out of 10 requested IPv4 addresses; Need to allocate an IPAM block but could not - limit of 2 blocks reached for this node',
      );
      return true;
    });
    // The config's limit applies too (it needs strict affinity).
    await env.ipam.setIPAMConfig({
      ...(await env.ipam.getIPAMConfig()),
      strictAffinity: true,
      maxBlocksPerHost: 3,
    });
    await assert.rejects(
      v4(env, 'a', 'h2', 10),
      (e) => isIPAMError(e, 'blockLimit') && e.partial?.ipv4.ips.length === 4,
    );
  });

  it('no pool selects the node; disabled pools; wrong use; requested pools', async () => {
    const env = await setup([
      pool('p', '10.0.0.0/24', { nodeSelector: "zone == 'east'" }),
      pool('off', '10.1.0.0/24', { disabled: true }),
      pool('tun', '10.2.0.0/24', { allowedUses: ['Tunnel'], nodeSelector: "zone == 'west'" }),
      node('a', { zone: 'north' }),
      node('w', { zone: 'west' }),
    ]);
    await assert.rejects(
      v4(env, 'a', 'h'),
      (e) => isIPAMError(e, 'noPoolsForNode') && e.message === 'no configured Calico pools for node a',
    );
    await assert.rejects(
      v4(env, 'w', 'h'),
      (e) =>
        e instanceof Error &&
        e.message === 'cannot find a qualified ippool, no pools match the required use (Workload)',
    );
    await assert.rejects(
      v4(env, 'a', 'h', 1, { ipv4Pools: ['10.1.0.0/24'] }),
      /the given pool \(10.1.0.0\/24\) does not exist, or is not enabled/,
    );
    await assert.rejects(
      v4(env, 'a', 'h', 1, { ipv4Pools: ['fd00::/64'] }),
      /provided IPv4 IPPools list contains one or more IPv6 IPPools/,
    );
    // A requested pool is used whatever its selectors say.
    const r = await v4(env, 'a', 'h', 1, { ipv4Pools: ['10.0.0.0/24'] });
    assert.match(r.ipv4.ips[0], /^10\.0\.0\./);
    const env2 = await setup([pool('off', '10.1.0.0/24', { disabled: true }), node('a')]);
    await assert.rejects(
      v4(env2, 'a', 'h'),
      (e) => isIPAMError(e, 'noQualifiedPool') && e.message === 'cannot find a qualified ippool',
    );
    await assert.rejects(v4(env2, 'missing', 'h'), (e) => isCalicoError(e, 'NOT_FOUND'));
  });

  it('namespaceSelector and assignmentMode Manual', async () => {
    const env = await setup([
      pool('a-manual', '10.9.0.0/24', { assignmentMode: 'Manual' }),
      pool('b-team', '10.0.0.0/24', { namespaceSelector: "team == 'x'", allowedUses: ['Workload'] }),
      pool('c-rest', '10.1.0.0/24', { namespaceSelector: "team != 'x'", allowedUses: ['Workload'] }),
      node('n'),
    ]);
    const x = await v4(env, 'n', 'h1', 1, { namespaceLabels: { team: 'x' } });
    assert.match(x.ipv4.ips[0], /^10\.0\.0\./);
    const other = await v4(env, 'n', 'h2', 1);
    assert.match(other.ipv4.ips[0], /^10\.1\.0\./);
    const manual = await v4(env, 'n', 'h3', 1, { ipv4Pools: ['10.9.0.0/24'] });
    assert.match(manual.ipv4.ips[0], /^10\.9\.0\./);
  });

  it('IPReservations are skipped (and whole reserved blocks never chosen)', async () => {
    const env = await setup([
      pool('p', '10.0.0.0/28', { blockSize: 29 }),
      node('a'),
      reservation('r', ['10.0.0.0/30', '10.0.0.5', '10.0.0.8/29']),
    ]);
    const r = await v4(env, 'a', 'h', 10);
    assert.deepEqual(
      r.ipv4.ips.map((ip) => ip.split('/')[0]),
      ['10.0.0.4', '10.0.0.6', '10.0.0.7'],
    );
    const [b] = await blocksOf(env);
    assert.deepEqual(b.unallocated, [0, 1, 2, 3, 5]);
  });

  it('LoadBalancer uses a virtual affinity and needs no Node', async () => {
    const env = await setup([pool('lb', '10.5.0.0/24', { allowedUses: ['LoadBalancer'] })]);
    const r = await env.ipam.autoAssign({
      num4: 1,
      num6: 0,
      handleId: 'lb-x',
      hostname: 'load-balancer',
      intendedUse: 'LoadBalancer',
    });
    assert.equal(r.ipv4.ips.length, 1);
    const [a] = await env.ipam.listAffinities();
    assert.equal(a.type, 'virtual');
    assert.equal((await blocksOf(env))[0].affinity, 'virtual:load-balancer');
  });

  it('concurrent calls (two hosts, two clients each) never hand out an address twice', async () => {
    const env = await setup([pool('p', '10.0.0.0/24', { blockSize: 28 }), node('a'), node('b')]);
    // A second client per host in another "process": its calls race the first client's on the same
    // blocks and affinities (the in-process host lock does not cover it).
    const other = { ...env, ipam: new IPAMClient(env.backend, env.client, { now: () => env.clock.now }) };
    const calls = Array.from({ length: 40 }, (_, i) =>
      v4(i % 4 < 2 ? env : other, i % 2 ? 'a' : 'b', `h${i}`, 2),
    );
    const ips = (await Promise.all(calls)).flatMap((r) => r.ipv4.ips);
    assert.equal(ips.length, 80);
    assert.equal(new Set(ips).size, 80);
    let handles = 0;
    for (let i = 0; i < 40; i++) handles += await handleTotal(env, `h${i}`);
    assert.equal(handles, 80);
  });

  it('reclaims another host’s empty block claimed over a minute ago, not a fresh one', async () => {
    const env = await setup([pool('p', '10.0.0.0/30', { blockSize: 30 }), node('a'), node('b')]);
    await v4(env, 'b', 'hb', 1);
    await env.ipam.releaseByHandle('hb');
    assert.equal((await blocksOf(env))[0].affinity, 'host:b', 'affine block stays after its last release');
    const early = await v4(env, 'a', 'ha', 1);
    assert.equal(early.ipv4.ips.length, 1, 'borrowed (non-strict) while the block is young');
    await env.ipam.releaseByHandle('ha');
    env.clock.now = new Date(env.clock.now.getTime() + 61_000);
    const late = await v4(env, 'a', 'ha2', 1);
    assert.equal(late.ipv4.ips.length, 1);
    assert.equal((await blocksOf(env))[0].affinity, 'host:a');
    assert.deepEqual(
      (await env.ipam.listAffinities()).map((x) => x.host),
      ['a'],
    );
  });

  it('a stale affinity (block owned by another host) is deleted and another block used', async () => {
    const env = await setup([pool('p', '10.0.0.0/29', { blockSize: 30 }), node('a'), node('b')]);
    await v4(env, 'b', 'hb', 1);
    const [bb] = await blocksOf(env);
    // Forge an affinity of a to b's block.
    await env.backend.create(
      `${hostAffinityPrefix('a', 4)}${bb.cidr.replace('/', '-')}`,
      '{"state":"confirmed","deleted":false}',
    );
    const r = await v4(env, 'a', 'ha', 1);
    assert.equal(r.ipv4.ips.length, 1);
    const hostsOfBlock = (await env.ipam.listAffinities())
      .filter((x) => x.cidr === bb.cidr)
      .map((x) => x.host);
    assert.deepEqual(hostsOfBlock, ['b']);
  });

  it('a long-lived client’s last block is used only while it is still affine to the host', async () => {
    const env = await setup([pool('p', '10.0.0.0/24', { blockSize: 28 }), node('a')]);
    const first = (await v4(env, 'a', 'h1', 1)).ipv4.ips[0];
    const firstBlock = (await blocksOf(env))[0].cidr;
    await env.ipam.releaseHostAffinities('a', false); // the block keeps h1, loses its affinity
    const second = (await v4(env, 'a', 'h2', 1)).ipv4.ips[0];
    const blocks = await blocksOf(env);
    assert.equal(blocks.length, 2);
    const now = blocks.find((b) => b.affinity === 'host:a')!;
    assert.notEqual(now.cidr, firstBlock);
    assert.notEqual(second, first);
    assert.equal(blocks.find((b) => b.cidr === firstBlock)!.affinity, null);
  });

  it('with 1,000 blocks in the pool, an allocation from an affine block reads O(1) blocks', async () => {
    const env = await setup([pool('p', '10.0.0.0/16', { blockSize: 26 }), node('a')]);
    await v4(env, 'a', 'first', 1);
    const mine = (await blocksOf(env))[0].cidr;
    // 1,000 blocks claimed by other hosts.
    const taken = new Set([mine]);
    let n = 0;
    for (let i = 0; n < 1000; i++) {
      const cidr = `10.0.${Math.floor(i / 4)}.${(i % 4) * 64}/26`;
      if (taken.has(cidr)) continue;
      const b = newBlock(parseCIDR(cidr), { nowNs: 1n, affinity: `host:other-${n}` });
      await env.backend.create(blockKey(cidr, 4), encodeBlock(b));
      n++;
    }
    const counted = countingBackend(env.backend);
    const ipam2 = new IPAMClient(counted.backend, env.client, { now: () => env.clock.now });
    const r = await ipam2.autoAssign({
      num4: 1,
      num6: 0,
      handleId: 'x',
      hostname: 'a',
      intendedUse: 'Workload',
    });
    assert.equal(r.ipv4.ips.length, 1);
    assert.equal(counted.blockReads, 1, `block reads: ${counted.blockReads}`);
    assert.equal(counted.blockLists, 0);
  });
});

/** Wraps a backend, counting reads of IPAM blocks (gets, and lists of the block prefix). */
function countingBackend(inner: Backend): { backend: Backend; blockReads: number; blockLists: number } {
  const out = { blockReads: 0, blockLists: 0, backend: undefined as unknown as Backend };
  out.backend = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop === 'get') {
        return async (key: string): Promise<KV | undefined> => {
          if (key.includes('/assignment/')) out.blockReads++;
          return target.get(key);
        };
      }
      if (prop === 'list') {
        return async (prefix: string) => {
          if (prefix.includes('/assignment/')) out.blockLists++;
          return target.list(prefix);
        };
      }
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return out;
}
