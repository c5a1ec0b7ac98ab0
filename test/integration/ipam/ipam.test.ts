import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Resource } from '../../../src/api/index.js';
import { Client } from '../../../src/client/index.js';
import { EtcdBackend } from '../../../src/datastore/index.js';
import { isCalicoError } from '../../../src/errors/index.js';
import {
  IPAMClient,
  IPAM_CONFIG_KEY,
  blockKey,
  isIPAMError,
  partialFulfillmentError,
} from '../../../src/ipam/index.js';
import { startEtcd, type EtcdHandle } from '../../helpers/etcd.js';
import { assertNoLeaks } from '../../helpers/leaks.js';

const pool = (name: string, cidr: string, spec: Record<string, unknown> = {}): Resource => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'IPPool',
  metadata: { name },
  spec: { cidr, ...spec },
});
const node = (name: string, labels: Record<string, string> = {}): Resource => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'Node',
  metadata: { name, labels },
  spec: {},
});
const bare = (ips: string[]) => ips.map((ip) => ip.split('/')[0]);

describe('IPAM on a real etcd', () => {
  let etcd: EtcdHandle;
  let backend: EtcdBackend;
  let client: Client;
  let ipam: IPAMClient;

  before(async () => {
    etcd = await startEtcd();
    backend = new EtcdBackend({ endpoints: etcd.endpoints });
    client = new Client(backend, { poolDeleteDelayMs: 10 });
    ipam = new IPAMClient(backend, client);
    client.ipamHooks = ipam.clientHooks();
  });
  beforeEach(async () => {
    await backend.deletePrefix('/calico/');
  });
  after(async () => {
    await client?.close();
    await etcd?.stop();
    await assertNoLeaks();
  });

  async function given(...rs: Resource[]): Promise<void> {
    for (const r of rs) await client.create(r);
  }

  const v4 = (host: string, handleId: string, num = 1, extra: Record<string, unknown> = {}) =>
    ipam.autoAssign({
      num4: num,
      num6: 0,
      handleId,
      hostname: host,
      intendedUse: 'Workload',
      attrs: { node: host },
      ...extra,
    });

  async function handleCount(): Promise<number> {
    let n = 0;
    for (const h of await ipam.listHandles()) for (const c of Object.values(h.handle.block)) n += c;
    return n;
  }

  it('pool exhausted: partial fulfilment with Calico’s message', async () => {
    await given(pool('small', '10.10.0.0/29', { blockSize: 30 }), node('n1'));
    const r = await v4('n1', 'h', 10);
    assert.equal(r.ipv4.ips.length, 8);
    assert.equal(
      partialFulfillmentError(r.ipv4, 4),
      'Assigned 8 out of 10 requested IPv4 addresses; No IPs available in pools: [10.10.0.0/29]',
    );
    assert.equal(await handleCount(), 8);
  });

  it('no pool selects the node; a disabled pool is not used', async () => {
    await given(
      pool('east', '10.20.0.0/24', { nodeSelector: "zone == 'east'" }),
      node('w', { zone: 'west' }),
    );
    await assert.rejects(v4('w', 'h'), /no configured Calico pools for node w/);
    await given(pool('off', '10.21.0.0/24', { disabled: true }), node('e', { zone: 'east' }));
    const r = await v4('e', 'h');
    assert.match(r.ipv4.ips[0], /^10\.20\.0\./);
    await client.delete('IPPool', 'east');
    await assert.rejects(v4('e', 'h2'), (e) => isIPAMError(e, 'noQualifiedPool'));
  });

  it('strict affinity never borrows; without it the host borrows another host’s free addresses', async () => {
    await given(pool('p', '10.30.0.0/29', { blockSize: 30 }), node('a'), node('b'));
    await v4('b', 'hb', 1);
    await ipam.setIPAMConfig({ ...(await ipam.getIPAMConfig()), strictAffinity: true });
    const strict = await v4('a', 'ha', 6);
    assert.equal(strict.ipv4.ips.length, 4);
    assert.match(
      partialFulfillmentError(strict.ipv4, 4)!,
      /No more free affine blocks and strict affinity enabled/,
    );
    await ipam.setIPAMConfig({ ...(await ipam.getIPAMConfig()), strictAffinity: false });
    const loose = await v4('a', 'ha2', 2);
    assert.equal(loose.ipv4.ips.length, 2, 'borrowed from b’s block');
    const blocks = await ipam.listBlocks(4);
    const bBlock = blocks.find((x) => x.block.affinity === 'host:b')!.block;
    assert.equal(bBlock.unallocated.length, 1);
  });

  it('maxBlocksPerHost stops block claims with Calico’s message and the partial result', async () => {
    await given(pool('p', '10.40.0.0/24', { blockSize: 29 }), node('a'));
    await ipam.setIPAMConfig({ ...(await ipam.getIPAMConfig()), strictAffinity: true, maxBlocksPerHost: 2 });
    await assert.rejects(v4('a', 'h', 20), (e) => {
      assert.ok(isIPAMError(e, 'blockLimit'));
      assert.equal(e.partial?.ipv4.ips.length, 16);
      assert.match(
        partialFulfillmentError(e.partial!.ipv4, 4)!,
        /Need to allocate an IPAM block but could not - limit of 2 blocks reached for this node/,
      );
      return true;
    });
    assert.equal((await ipam.listAffinities()).length, 2);
  });

  it('release by address and by handle; emptied unaffine blocks are deleted', async () => {
    await given(pool('p', '10.50.0.0/29', { blockSize: 30 }), node('a'), node('b'));
    await v4('b', 'hb', 1);
    const a = bare((await v4('a', 'ha', 6)).ipv4.ips);
    await ipam.releaseHostAffinities('b', false);
    await ipam.releaseByHandle('hb');
    assert.deepEqual((await ipam.releaseIPs(a.slice(4).map((address) => ({ address })))).unallocated, []);
    const blocks = await ipam.listBlocks(4);
    assert.equal(blocks.length, 1, 'b’s former block, unaffine and empty, is gone');
    assert.deepEqual((await ipam.releaseIPs([{ address: a[4] }])).unallocated, [a[4]]);
    await ipam.releaseByHandle('ha');
    assert.equal(await handleCount(), 0);
    assert.deepEqual(await ipam.listHandles(), []);
    await assert.rejects(ipam.releaseByHandle('ha'), (e) => isCalicoError(e, 'NOT_FOUND'));
  });

  it('dual-stack allocation and release', async () => {
    await given(pool('v4', '10.60.0.0/24'), pool('v6', 'fd00:60::/120'), node('a'));
    const r = await ipam.autoAssign({
      num4: 1,
      num6: 1,
      handleId: 'ds',
      hostname: 'a',
      intendedUse: 'Workload',
    });
    assert.match(r.ipv4.ips[0], /^10\.60\.0\.\d+\/26$/);
    assert.match(r.ipv6.ips[0], /^fd00:60::[0-9a-f]*\/122$/);
    const keys = (await backend.list('/calico/ipam/v2/assignment/')).items.map((kv) => kv.key);
    assert.equal(keys.length, 2);
    assert.ok(
      keys.some((k) => /^\/calico\/ipam\/v2\/assignment\/ipv6\/block\/fd00:60::[0-9a-f]*-122$/.test(k)),
    );
    assert.deepEqual((await ipam.ipsByHandle('ds')).length, 2);
    await ipam.releaseByHandle('ds');
    assert.equal(await handleCount(), 0);
  });

  it('IPReservations are honoured', async () => {
    await given(pool('p', '10.70.0.0/28', { blockSize: 28 }), node('a'), {
      apiVersion: 'projectcalico.org/v3',
      kind: 'IPReservation',
      metadata: { name: 'r' },
      spec: { reservedCIDRs: ['10.70.0.0/29', '10.70.0.9'] },
    });
    const r = bare((await v4('a', 'h', 16)).ipv4.ips);
    assert.deepEqual(r, [
      '10.70.0.8',
      '10.70.0.10',
      '10.70.0.11',
      '10.70.0.12',
      '10.70.0.13',
      '10.70.0.14',
      '10.70.0.15',
    ]);
  });

  it('stored block JSON keeps nanosecond sequence numbers exact', async () => {
    await given(pool('p', '10.80.0.0/24'), node('a'));
    const [ip] = bare((await v4('a', 'h')).ipv4.ips);
    const [listed] = await ipam.listBlocks(4);
    const kv = await backend.get(blockKey(listed.cidr, 4));
    const m = /"sequenceNumber":(\d+)/.exec(kv!.value)!;
    const seq = BigInt(m[1]);
    assert.ok(seq > 2n ** 60n);
    const info = await ipam.getAssignmentAttributes(ip);
    assert.equal(info!.sequenceNumber, seq - 1n, 'stamped before the write’s increment');
    assert.match(kv!.value, new RegExp(`"sequenceNumberForAllocation":\\{"0":${seq - 1n}\\}`));
    assert.equal(await backend.get(IPAM_CONFIG_KEY), undefined);
  });
});
