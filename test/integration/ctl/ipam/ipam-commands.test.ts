import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { workloadEndpointName } from '../../../../src/api/workload-endpoint-name.js';
import { Client, ensureInitialized, resourceKey } from '../../../../src/client/index.js';
import { EtcdBackend } from '../../../../src/datastore/index.js';
import { IPAMClient } from '../../../../src/ipam/ipam-client.js';
import { handleKey } from '../../../../src/ipam/model.js';
import { VERSION } from '../../../../src/version.js';
import { ctl } from '../../../helpers/ctl.js';
import { startEtcd, type EtcdHandle } from '../../../helpers/etcd.js';
import { assertNoLeaks } from '../../../helpers/leaks.js';

const API = 'projectcalico.org/v3';

/** calicoctl ipam and datastore migrate lock|unlock against a real etcd, IPs allocated by IPAMClient. */
describe('calicoctl ipam on a real etcd', () => {
  let etcd: EtcdHandle;
  let env: Record<string, string>;
  let client: Client;
  let ipam: IPAMClient;
  let dir: string;
  /** Address of each allocation made below, by a short name. */
  const ip: Record<string, string> = {};

  async function allocate(name: string, host: string, opts: { handle?: string; pools?: string[] } = {}) {
    const handleId = opts.handle ?? `k8s-pod-network.${name}`;
    const r = await ipam.autoAssign({
      num4: 1,
      num6: 0,
      handleId,
      attrs: { node: host, namespace: 'default', pod: name, timestamp: '2026-01-01T00:00:00Z' },
      hostname: host,
      intendedUse: 'Workload',
      ipv4Pools: opts.pools,
    });
    assert.equal(r.ipv4.ips.length, 1, `no address for ${name}`);
    ip[name] = r.ipv4.ips[0].split('/')[0];
    return ip[name];
  }

  async function createWEP(pod: string, address: string, node = 'node-1') {
    const spec = { orchestrator: 'k8s', node, pod, endpoint: 'eth0', interfaceName: 'cali0123456789a' };
    await client.create({
      apiVersion: API,
      kind: 'WorkloadEndpoint',
      metadata: { name: workloadEndpointName(spec), namespace: 'default' },
      spec: { ...spec, ipNetworks: [`${address}/32`] },
    });
  }

  async function createPool(name: string, cidr: string) {
    await client.create({ apiVersion: API, kind: 'IPPool', metadata: { name }, spec: { cidr } });
  }

  const run = (...args: string[]) => ctl(env, args);

  before(async () => {
    etcd = await startEtcd();
    env = etcd.env();
    client = new Client(new EtcdBackend({ endpoints: etcd.endpoints }));
    await ensureInitialized(client, VERSION, '');
    ipam = new IPAMClient(client);
    dir = await mkdtemp(join(tmpdir(), 'calicoctl-ipam-'));
    for (const n of ['node-1', 'node-2']) {
      await client.create({ apiVersion: API, kind: 'Node', metadata: { name: n }, spec: {} });
    }
    await createPool('pool-a', '10.65.0.0/16');
  });
  after(async () => {
    await client?.close();
    await etcd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    await assertNoLeaks();
  });

  it('show: an empty pool', async () => {
    const r = await run('ipam', 'show');
    assert.equal(r.stderr, '');
    assert.equal(
      r.stdout,
      [
        '+----------+--------------+-----------+------------+--------------+--------------+',
        '| GROUPING | CIDR         | IPS TOTAL | IPS IN USE | IPS RESERVED | IPS FREE     |',
        '+----------+--------------+-----------+------------+--------------+--------------+',
        '| IP Pool  | 10.65.0.0/16 |     65536 |     0 (0%) |       0 (0%) | 65536 (100%) |',
        '+----------+--------------+-----------+------------+--------------+--------------+',
        '',
      ].join('\n'),
    );
  });

  it('show and --show-blocks count allocations, tunnel addresses and reservations', async () => {
    for (const p of ['web-0', 'web-1']) await createWEP(p, await allocate(p, 'node-1'));
    for (const p of ['leaked-0', 'leaked-1', 'leaked-2']) await allocate(p, 'node-1');
    // node-1's VXLAN tunnel address, recorded on the Node as calico-node does.
    const t = await ipam.autoAssign({
      num4: 1,
      num6: 0,
      handleId: 'vxlan-tunnel-addr-node-1',
      attrs: { node: 'node-1', type: 'vxlanTunnelAddress' },
      hostname: 'node-1',
      intendedUse: 'Tunnel',
    });
    ip.tunnel = t.ipv4.ips[0].split('/')[0];
    const n1 = await client.get('Node', 'node-1');
    await client.update({ ...n1, spec: { ...n1.spec, ipv4VXLANTunnelAddr: ip.tunnel } });

    let r = await run('ipam', 'show');
    assert.equal(
      r.stdout.split('\n')[3],
      '| IP Pool  | 10.65.0.0/16 |     65536 |     6 (0%) |       0 (0%) | 65530 (100%) |',
    );
    const blocks = await ipam.listBlocks(4);
    assert.equal(blocks.length, 1);
    const cidr = blocks[0].cidr;
    // The block's first four addresses reserved: all in use, so FREE loses nothing in the block.
    await client.create({
      apiVersion: API,
      kind: 'IPReservation',
      metadata: { name: 'res' },
      spec: { reservedCIDRs: [cidr.replace(/\/26$/, '/30'), '10.65.255.0/24'] },
    });
    r = await run('ipam', 'show', '--show-blocks');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines.length, 7);
    assert.match(
      lines[3],
      /^\| IP Pool {2}\| 10\.65\.0\.0\/16 +\| +65536 \| +6 \(0%\) \| +260 \(0%\) \| +65274 \(100%\) \|$/,
    );
    assert.equal(lines[4].replace(/ +/g, ' '), `| Block | ${cidr} | 64 | 6 (9%) | 4 (6%) | 58 (91%) |`);
    await client.delete('IPReservation', 'res');
  });

  it('show --ip: in use, not assigned, outside every pool, invalid', async () => {
    let r = await run('ipam', 'show', '--ip', ip['web-0']);
    assert.equal(
      r.stdout,
      `IP ${ip['web-0']} is in use\nHandle ID: k8s-pod-network.web-0\nActive Owner Attributes:\n` +
        '  namespace: default\n  node: node-1\n  pod: web-0\n  timestamp: 2026-01-01T00:00:00Z\n',
    );
    r = await run('ipam', 'show', `--ip=${ip.tunnel}`);
    assert.match(
      r.stdout,
      /Handle ID: vxlan-tunnel-addr-node-1\nActive Owner Attributes:\n {2}node: node-1\n {2}type: vxlanTunnelAddress\n$/,
    );
    r = await run('ipam', 'show', '--ip', '10.65.200.1');
    assert.deepEqual([r.code, r.stdout], [0, '10.65.200.1 is not assigned\n']);
    r = await run('ipam', 'show', '--ip', '192.0.2.1');
    assert.deepEqual([r.code, r.stdout], [0, '192.0.2.1 is not assigned\n']);
    r = await run('ipam', 'show', '--ip', '10.65.0.300');
    assert.deepEqual(
      [r.code, r.stderr],
      [1, 'Error executing command: invalid IP address specified: 10.65.0.300\n'],
    );
  });

  it('show --show-borrowed: node-2 borrows from node-1 when its pool has one block', async () => {
    await createPool('pool-b', '10.70.0.0/26');
    await createWEP('owner', await allocate('owner', 'node-1', { pools: ['10.70.0.0/26'] }));
    await createWEP('borrower', await allocate('borrower', 'node-2', { pools: ['10.70.0.0/26'] }), 'node-2');
    const r = await run('ipam', 'show', '--show-borrowed');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        '+-----------+----------------+--------------+-------------+------+------------------+',
        '| IP        | BORROWING-NODE | BLOCK        | BLOCK OWNER | TYPE | ALLOCATED-TO     |',
        '+-----------+----------------+--------------+-------------+------+------------------+',
        `| ${ip.borrower.padEnd(9)} | node-2         | 10.70.0.0/26 | node-1      | pod  | default/borrower |`,
        '+-----------+----------------+--------------+-------------+------+------------------+',
        '',
      ].join('\n'),
    );
  });

  it('show --show-configuration and configure', async () => {
    const table = (strict: boolean, max: number) =>
      [
        '+------------------------------+---------+',
        '| PROPERTY                     | VALUE   |',
        '+------------------------------+---------+',
        `| StrictAffinity               | ${String(strict).padEnd(7)} |`,
        '| AutoAllocateBlocks           | true    |',
        `| MaxBlocksPerHost             | ${String(max).padEnd(7)} |`,
        '| KubeVirtVMAddressPersistence | Enabled |',
        '| IPCooldownSeconds            | 0       |',
        '+------------------------------+---------+',
        '',
      ].join('\n');
    let r = await run('ipam', 'show', '--show-configuration');
    assert.equal(r.stdout, table(false, 0));

    r = await run('ipam', 'configure');
    assert.deepEqual([r.code, r.stderr], [1, 'at least one configuration option must be specified\n']);
    r = await run('ipam', 'configure', '--strictaffinity=maybe');
    assert.deepEqual([r.code, r.stderr], [1, 'invalid value. Use true or false to set strictaffinity\n']);
    r = await run('ipam', 'configure', '--max-blocks-per-host=x');
    assert.deepEqual([r.code, r.stderr], [1, 'invalid value for maxblockhost. Use a valid number\n']);
    r = await run('ipam', 'configure', '--kubevirt-ip-persistence=Sometimes');
    assert.equal(r.stderr, 'invalid value for --kubevirt-ip-persistence. Use Enabled or Disabled\n');

    r = await run('ipam', 'configure', '--strictaffinity=true', '--max-blocks-per-host=4');
    assert.deepEqual(
      [r.code, r.stdout],
      [0, 'Successfully set StrictAffinity to: true\nSuccessfully set MaxBlocksPerHost to: 4\n'],
    );
    r = await run('ipam', 'show', '--show-configuration');
    assert.equal(r.stdout, table(true, 4));
    r = await run('ipam', 'configure', '--strictaffinity=false');
    assert.deepEqual(
      [r.code, r.stderr],
      [1, 'error: MaxBlocksPerHost requires StrictAffinity to be enabled\n'],
    );
    r = await run('ipam', 'configure', '--strictaffinity=false', '--max-blocks-per-host=0');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await run('ipam', 'show', '--show-configuration')).stdout, table(false, 0));
  });

  let reportFile = '';
  let report: {
    clusterGUID: string;
    version: string;
    problems: number;
    datastoreLocked: boolean;
    leakedIPs: { ip: string; handle: string; sequenceNumber: string; block: string }[];
    leakedHandles: { id: string }[];
    missingHandles: string[];
    orphanedBlocks: { node: string }[];
    inUseButNotAllocated: { ip: string }[];
  };

  it('check finds exactly the leaks, and -o writes them with handles and sequence numbers', async () => {
    // A node that got a block and was then removed behind IPAM's back (no cascade ran).
    await client.create({ apiVersion: API, kind: 'Node', metadata: { name: 'ghost-node' }, spec: {} });
    await allocate('ghost-pod', 'ghost-node');
    await client.backend.delete(resourceKey(client.kind('Node'), 'ghost-node'));
    // A workload using an address IPAM never gave out.
    await createWEP('rogue', '10.65.254.1');
    // A handle with no addresses, and an allocation whose handle record is gone.
    await client.backend.put(handleKey('stale-handle'), '{"block":{"10.65.0.0/26":1},"deleted":false}');
    await client.backend.delete(handleKey('k8s-pod-network.web-1'));
    // A leak whose handle record is gone too.
    await allocate('nohandle', 'node-1');
    await client.backend.delete(handleKey('k8s-pod-network.nohandle'));

    const r = await run('ipam', 'check', '--show-problem-ips', '-o', (reportFile = join(dir, 'report.json')));
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    assert.ok(
      out.startsWith(
        'Checking IPAM for inconsistencies...\n\nLoading all IPAM blocks...\nFound 3 IPAM blocks.\n',
      ),
    );
    assert.match(
      out,
      /\nIPAM blocks record 10 allocations\.\n\nLoading all IPAM pools...\n {2}10\.65\.0\.0\/16\n {2}10\.70\.0\.0\/26\nFound 2 active IP pools\.\n\n/,
    );
    assert.match(
      out,
      /\nLoading all nodes\.\nFound 1 node tunnel IPs\.\n\nLoading all workload endpoints\.\nFound 5 workload IPs\.\nWorkloads and nodes are using 6 IPs\.\n\nLoading all handles\n/,
    );
    assert.match(
      out,
      /\n {2}node-1 has 8 allocations\n {2}ghost-node has 1 allocations\n {2}node-2 has 1 allocations\nNode with most allocations has 8; median is 1\n/,
    );
    assert.match(out, /\nFound 5 IPs that are allocated in IPAM but not actually in use\.\n/);
    for (const p of ['leaked-0', 'leaked-1', 'leaked-2', 'ghost-pod', 'nohandle']) {
      assert.ok(out.includes(`  ${ip[p]} leaked; attrs Main:k8s-pod-network.${p} Extra:`), p);
    }
    assert.match(
      out,
      /\nFound 0 in-use IPs that are not in active IP pools\.\nFound 1 in-use IPs that are in active IP pools but have no corresponding IPAM allocation\.\n/,
    );
    assert.match(out, /\nFound 1 handles with no matching IPs \(and 8 handles with matches\)\.\n/);
    assert.match(
      out,
      /\n {2}k8s-pod-network\.nohandle is in use in a block but doesn't exist\.\n {2}k8s-pod-network\.web-1 is in use in a block but doesn't exist\.\nFound 2 handles mentioned in blocks/,
    );
    assert.match(
      out,
      /\nFound 1 IPAM blocks affine to nodes that do not exist\.\nCheck complete; found 10 problems\.\n$/,
    );

    report = JSON.parse(await readFile(reportFile, 'utf8'));
    const ci = await client.get('ClusterInformation', 'default');
    assert.equal(report.clusterGUID, (ci.spec as { clusterGUID: string }).clusterGUID);
    assert.equal(report.version, VERSION);
    assert.equal(report.datastoreLocked, false);
    assert.equal(report.problems, 10);
    assert.deepEqual(
      report.leakedIPs.map((l) => l.ip).sort(),
      ['leaked-0', 'leaked-1', 'leaked-2', 'ghost-pod', 'nohandle'].map((p) => ip[p]).sort(),
    );
    const blocks = new Map((await ipam.listBlocks(4)).map((b) => [b.cidr, b.block]));
    for (const l of report.leakedIPs) {
      const info = await ipam.getAssignmentAttributes(l.ip);
      assert.equal(l.handle, info?.handleId);
      assert.equal(l.sequenceNumber, info?.sequenceNumber.toString());
      assert.ok(blocks.has(l.block));
    }
    assert.deepEqual(
      report.leakedHandles.map((h) => h.id),
      ['stale-handle'],
    );
    assert.deepEqual(report.missingHandles, ['k8s-pod-network.nohandle', 'k8s-pod-network.web-1']);
    assert.deepEqual(
      report.orphanedBlocks.map((b) => b.node),
      ['ghost-node'],
    );
    assert.deepEqual(
      report.inUseButNotAllocated.map((u) => u.ip),
      ['10.65.254.1'],
    );
  });

  it('release --from-report refuses another cluster, another version and an unlocked datastore', async () => {
    const variant = async (name: string, change: Record<string, unknown>) => {
      const f = join(dir, name);
      await writeFile(f, JSON.stringify({ ...report, ...change }));
      return f;
    };
    const foreign = await variant('foreign.json', { clusterGUID: 'f'.repeat(32) });
    for (const extra of [[], ['--force']]) {
      const r = await run('ipam', 'release', '--from-report', foreign, ...extra);
      assert.deepEqual(
        [r.code, r.stderr],
        [
          1,
          `cluster does not match the provided report (${foreign}): mismatched cluster GUID. Refusing to release\n`,
        ],
      );
    }
    const old = await variant('old.json', { version: 'v0.0.1', leakedIPs: [], leakedHandles: [] });
    let r = await run('ipam', 'release', '--from-report', old);
    assert.deepEqual(
      [r.code, r.stderr],
      [
        1,
        `the provided report (${old}) was produced using a different version (v0.0.1) of calicoctl. Refusing to release\n`,
      ],
    );
    r = await run('ipam', 'release', '--from-report', reportFile);
    assert.deepEqual(
      [r.code, r.stderr],
      [1, 'data store is not locked. Either lock the data store, or re-run with --force\n'],
    );
    // --force overrides both, and an empty report releases nothing.
    r = await run('ipam', 'release', '--from-report', old, '--force');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      'WARNING: Report was produced using a different version of calicoctl. Ignoring due to --force option\n' +
        'WARNING: Data store is not locked. Ignoring due to --force option\n' +
        "Report didn't contain any leaked IPs to clean up.\n" +
        "Report didn't contain any handles to clean up.\n" +
        'You may now unlock the data store.\n',
    );
    for (const p of ['leaked-0', 'leaked-1', 'leaked-2', 'ghost-pod']) {
      assert.ok(await ipam.getAssignmentAttributes(ip[p]), `${p} must still be allocated`);
    }
  });

  it('release --from-report on a locked datastore frees exactly the leaks that are still leaks', async () => {
    let r = await run('datastore', 'migrate', 'lock');
    assert.deepEqual([r.code, r.stdout], [0, 'Datastore locked.\n']);
    assert.equal(
      ((await client.get('ClusterInformation', 'default')).spec as { datastoreReady: boolean })
        .datastoreReady,
      false,
    );

    // Between check and release: leaked-1 is released and its address given to a new pod, and
    // leaked-2's address is adopted by a workload. Neither may be released.
    await ipam.releaseByHandle('k8s-pod-network.leaked-1');
    await ipam.assignIP({
      ip: ip['leaked-1'],
      handleId: 'k8s-pod-network.newpod',
      attrs: { node: 'node-1', namespace: 'default', pod: 'newpod' },
      hostname: 'node-1',
      intendedUse: 'Workload',
    });
    await createWEP('newpod', ip['leaked-1']);
    await createWEP('leaked-2', ip['leaked-2']);

    r = await run('ipam', 'release', '--from-report', reportFile);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'Releasing 5 old IPs...',
        '2 addresses marked as leaked in the report are in use or were re-allocated since; they were not released.',
        'Released 3 IPs successfully',
        'Deleting 1 handles...',
        "Key: '.' = Deleted OK; 'x' = skip, handle missing/changed.",
        '.',
        'Released 1 handles; 0 skipped; 0 errors.',
        'You may now unlock the data store.',
        '',
      ].join('\n'),
    );
    assert.equal(await ipam.getAssignmentAttributes(ip['leaked-0']), undefined);
    assert.equal(await ipam.getAssignmentAttributes(ip['ghost-pod']), undefined);
    assert.equal(await ipam.getAssignmentAttributes(ip.nohandle), undefined);
    assert.equal((await ipam.getAssignmentAttributes(ip['leaked-1']))?.handleId, 'k8s-pod-network.newpod');
    assert.equal((await ipam.getAssignmentAttributes(ip['leaked-2']))?.handleId, 'k8s-pod-network.leaked-2');
    for (const p of ['web-0', 'web-1', 'owner', 'borrower']) {
      assert.ok(await ipam.getAssignmentAttributes(ip[p]), `${p} must still be allocated`);
    }
    assert.equal(await client.backend.get(handleKey('stale-handle')), undefined);

    // Running the same report again finds nothing left to do.
    r = await run('ipam', 'release', '--from-report', reportFile);
    assert.match(
      r.stdout,
      /^Releasing 5 old IPs\.\.\.\n2 addresses .*\nReleased 0 IPs successfully\n3 addresses marked as leaked in the report had already been cleaned up\.\n/,
    );
    assert.match(r.stdout, /\nx\nReleased 0 handles; 1 skipped; 0 errors\.\n/);

    // What is left: the rogue workload, the missing handle and the ghost node's (now empty) block.
    r = await run('ipam', 'check');
    assert.match(r.stdout, /\nFound 0 IPs that are allocated in IPAM but not actually in use\.\n/);
    assert.match(r.stdout, /\nCheck complete; found 3 problems\.\n$/);

    r = await run('datastore', 'migrate', 'unlock');
    assert.deepEqual([r.code, r.stdout], [0, 'Datastore unlocked.\n']);
    assert.equal(
      ((await client.get('ClusterInformation', 'default')).spec as { datastoreReady: boolean })
        .datastoreReady,
      true,
    );
  });

  it('release --ip', async () => {
    const a = await allocate('temp', 'node-1');
    let r = await run('ipam', 'release', '--ip', a);
    assert.deepEqual([r.code, r.stdout], [0, `Successfully released IP address ${a}\n`]);
    r = await run('ipam', 'release', `--ip=${a}`);
    assert.deepEqual([r.code, r.stderr], [1, `IP address ${a} is not assigned\n`]);
    r = await run('ipam', 'release', '--ip', 'nope');
    assert.deepEqual(
      [r.code, r.stderr],
      [1, 'Error executing command: invalid IP address specified: nope\n'],
    );
  });

  it('show --ip reports an address in cooldown as an error', async () => {
    let r = await run('ipam', 'configure', '--ip-cooldown-seconds=600');
    assert.deepEqual([r.code, r.stdout], [0, 'Successfully set IPCooldownSeconds to: 600\n']);
    const a = await allocate('cool', 'node-1');
    await ipam.releaseByHandle('k8s-pod-network.cool');
    r = await run('ipam', 'show', '--ip', a);
    assert.deepEqual([r.code, r.stderr], [1, `address ${a} is in cooldown\n`]);
    // Cooling-down addresses are neither allocations nor leaks to check.
    r = await run('ipam', 'check');
    assert.match(r.stdout, /\nCheck complete; found 3 problems\.\n$/);
    r = await run('ipam', 'configure', '--ip-cooldown-seconds=0');
    assert.equal(r.code, 0, r.stderr);
  });
});
