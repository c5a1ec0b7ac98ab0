/**
 * BirdDriver against a real BIRD in a network namespace: atomic installs, reloads only on change,
 * refused configurations (by the parse check and by BIRD itself) leave the running one in place,
 * a dead BIRD is restarted, stop() ends it by PID.
 */
import assert from 'node:assert/strict';
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BGPPeer, Node } from '../../../src/api/index.js';
import {
  BirdDriver,
  renderBirdConfig,
  showProtocols,
  stopBirdFromPidFile,
  type BirdDriverEvent,
} from '../../../src/confd/index.js';
import { isBirdError } from '../../../src/confd/errors.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { canRunLab, cleanupLeftovers, createLab, eventually, ip, type Lab } from './netns-lab.js';

const V = 'projectcalico.org/v3';
const skip = await canRunLab();

const NODE: Node = {
  apiVersion: V,
  kind: 'Node',
  metadata: { name: 'h1' },
  spec: { bgp: { ipv4Address: '198.51.100.11/24' } },
};

function config(peers: string[] = []): string {
  const bgpPeers = peers.map((ipAddr, i): BGPPeer => ({
    apiVersion: V,
    kind: 'BGPPeer',
    metadata: { name: `p${i}` },
    spec: { peerIP: ipAddr, asNumber: 64513 },
  }));
  return renderBirdConfig({
    nodeName: 'h1',
    nodes: [NODE],
    bgpConfigurations: [],
    bgpPeers,
    ipPools: [],
    blocks: ['10.244.1.0/26'],
  });
}

async function protocolNames(sock: string): Promise<string[]> {
  return (await showProtocols(sock)).filter((p) => p.proto === 'BGP').map((p) => p.name);
}

describe('BirdDriver with a real BIRD', { skip }, () => {
  let lab: Lab;
  let driver: BirdDriver;
  let cfg: string;
  let sock: string;
  let skipCheckFlag: string;
  const events: BirdDriverEvent[] = [];

  before(async () => {
    await cleanupLeftovers('d');
    lab = await createLab('d', 1);
    cfg = join(lab.dir, 'bird.cfg');
    sock = join(lab.dir, 'bird.ctl');
    // A `bird` that skips its parse check while a flag file exists: lets a bad config reach `configure`.
    skipCheckFlag = join(lab.dir, 'skip-check');
    const wrapper = join(lab.dir, 'bird-wrapper.sh');
    await writeFile(
      wrapper,
      `#!/bin/sh\nif [ "$1" = -p ] && [ -e ${skipCheckFlag} ]; then exit 0; fi\nexec bird "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    driver = new BirdDriver({
      configPath: cfg,
      socketPath: sock,
      pidFile: join(lab.dir, 'bird.pid'),
      birdBinary: wrapper,
      launcher: ['ip', 'netns', 'exec', lab.hosts[0].ns],
      restartBackoff: { initialMs: 100 },
      onEvent: (e) => events.push(e),
    });
  });

  after(async () => {
    await driver?.stop();
    await lab?.destroy();
    await assertNoLeaks();
  });

  it('refuses to start without a configuration', async () => {
    await assert.rejects(driver.start(), (e) => isBirdError(e, 'spawn'));
  });

  it('installs atomically (mode 0600), starts BIRD in the host namespace, records its PID', async () => {
    assert.equal(await driver.apply(config()), 'written');
    assert.equal((await stat(cfg)).mode & 0o777, 0o600);
    const pid = await driver.start();
    assert.equal(driver.pid, pid);
    assert.equal((await readFile(join(lab.dir, 'bird.pid'), 'utf8')).trim(), String(pid));
    assert.equal((await ip('netns', 'identify', String(pid))).trim(), lab.hosts[0].ns);
    assert.ok(events.some((e) => e.type === 'started' && e.pid === pid));
  });

  it('reloads only when the text changed', async () => {
    assert.equal(await driver.apply(config()), 'unchanged');
    assert.equal(await driver.apply(config(['198.51.100.254'])), 'reconfigured');
    assert.deepEqual(await protocolNames(sock), ['Global_198_51_100_254']);
  });

  it("a configuration BIRD cannot parse is refused with BIRD's message; nothing changes", async () => {
    const before = await readFile(cfg, 'utf8');
    const broken = config(['198.51.100.253']).replace('local as 64512;', 'local as;');
    await assert.rejects(driver.apply(broken), (e) => {
      assert.ok(isBirdError(e, 'rejected'));
      assert.match(e.message, /syntax error/);
      assert.ok(e.message.includes(cfg), e.message);
      return true;
    });
    assert.equal(await readFile(cfg, 'utf8'), before);
    assert.deepEqual(await protocolNames(sock), ['Global_198_51_100_254']);
  });

  it('a configuration refused by `birdc configure` is reported and the previous file is restored', async () => {
    const before = await readFile(cfg, 'utf8');
    await writeFile(skipCheckFlag, '');
    try {
      const broken = config(['198.51.100.253']).replace('local as 64512;', 'local as;');
      await assert.rejects(driver.apply(broken), (e) => {
        assert.ok(isBirdError(e, 'rejected'));
        assert.match(e.message, /BIRD refused to reconfigure: .*syntax error/);
        return true;
      });
    } finally {
      await rm(skipCheckFlag, { force: true });
    }
    assert.equal(await readFile(cfg, 'utf8'), before);
    assert.deepEqual(await protocolNames(sock), ['Global_198_51_100_254']);
    // The driver still knows what is installed: the same good text is a no-op.
    assert.equal(await driver.apply(config(['198.51.100.254'])), 'unchanged');
  });

  it('restarts BIRD when it dies (here: ended by PID from its pid file, as a crash cleanup would)', async () => {
    const old = driver.pid!;
    assert.equal(await stopBirdFromPidFile(join(lab.dir, 'bird.pid')), old);
    await eventually('BIRD restarted', async () => driver.pid !== undefined && driver.pid !== old, 10_000);
    await eventually('control socket answers', async () => (await protocolNames(sock)).length === 1, 10_000);
    const exited = events.find((e) => e.type === 'exited' && e.pid === old);
    assert.ok(exited);
    assert.ok(events.some((e) => e.type === 'restarting'));
    // And after a SIGKILL too.
    const second = driver.pid!;
    process.kill(second, 'SIGKILL');
    await eventually(
      'BIRD restarted again',
      async () => driver.pid !== undefined && driver.pid !== second,
      10_000,
    );
  });

  it('stop() ends BIRD by its PID and stops supervising', async () => {
    const pid = driver.pid!;
    await driver.stop();
    assert.equal(driver.pid, undefined);
    await assert.rejects(stat(`/proc/${pid}`), 'the process is gone (and reaped)');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(driver.pid, undefined, 'not restarted');
  });
});
