/**
 * Every rendered case must be accepted by the real BIRD 2 parser (`bird -p -c <file>`), which checks
 * syntax, symbols, filter types and protocol options without starting anything.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { renderBirdConfig, type BirdInput } from '../../../src/confd/index.js';
import { bgpConfig, H2, H3, input, node, peer, pool, rrInput } from './fixtures.js';

const hasBird = spawnSync('bird', ['--version']).status === 0;
const MESH_OFF = bgpConfig('default', { nodeToNodeMeshEnabled: false });
const dual = node('h1', { ipv4Address: '198.51.100.11/24', ipv6Address: 'fd00:51::11/64' });
const dual2 = node('h2', { ipv4Address: '198.51.100.12/24', ipv6Address: 'fd00:51::12/64' });

const CASES: Record<string, BirdInput> = {
  'mesh of 3 (h1)': input('h1', { blocks: ['10.244.1.0/26'] }),
  'mesh of 3 (h3)': input('h3', { blocks: ['10.244.3.0/26', '10.244.3.64/26'] }),
  'mesh off': input('h1', { bgpConfigurations: [MESH_OFF] }),
  'route reflector': rrInput('h1', { blocks: ['10.244.1.0/26'] }),
  'route reflector client': rrInput('h2', { blocks: ['10.244.2.0/26'] }),
  'global peer with port': input('h1', {
    bgpPeers: [peer('tor', { peerIP: '198.51.100.254:1179', asNumber: 64513 })],
  }),
  'eBGP ToR with keepOriginalNextHop': input('h2', {
    bgpPeers: [peer('tor', { peerIP: '198.51.100.254', asNumber: 64513, keepOriginalNextHop: true })],
  }),
  'per-node AS override': input('h1', {
    nodes: [node('h1', { ipv4Address: '198.51.100.11/24', asNumber: 65001 }), H2, H3],
    bgpConfigurations: [bgpConfig('default', { asNumber: 64600 })],
  }),
  'IPv6 peers': input('h1', {
    nodes: [dual, dual2, H3],
    blocks: ['10.244.1.0/26', 'fd00:244::/122'],
    ipPools: [pool('v4', '10.244.0.0/16'), pool('v6', 'fd00:244::/48')],
    bgpPeers: [peer('tor6', { peerIP: '[fd00:51::fe]:1179', asNumber: 64513, ttlSecurity: 2 })],
  }),
  'disabled export pools and encapsulations': input('h1', {
    blocks: ['192.168.2.0/26'],
    ipPools: [
      pool('a', '192.168.1.0/24'),
      pool('b', '192.168.2.0/24', { disableBGPExport: true }),
      pool('vx', '192.168.3.0/24', { vxlanMode: 'Always' }),
      pool('ipip', '192.168.4.0/24', { ipipMode: 'Always' }),
    ],
  }),
  passwords: input('h1', {
    bgpConfigurations: [
      bgpConfig('default', { nodeMeshPassword: { secretKeyRef: { name: 's', key: 'mesh' } } }),
    ],
    bgpPeers: [
      peer('ok', {
        peerIP: '203.0.113.1',
        asNumber: 64513,
        password: { secretKeyRef: { name: 's', key: 'tor' } },
      }),
      peer('missing', {
        peerIP: '203.0.113.2',
        asNumber: 64513,
        password: { secretKeyRef: { name: 's', key: 'x' } },
      }),
    ],
    secrets: { s: { mesh: 'm3sh\\pw', tor: 'p@ss w0rd#{1}' } },
  }),
  'everything else': input('h1', {
    blocks: ['10.244.1.0/26', '10.244.9.1/32'],
    bgpConfigurations: [
      bgpConfig('default', {
        logSeverityScreen: 'Debug',
        listenPort: 1790,
        bindMode: 'NodeIP',
        nodeMeshMaxRestartTime: '30s',
        ignoredInterfaces: ['eth9'],
        serviceClusterIPs: [{ cidr: '10.96.0.0/12' }],
        serviceExternalIPs: [{ cidr: '198.18.0.0/24' }],
        serviceLoadBalancerIPs: [{ cidr: '203.0.113.0/24' }],
        communities: [{ name: 'c', value: '64512:300' }],
        prefixAdvertisements: [{ cidr: '10.244.0.0/16', communities: ['c', '1:2:3'] }],
      }),
      bgpConfig('node.h2', { listenPort: 500 }),
    ],
    bgpPeers: [
      peer('local-as', {
        node: 'h1',
        peerIP: '203.0.113.5',
        asNumber: 64566,
        localASNumber: 65001,
        numAllowedLocalASNumbers: 2,
      }),
      peer('self', {
        peerIP: '203.0.113.6',
        asNumber: 64512,
        nextHopMode: 'Self',
        keepaliveTime: '10s',
        maxRestartTime: '1m',
      }),
      peer('via', {
        peerIP: '203.0.113.7',
        asNumber: 64513,
        sourceAddress: 'None',
        ttlSecurity: 1,
        reachableBy: '198.51.100.1',
      }),
    ],
    options: { logFile: '/tmp/bird.log', timers: { connectDelay: 1, connectRetry: 3, errorWait: [1, 10] } },
  }),
  'no Node resource yet': input('nobody'),
};

describe(
  'rendered configurations parse with the real BIRD 2 (bird -p)',
  { skip: !hasBird && 'bird (Debian bird2) is not installed' },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctsc-parse-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    for (const [name, caseInput] of Object.entries(CASES)) {
      it(name, () => {
        const file = join(dir, `${name.replace(/\W+/g, '-')}.cfg`);
        writeFileSync(file, renderBirdConfig(caseInput));
        const r = spawnSync('bird', ['-p', '-c', file], { encoding: 'utf8' });
        assert.equal(r.status, 0, `bird -p rejected ${file}: ${r.stderr}`);
      });
    }

    it('and rejects a broken one (the check is real)', () => {
      const file = join(dir, 'broken.cfg');
      writeFileSync(file, renderBirdConfig(CASES['mesh of 3 (h1)']).replace('local as 64512;', 'local as;'));
      const r = spawnSync('bird', ['-p', '-c', file], { encoding: 'utf8' });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /syntax error/);
    });
  },
);
