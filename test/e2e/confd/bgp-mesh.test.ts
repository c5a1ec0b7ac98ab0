/**
 * Three hosts in network namespaces, one real BIRD each, run by BirdDriver on configurations from
 * renderBirdConfig. Each host has its block as a blackhole (`proto 80`, as Felix programs it); the
 * hosts must learn each other's blocks as `proto bird` routes through the right next hop, first over
 * the node-to-node mesh, then after switching (re-render + `birdc configure`) to a route reflector.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BGPConfiguration, BGPPeer, IPPool, Node } from '../../../src/api/index.js';
import {
  birdCommand,
  BirdDriver,
  renderBirdConfig,
  showProtocols,
  type BirdInput,
  type BirdProtocol,
} from '../../../src/confd/index.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { birdRoutes, canRunLab, cleanupLeftovers, createLab, eventually, ip, type Lab } from './netns-lab.js';

const V = 'projectcalico.org/v3';
const RR_LABEL = 'calico-route-reflector';
const skip = await canRunLab();

function nodes(rr: boolean): Node[] {
  return [1, 2, 3].map((i): Node => ({
    apiVersion: V,
    kind: 'Node',
    metadata: { name: `h${i}`, labels: rr && i === 1 ? { [RR_LABEL]: '' } : {} },
    spec: {
      bgp: {
        ipv4Address: `198.51.100.${10 + i}/24`,
        ...(rr && i === 1 ? { routeReflectorClusterID: '224.0.0.1' } : {}),
      },
    },
  }));
}

const POOL: IPPool = {
  apiVersion: V,
  kind: 'IPPool',
  metadata: { name: 'default-ipv4-ippool' },
  spec: { cidr: '10.244.0.0/16', ipipMode: 'Never', vxlanMode: 'Never' },
};

function rrPeers(): BGPPeer[] {
  const p = (name: string, nodeSelector: string): BGPPeer => ({
    apiVersion: V,
    kind: 'BGPPeer',
    metadata: { name },
    spec: { nodeSelector, peerSelector: `has(${RR_LABEL})` },
  });
  return [p('peer-to-rrs', `!has(${RR_LABEL})`), p('rrs-to-rrs', `has(${RR_LABEL})`)];
}

function config(i: number, mode: 'mesh' | 'rr', meshPassword?: string): string {
  const spec: BGPConfiguration['spec'] =
    mode === 'rr'
      ? { nodeToNodeMeshEnabled: false }
      : meshPassword
        ? { nodeMeshPassword: { secretKeyRef: { name: 'bgp', key: 'mesh' } } }
        : undefined;
  const bgpConfigurations: BGPConfiguration[] = spec
    ? [{ apiVersion: V, kind: 'BGPConfiguration', metadata: { name: 'default' }, spec }]
    : [];
  const input: BirdInput = {
    nodeName: `h${i}`,
    nodes: nodes(mode === 'rr'),
    bgpConfigurations,
    bgpPeers: mode === 'rr' ? rrPeers() : [],
    ipPools: [POOL],
    blocks: [`10.244.${i}.0/26`],
    secrets: meshPassword ? { bgp: { mesh: meshPassword } } : undefined,
    // The lab's timers: the first connection after 1 s instead of Calico's 2 s.
    options: { timers: { connectDelay: 1, connectRetry: 3 } },
  };
  return renderBirdConfig(input);
}

/** Every host has every other host's block via that host's address, written by BIRD with metric 1024. */
async function converged(lab: Lab): Promise<boolean> {
  for (const h of lab.hosts) {
    const routes = await birdRoutes(h.ns);
    for (const other of lab.hosts) {
      if (other === h) continue;
      const i = Number(other.name.slice(1));
      const r = routes.find((x) => x.dst === `10.244.${i}.0/26`);
      if (!r || r.gateway !== other.ip || r.dev !== 'eth0' || r.metric !== 1024) return false;
    }
  }
  return true;
}

function bgpRows(protos: BirdProtocol[]): BirdProtocol[] {
  return protos.filter((p) => p.proto === 'BGP');
}

/** Prefixes BIRD sends to one peer (`show route export <protocol>`). */
async function exported(sock: string, protocol: string): Promise<string[]> {
  const reply = await birdCommand(sock, `show route export ${protocol}`);
  return reply.lines
    .map((l) => /^(\d+\.\d+\.\d+\.\d+\/\d+)\s/.exec(l.text)?.[1])
    .filter((x): x is string => x !== undefined)
    .sort();
}

describe('confd + BIRD 2 in network namespaces', { skip }, () => {
  let lab: Lab;
  const drivers: BirdDriver[] = [];

  before(async () => {
    await cleanupLeftovers('m');
    lab = await createLab('m', 3);
    for (const [idx, h] of lab.hosts.entries()) {
      const i = idx + 1;
      // Felix's blackhole for the host's own block.
      await ip('-n', h.ns, 'route', 'add', 'blackhole', `10.244.${i}.0/26`, 'proto', '80');
      drivers.push(
        new BirdDriver({
          configPath: join(lab.dir, `${h.name}.cfg`),
          socketPath: join(lab.dir, `${h.name}.ctl`),
          pidFile: join(lab.dir, `${h.name}.pid`),
          launcher: ['ip', 'netns', 'exec', h.ns],
          restartBackoff: { initialMs: 100 },
        }),
      );
    }
  });

  after(async () => {
    for (const d of drivers) await d.stop().catch(() => undefined);
    await lab?.destroy();
    await assertNoLeaks();
  });

  it('full mesh: every host learns the other blocks as proto bird routes via their owner', async (t) => {
    for (const [idx, d] of drivers.entries()) {
      assert.equal(await d.apply(config(idx + 1, 'mesh')), 'written');
      await d.start();
    }
    const ms = await eventually('mesh routes', () => converged(lab));
    t.diagnostic(`mesh converged ${ms} ms after the last BIRD started`);
    for (const [idx, h] of lab.hosts.entries()) {
      const rows = bgpRows(await showProtocols(join(lab.dir, `${h.name}.ctl`)));
      const others = lab.hosts.filter((o) => o !== h).map((o) => `Mesh_${o.ip.replace(/\./g, '_')}`);
      assert.deepEqual(
        rows.map((r) => r.name),
        others,
        `h${idx + 1}`,
      );
      assert.ok(
        rows.every((r) => r.state === 'up' && r.info === 'Established'),
        JSON.stringify(rows),
      );
      // Only the host's own block leaves it: BIRD writes no route for it, and no other prefixes.
      const routes = await birdRoutes(h.ns);
      assert.deepEqual(
        routes.map((r) => r.dst).sort(),
        lab.hosts.filter((o) => o !== h).map((o) => `10.244.${o.name.slice(1)}.0/26`),
      );
    }
    // Same text again: nothing to do.
    assert.equal(await drivers[0].apply(config(1, 'mesh')), 'unchanged');
    // h1 sends h2 its own block only, not h3's (learned over iBGP).
    assert.deepEqual(await exported(join(lab.dir, 'h1.ctl'), 'Mesh_198_51_100_12'), ['10.244.1.0/26']);
  });

  it('mesh password (TCP MD5): one side alone cannot connect; both sides can', async () => {
    const sock = join(lab.dir, 'h1.ctl');
    const established = async () =>
      bgpRows(await showProtocols(sock)).filter((r) => r.info === 'Established').length;
    assert.equal(await drivers[0].apply(config(1, 'mesh', 's3cret')), 'reconfigured');
    await eventually('h1 sessions restart with MD5', async () => (await established()) === 0);
    // Longer than the connect retry time (3 s): still nothing, the peers send no signature.
    await new Promise((r) => setTimeout(r, 3500));
    assert.equal(await established(), 0);
    for (const [idx, d] of drivers.entries()) await d.apply(config(idx + 1, 'mesh', 's3cret'));
    await eventually('all mesh sessions with MD5', async () => {
      for (const h of lab.hosts) {
        const rows = bgpRows(await showProtocols(join(lab.dir, `${h.name}.ctl`)));
        if (rows.length !== 2 || rows.some((r) => r.info !== 'Established')) return false;
      }
      return converged(lab);
    });
  });

  it('switch to a route reflector (h1): sessions become Node_…, routes converge with next hops kept', async (t) => {
    for (const [idx, d] of drivers.entries())
      assert.equal(await d.apply(config(idx + 1, 'rr')), 'reconfigured');
    const established = async (h: string, names: string[]) => {
      const rows = bgpRows(await showProtocols(join(lab.dir, `${h}.ctl`)));
      return (
        JSON.stringify(rows.map((r) => r.name)) === JSON.stringify(names) &&
        rows.every((r) => r.info === 'Established')
      );
    };
    const ms = await eventually('route reflector sessions and routes', async () => {
      return (
        (await established('h1', ['Node_198_51_100_12', 'Node_198_51_100_13'])) &&
        (await established('h2', ['Node_198_51_100_11'])) &&
        (await established('h3', ['Node_198_51_100_11'])) &&
        (await converged(lab))
      );
    });
    t.diagnostic(`route reflector converged ${ms} ms after birdc configure`);
    // h2 reaches h3's block directly (the RR reflected it without changing the next hop).
    const h2 = await birdRoutes(lab.hosts[1].ns);
    assert.equal(h2.find((r) => r.dst === '10.244.3.0/26')?.gateway, '198.51.100.13');
    // The reflector passes h3's block on to h2; a client sends only its own.
    assert.deepEqual(await exported(join(lab.dir, 'h1.ctl'), 'Node_198_51_100_12'), [
      '10.244.1.0/26',
      '10.244.3.0/26',
    ]);
    assert.deepEqual(await exported(join(lab.dir, 'h2.ctl'), 'Node_198_51_100_11'), ['10.244.2.0/26']);
  });
});
