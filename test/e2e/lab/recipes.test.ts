/**
 * The lab's pure parts, without root: the Calico resources each plan writes (valid as the client
 * will check them), the ToR's GoBGP configuration (checked by `gobgpd --dry-run` when installed),
 * which namespaces a lab owns, and how commands name hosts and pods.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyDefaults, validateResource } from '../../../src/api/index.js';
import { clusterResources } from '../../../src/lab/cluster-config.js';
import { LabError } from '../../../src/lab/lab-error.js';
import { LabNames } from '../../../src/lab/names.js';
import type { LabState } from '../../../src/lab/state.js';
import { findHost, resolveTarget } from '../../../src/lab/targets.js';
import { gobgpConfig } from '../../../src/lab/tor.js';

describe('calico-lab recipes', () => {
  it('BGP with route reflectors and a ToR: pool, mesh off, the two reflector peerings, the ToR peer', () => {
    const rs = clusterResources({ mode: 'bgp', routeReflectors: 1, tor: true });
    for (const r of rs) validateResource(applyDefaults(r), 'create');
    const by = new Map(rs.map((r) => [`${r.kind}/${r.metadata.name}`, r.spec]));
    assert.deepEqual(
      [...by.keys()],
      [
        'IPPool/default-ipv4-ippool',
        'BGPConfiguration/default',
        'BGPPeer/peer-with-route-reflectors',
        'BGPPeer/route-reflector-mesh',
        'BGPPeer/tor',
      ],
    );
    assert.deepEqual(by.get('IPPool/default-ipv4-ippool'), {
      cidr: '203.0.113.0/24',
      blockSize: 28,
      ipipMode: 'Never',
      vxlanMode: 'Never',
      natOutgoing: false,
      nodeSelector: 'all()',
    });
    assert.equal(by.get('BGPConfiguration/default')?.nodeToNodeMeshEnabled, false);
    assert.deepEqual(by.get('BGPPeer/peer-with-route-reflectors'), {
      nodeSelector: '!has(calico-route-reflector)',
      peerSelector: 'has(calico-route-reflector)',
    });
    assert.deepEqual(by.get('BGPPeer/route-reflector-mesh'), {
      nodeSelector: 'has(calico-route-reflector)',
      peerSelector: 'has(calico-route-reflector)',
    });
    assert.deepEqual(by.get('BGPPeer/tor'), { peerIP: '198.51.100.1', asNumber: 64513 });
  });

  it('plain mesh keeps the mesh on; VXLAN mode encapsulates and peers with nobody', () => {
    const mesh = clusterResources({ mode: 'bgp', routeReflectors: 0, tor: false });
    assert.deepEqual(
      mesh.map((r) => r.kind),
      ['IPPool', 'BGPConfiguration'],
    );
    assert.equal(mesh[1].spec?.nodeToNodeMeshEnabled, true);
    const vx = clusterResources({ mode: 'vxlan', routeReflectors: 0, tor: false });
    assert.equal(vx[0].spec?.vxlanMode, 'Always');
    assert.equal(vx.filter((r) => r.kind === 'BGPPeer').length, 0);
  });

  it('the ToR configuration has one eBGP neighbour per host, and gobgpd accepts it', (t) => {
    const conf = gobgpConfig(['198.51.100.11', '198.51.100.12']);
    assert.match(conf, /as = 64513\n\s+router-id = "198\.51\.100\.1"/);
    assert.equal((conf.match(/\[\[neighbors\]\]/g) ?? []).length, 2);
    assert.match(conf, /neighbor-address = "198\.51\.100\.12"\n\s+peer-as = 64512/);
    if (spawnSync('sh', ['-c', 'command -v gobgpd'], { stdio: 'ignore' }).status !== 0) {
      t.skip('gobgpd not installed');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'calico-lab-tor-'));
    try {
      writeFileSync(join(dir, 'gobgpd.toml'), conf);
      const r = spawnSync('gobgpd', ['-d', '-f', join(dir, 'gobgpd.toml'), '-t', 'toml'], {
        encoding: 'utf8',
        timeout: 10_000,
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('calico-lab names', () => {
  it('a lab owns exactly its fabric, hosts, ToR and pods', () => {
    const n = new LabNames('lab');
    for (const yes of ['lab-fab', 'lab-tor', 'lab-h1', 'lab-h12', 'lab-p-web', 'lab-p-a-b-1']) {
      assert.ok(n.ownsNetns(yes), yes);
    }
    for (const no of ['lab', 'lab-h', 'lab-x', 'lab2-h1', 'labx-fab', 'cts-1-lab-h1', 'lab-fab2', 'lab-p-']) {
      assert.ok(!n.ownsNetns(no), no);
    }
    assert.equal(n.dir, '/var/run/calico-lab/lab');
    assert.equal(n.etcdEndpoint, 'unix:///var/run/calico-lab/lab/etcd/etcd.sock:2379');
  });

  it('rejects names that would not make safe namespace prefixes', () => {
    for (const bad of ['', 'Lab', 'a-b', '1lab', 'x'.repeat(13), 'a b', '../x']) {
      assert.throws(
        () => new LabNames(bad),
        (e: unknown) => e instanceof LabError && e.exitCode === 2,
        bad,
      );
    }
  });

  it('hosts are named by number, h<N> or full name; pods by name', () => {
    const host = (i: number) => ({
      index: i,
      name: `lab-h${i}`,
      address: `198.51.100.${10 + i}`,
      dir: '',
      runDir: '',
      stateDir: '',
      logFile: '',
    });
    const state = {
      name: 'lab',
      hosts: [host(1), host(2)],
      pods: [{ name: 'web', host: 'lab-h2', netns: 'lab-p-web', containerId: 'lab-web', ip: '203.0.113.5' }],
    } as unknown as LabState;
    for (const ref of ['2', 'h2', 'lab-h2']) assert.equal(findHost(state, ref)?.name, 'lab-h2');
    assert.equal(findHost(state, '3'), undefined);
    const pod = resolveTarget(state, 'web');
    assert.equal(pod.kind, 'pod');
    assert.equal(pod.ip, '203.0.113.5');
    assert.equal(resolveTarget(state, '1').ip, '198.51.100.11');
    assert.throws(() => resolveTarget(state, 'db'), /no host or pod 'db' in lab 'lab'/);
  });
});
