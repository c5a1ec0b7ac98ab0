import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeUtilization } from '../../../../src/ctl/commands/ipam/utilization.js';
import { reservedCount } from '../../../../src/ctl/commands/ipam/reserved.js';
import {
  findBorrowed,
  renderBorrowed,
  renderConfiguration,
  renderUtilization,
} from '../../../../src/ctl/commands/ipam/show-render.js';
import { DEFAULT_IPAM_CONFIG } from '../../../../src/ipam/model.js';
import { parseCIDR } from '../../../../src/net/index.js';
import { block, pod } from './fixtures.js';

describe('reserved address counting', () => {
  it('counts overlapping reservations once and clips them to the range', () => {
    const r = ['10.0.0.0/30', '10.0.0.0/29', '10.0.1.0/24', '10.0.0.64/32'].map((c) => parseCIDR(c));
    assert.equal(reservedCount(parseCIDR('10.0.0.0/26'), r), 8n);
    assert.equal(reservedCount(parseCIDR('10.0.0.0/16'), r), 8n + 256n + 1n);
    assert.equal(reservedCount(parseCIDR('10.0.1.0/26'), r), 64n);
    assert.equal(reservedCount(parseCIDR('fd00::/64'), r), 0n);
  });
});

describe('ipam show utilization', () => {
  const blocks = [
    block(
      '10.65.0.0/26',
      64,
      'host:node-1',
      [0, 1, 2, 3, 4].map((o) => [o, pod('node-1', 'default', `p${o}`)]),
    ),
    block('10.65.0.64/26', 64, 'host:node-2', [[0, pod('node-2', 'default', 'q')]]),
    block('192.168.0.0/26', 64, 'host:gone', [[3, pod('gone', 'x', 'y')]]),
  ];
  const pools = [
    { name: 'default-ipv4-ippool', cidr: '10.65.0.0/16' },
    { name: 'v6', cidr: 'fd00:10::/48' },
  ];

  it('sums blocks into pools and counts addresses outside blocks as free', () => {
    const u = computeUtilization(pools, blocks, ['10.65.0.0/30', '10.65.1.0/24']);
    assert.equal(u.length, 3);
    assert.deepEqual(
      { ...u[0], blocks: u[0].blocks.length },
      {
        pool: 'default-ipv4-ippool',
        cidr: '10.65.0.0/16',
        capacity: 65536n,
        inUse: 6n,
        reserved: 260n,
        free: 65274n,
        blocks: 2,
      },
    );
    // The first block: 5 in use, 4 reserved (all of them in use too), 59 free.
    assert.deepEqual(u[0].blocks[0], {
      cidr: '10.65.0.0/26',
      capacity: 64n,
      inUse: 5n,
      reserved: 4n,
      free: 59n,
    });
    assert.equal(u[0].free, 59n + 63n + (65536n - 128n - 256n));
    assert.equal(u[1].capacity, 1n << 80n);
    assert.equal(u[2].pool, undefined);
    assert.equal(u[2].blocks[0].cidr, '192.168.0.0/26');
  });

  it('renders pool rows only, or pools followed by their blocks', () => {
    const u = computeUtilization(pools, blocks, []);
    assert.equal(
      renderUtilization(u, false),
      [
        '+----------+--------------+------------+------------+--------------+-------------------+',
        '| GROUPING | CIDR         | IPS TOTAL  | IPS IN USE | IPS RESERVED | IPS FREE          |',
        '+----------+--------------+------------+------------+--------------+-------------------+',
        '| IP Pool  | 10.65.0.0/16 |      65536 |     6 (0%) |       0 (0%) |      65530 (100%) |',
        '| IP Pool  | fd00:10::/48 | 1.2089e+24 |     0 (0%) |       0 (0%) | 1.2089e+24 (100%) |',
        '+----------+--------------+------------+------------+--------------+-------------------+',
        '',
      ].join('\n'),
    );
    const withBlocks = renderUtilization(u, true).split('\n');
    assert.deepEqual(withBlocks.slice(3, 8), [
      '| IP Pool  | 10.65.0.0/16   |      65536 |     6 (0%) |       0 (0%) |      65530 (100%) |',
      '| Block    | 10.65.0.0/26   |         64 |     5 (8%) |       0 (0%) |          59 (92%) |',
      '| Block    | 10.65.0.64/26  |         64 |     1 (2%) |       0 (0%) |          63 (98%) |',
      '| IP Pool  | fd00:10::/48   | 1.2089e+24 |     0 (0%) |       0 (0%) | 1.2089e+24 (100%) |',
      '| Block    | 192.168.0.0/26 |         64 |     1 (2%) |       0 (0%) |          63 (98%) |',
    ]);
  });
});

describe('ipam show --show-borrowed', () => {
  it('lists allocations made for another node or from an unaffine block', () => {
    const blocks = [
      block('10.65.0.0/26', 64, 'host:node-1', [
        [0, pod('node-1', 'default', 'a')],
        [1, pod('node-2', 'default', 'b')],
        [
          2,
          {
            handle_id: 'vxlan-tunnel-addr-node-3',
            secondary: { node: 'node-3', type: 'vxlanTunnelAddress' },
          },
        ],
        [3, { handle_id: 'legacy' }],
      ]),
      block('10.65.0.64/26', 64, null, [
        [
          5,
          {
            handle_id: 'vm',
            secondary: { node: 'node-1', namespace: 'vms', 'vmi-name': 'vm-1', pod: 'virt-launcher' },
          },
        ],
      ]),
    ];
    const found = findBorrowed(blocks);
    assert.equal(found.unclassified, 1);
    assert.equal(
      renderBorrowed(found),
      [
        '+------------+----------------+---------------+-------------+--------------------+--------------+',
        '| IP         | BORROWING-NODE | BLOCK         | BLOCK OWNER | TYPE               | ALLOCATED-TO |',
        '+------------+----------------+---------------+-------------+--------------------+--------------+',
        '| 10.65.0.1  | node-2         | 10.65.0.0/26  | node-1      | pod                | default/b    |',
        '| 10.65.0.2  | node-3         | 10.65.0.0/26  | node-1      | vxlanTunnelAddress |              |',
        '| 10.65.0.69 | node-1         | 10.65.0.64/26 |             | vmi                | vms/vm-1     |',
        '+------------+----------------+---------------+-------------+--------------------+--------------+',
        '',
        'Note: found 1 IP allocations without an explicit node association. Unable to determine if they are borrowed.',
        '',
      ].join('\n'),
    );
  });
});

describe('ipam show --show-configuration', () => {
  it('prints the properties in Calico order with plain values', () => {
    assert.equal(
      renderConfiguration({ ...DEFAULT_IPAM_CONFIG, strictAffinity: true, maxBlocksPerHost: 4 }),
      [
        '+------------------------------+---------+',
        '| PROPERTY                     | VALUE   |',
        '+------------------------------+---------+',
        '| StrictAffinity               | true    |',
        '| AutoAllocateBlocks           | true    |',
        '| MaxBlocksPerHost             | 4       |',
        '| KubeVirtVMAddressPersistence | Enabled |',
        '| IPCooldownSeconds            | 0       |',
        '+------------------------------+---------+',
        '',
      ].join('\n'),
    );
  });
});
