import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BirdProtocol } from '../../../../src/confd/birdc.js';
import { displayAddress, peersOf, renderPeerSection } from '../../../../src/ctl/commands/node/peer-table.js';

function row(name: string, proto: string, state: string, info: string, since = '10:00:05.123'): BirdProtocol {
  return { name, proto, table: '---', state, since, info };
}

const ROWS: BirdProtocol[] = [
  row('device1', 'Device', 'up', ''),
  row('kernel1', 'Kernel', 'up', ''),
  row('Mesh_198_51_100_2', 'BGP', 'up', 'Established'),
  row('Global_192_0_2_254_port_180', 'BGP', 'start', 'Active Socket: Connection refused'),
  row('Node_203_0_113_7', 'BGP', 'up', 'Established'),
  row('Local_Workload_10_65_0_9', 'BGP', 'up', 'Established'),
  row('Mesh_2001_db8__2', 'BGP', 'up', 'Established'),
  row('Node_fd00_1__5_port_1179', 'BGP', 'start', 'Connect'),
  row('Global_2001_db8__9', 'BGP', 'down', ''),
  row('Mesh_10_0_0_9', 'Static', 'up', 'x'),
];

describe('node status peer table', () => {
  it('keeps the Mesh_/Global_/Node_ BGP sessions of each family, in BIRD order', () => {
    const v4 = peersOf(ROWS, 4).map((p) => [displayAddress(p), p.peerType, p.state, p.info]);
    assert.deepEqual(v4, [
      ['198.51.100.2', 'node-to-node mesh', 'up', 'Established'],
      ['192.0.2.254.port.180', 'global', 'start', 'Active Socket: Connection refused'],
      ['203.0.113.7', 'node specific', 'up', 'Established'],
    ]);
    const v6 = peersOf(ROWS, 6).map((p) => [displayAddress(p), p.peerType, p.state, p.info]);
    assert.deepEqual(v6, [
      ['2001:db8::2', 'node-to-node mesh', 'up', 'Established'],
      ['fd00:1::5:port:1179', 'node specific', 'start', 'Connect'],
    ]);
  });

  it('draws the boxed table calicoctl prints', () => {
    assert.equal(
      renderPeerSection(peersOf(ROWS, 4), 4),
      [
        '+----------------------+-------------------+-------+--------------+-----------------------------------+',
        '| PEER ADDRESS         | PEER TYPE         | STATE | SINCE        | INFO                              |',
        '+----------------------+-------------------+-------+--------------+-----------------------------------+',
        '| 198.51.100.2         | node-to-node mesh | up    | 10:00:05.123 | Established                       |',
        '| 192.0.2.254.port.180 | global            | start | 10:00:05.123 | Active Socket: Connection refused |',
        '| 203.0.113.7          | node specific     | up    | 10:00:05.123 | Established                       |',
        '+----------------------+-------------------+-------+--------------+-----------------------------------+',
        '',
      ].join('\n'),
    );
  });

  it('says so when a family has no peers', () => {
    assert.equal(renderPeerSection([], 4), 'No IPv4 peers found.\n');
    assert.equal(
      renderPeerSection(peersOf([row('device1', 'Device', 'up', '')], 6), 6),
      'No IPv6 peers found.\n',
    );
  });
});
