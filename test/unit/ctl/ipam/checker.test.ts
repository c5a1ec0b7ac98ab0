import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resource } from '../../../../src/api/index.js';
import { IPAMChecker, formatAttrs } from '../../../../src/ctl/commands/ipam/checker.js';
import {
  mergeReports,
  parseReport,
  REPORT_KIND,
  type CheckReport,
} from '../../../../src/ctl/commands/ipam/check-report.js';
import { block, pod } from './fixtures.js';

const node = (name: string, spec: Record<string, unknown> = {}): Resource => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'Node',
  metadata: { name },
  spec,
});
const wep = (ns: string, name: string, ips: string[]): Resource => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'WorkloadEndpoint',
  metadata: { namespace: ns, name },
  spec: { ipNetworks: ips },
});
const pool = (cidr: string, disabled = false): Resource => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'IPPool',
  metadata: { name: cidr.replace(/[./:]/g, '-') },
  spec: { cidr, disabled },
});

async function run(showProblemIPs = false, showAllIPs = false) {
  let out = '';
  const c = new IPAMChecker((t) => (out += t), { showAllIPs, showProblemIPs });
  await c.loadBlocks(async () => [
    block('10.65.0.0/26', 64, 'host:node-1', [
      [
        0,
        { handle_id: 'vxlan-tunnel-addr-node-1', secondary: { node: 'node-1', type: 'vxlanTunnelAddress' } },
      ],
      [1, pod('node-1', 'default', 'web')],
      [2, pod('node-1', 'default', 'leaked')],
      [3, { handle_id: 'no-record', secondary: { node: 'node-1', namespace: 'default', pod: 'orphan' } }],
    ]),
    block('10.65.0.64/26', 64, 'host:gone', [[0, pod('gone', 'default', 'ghost')]], 5000n),
  ]);
  await c.loadPools(async () => [pool('10.65.0.0/16'), pool('10.99.0.0/16', true)]);
  await c.loadNodes(async () => [node('node-1', { ipv4VXLANTunnelAddr: '10.65.0.0' })]);
  await c.loadWorkloads(async () => [
    wep('default', 'web', ['10.65.0.1/32']),
    wep('default', 'orphan', ['10.65.0.3/32']),
    wep('default', 'unallocated', ['10.65.0.9/32']),
    wep('default', 'elsewhere', ['172.16.0.1/32']),
  ]);
  await c.loadHandles(async () => [
    { id: 'vxlan-tunnel-addr-node-1', revision: '10' },
    { id: 'k8s-pod-network.web', revision: '11' },
    { id: 'k8s-pod-network.leaked', revision: '12' },
    { id: 'k8s-pod-network.ghost', revision: '13' },
    { id: 'k8s-pod-network.stale', revision: '14' },
  ]);
  return { result: c.scan(), out };
}

describe('ipam check scan', () => {
  it('prints Calico sections in order and counts every kind of problem', async () => {
    const { result, out } = await run();
    assert.equal(
      out,
      [
        'Loading all IPAM blocks...',
        'Found 2 IPAM blocks.',
        ' IPAM block 10.65.0.0/26 affinity=host:node-1:',
        ' IPAM block 10.65.0.64/26 affinity=host:gone:',
        'IPAM blocks record 5 allocations.',
        '',
        'Loading all IPAM pools...',
        '  10.65.0.0/16',
        'Found 1 active IP pools.',
        '',
        'Loading all nodes.',
        'Found 1 node tunnel IPs.',
        '',
        'Loading all workload endpoints.',
        'Found 4 workload IPs.',
        'Workloads and nodes are using 5 IPs.',
        '',
        'Loading all handles',
        'Looking for top (up to 20) nodes by allocations...',
        '  node-1 has 4 allocations',
        '  gone has 1 allocations',
        'Node with most allocations has 4; median is 1',
        '',
        'Scanning for IPs that are allocated but not actually in use...',
        'Found 2 IPs that are allocated in IPAM but not actually in use.',
        'Scanning for IPs that are in use by a workload or node but not allocated in IPAM...',
        'Found 1 in-use IPs that are not in active IP pools.',
        'Found 1 in-use IPs that are in active IP pools but have no corresponding IPAM allocation.',
        '',
        'Scanning for IPAM handles with no matching IPs...',
        'Found 1 handles with no matching IPs (and 4 handles with matches).',
        'Scanning for IPs with missing handle...',
        'Found 1 handles mentioned in blocks with no matching handle resource.',
        'Scanning for IPAM blocks affine to nodes that do not exist...',
        'Found 1 IPAM blocks affine to nodes that do not exist.',
        'Check complete; found 7 problems.',
        '',
      ].join('\n'),
    );
    assert.equal(result.problems, 7);
    assert.deepEqual(
      result.leakedIPs.map((l) => [l.ip, l.handle, l.sequenceNumber, l.node, l.pod, l.borrowed]),
      [
        ['10.65.0.2', 'k8s-pod-network.leaked', '1002', 'node-1', 'leaked', false],
        ['10.65.0.64', 'k8s-pod-network.ghost', '5000', 'gone', 'ghost', false],
      ],
    );
    assert.deepEqual(result.leakedHandles, [{ id: 'k8s-pod-network.stale', revision: '14' }]);
    assert.deepEqual(result.missingHandles, ['no-record']);
    assert.deepEqual(result.orphanedBlocks, [
      { cidr: '10.65.0.64/26', affinity: 'host:gone', node: 'gone', allocations: 1 },
    ]);
    assert.deepEqual(result.inUseButNotAllocated, [
      { ip: '10.65.0.9', owners: ['Workload(default/unallocated)'], inActivePool: true },
      { ip: '172.16.0.1', owners: ['Workload(default/elsewhere)'], inActivePool: false },
    ]);
  });

  it('--show-problem-ips names each problem', async () => {
    const { out } = await run(true);
    assert.match(
      out,
      /\n {2}10\.65\.0\.2 leaked; attrs Main:k8s-pod-network\.leaked Extra:namespace=default,node=node-1,pod=leaked,timestamp=2026-01-01T00:00:00Z\n/,
    );
    assert.match(
      out,
      /\n {2}10\.65\.0\.9 in use by Workload\(default\/unallocated\) and in active IPAM pool but has no IPAM allocation\.\n/,
    );
    assert.match(
      out,
      /\n {2}172\.16\.0\.1 in use by Workload\(default\/elsewhere\) is not in any active IP pool\.\n/,
    );
    assert.match(out, /\n {2}no-record is in use in a block but doesn't exist\.\n/);
    assert.match(
      out,
      /\n {2}10\.65\.0\.64\/26 is affine to gone, which does not exist \(1 allocations\)\.\n/,
    );
  });

  it('--show-all-ips also prints every allocation, every use and every unused handle', async () => {
    const { out } = await run(true, true);
    assert.match(
      out,
      /\n IPAM block 10\.65\.0\.0\/26 affinity=host:node-1:\n {2}10\.65\.0\.0 allocated; attrs Main:vxlan-tunnel-addr-node-1 Extra:node=node-1,type=vxlanTunnelAddress\n/,
    );
    assert.match(
      out,
      /\nLoading all nodes\.\n {2}10\.65\.0\.0 belongs to Node\(node-1\)\nFound 1 node tunnel IPs\.\n/,
    );
    assert.match(out, /\n {2}10\.65\.0\.1 belongs to Workload\(default\/web\)\n/);
    assert.match(
      out,
      /\n {2}k8s-pod-network\.stale doesn't have any active IPs\.\nFound 1 handles with no matching IPs/,
    );
  });

  it('skips ordinals in cooldown', async () => {
    let out = '';
    const c = new IPAMChecker((t) => (out += t), { showAllIPs: false, showProblemIPs: false });
    await c.loadBlocks(async () => [
      block('10.65.0.0/26', 64, 'host:n', [[4, { releasedAt: '2026-01-01T00:00:00Z' }]]),
    ]);
    await c.loadPools(async () => []);
    await c.loadNodes(async () => [node('n')]);
    await c.loadWorkloads(async () => []);
    await c.loadHandles(async () => []);
    assert.equal(c.scan().problems, 0);
    assert.match(out, /IPAM blocks record 0 allocations\./);
  });

  it('treats Windows-reserved block edges as in use, without a handle to look for', async () => {
    let out = '';
    const c = new IPAMChecker((t) => (out += t), { showAllIPs: false, showProblemIPs: false });
    const reserved = { handle_id: 'windows-reserved-ipam-handle', secondary: { note: 'windows host rsvd' } };
    await c.loadBlocks(async () => [
      block('10.65.0.0/26', 64, 'host:n', [
        [0, reserved],
        [63, reserved],
      ]),
    ]);
    await c.loadPools(async () => []);
    await c.loadNodes(async () => [node('n')]);
    await c.loadWorkloads(async () => []);
    await c.loadHandles(async () => []);
    assert.equal(c.scan().problems, 0);
    assert.match(out, /\nWorkloads and nodes are using 2 IPs\.\n/);
  });

  it('formats attributes as Calico does', () => {
    assert.equal(formatAttrs({ handle_id: 'h', secondary: { b: '2', a: '1' } }), 'Main:h Extra:a=1,b=2');
    assert.equal(formatAttrs({}), 'Main:<none> Extra:');
  });
});

describe('check report', () => {
  const report = (ips: [string, string][], handles: [string, string][]): CheckReport => ({
    kind: REPORT_KIND,
    version: 'v0.1.0',
    clusterGUID: 'a'.repeat(32),
    clusterType: '',
    clusterInformationRevision: '5',
    datastoreLocked: true,
    generatedAt: '',
    problems: ips.length,
    leakedIPs: ips.map(([ip, seq]) => ({
      ip,
      block: '10.0.0.0/26',
      ordinal: 0,
      handle: 'h',
      sequenceNumber: seq,
      borrowed: false,
    })),
    inUseButNotAllocated: [],
    leakedHandles: handles.map(([id, revision]) => ({ id, revision })),
    missingHandles: [],
    orphanedBlocks: [],
  });

  it('round-trips through JSON and rejects foreign files', () => {
    const r = report([['10.0.0.1', '18446744073709551615']], [['x', '7']]);
    assert.deepEqual(parseReport(JSON.stringify(r), 'f'), r);
    assert.throws(
      () => parseReport('{"kind":"Other"}', 'f.json'),
      /not a report written by calicoctl ipam check/,
    );
    assert.throws(() => parseReport('nope', 'f.json'), /is not valid JSON/);
    const bad = { ...r, leakedIPs: [{ ...r.leakedIPs[0], sequenceNumber: 12 }] };
    assert.throws(() => parseReport(JSON.stringify(bad), 'f'), /sequenceNumber" must be a string/);
  });

  it('merging keeps only leaks every report saw unchanged', () => {
    const merged = mergeReports([
      report(
        [
          ['10.0.0.1', '1'],
          ['10.0.0.2', '2'],
          ['10.0.0.3', '3'],
        ],
        [
          ['a', '1'],
          ['b', '2'],
        ],
      ),
      report(
        [
          ['10.0.0.1', '1'],
          ['10.0.0.2', '9'],
        ],
        [
          ['a', '1'],
          ['b', '3'],
        ],
      ),
    ]);
    assert.deepEqual(
      merged.ips.map((i) => i.ip),
      ['10.0.0.1'],
    );
    assert.deepEqual(
      merged.handles.map((h) => h.id),
      ['a'],
    );
  });
});
