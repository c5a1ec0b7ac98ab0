import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { withHostLock } from '../../../src/cni/ipam/host-lock.js';
import { CniLogger } from '../../../src/cni/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'cts-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('IPAM host lock', () => {
  it('serialises holders and removes the file afterwards', async () => {
    const path = join(dir, 'sub', 'ipam.lock');
    const order: string[] = [];
    const hold = (name: string, ms: number) =>
      withHostLock(path, new CniLogger(), async () => {
        order.push(`${name}+`);
        await new Promise((r) => setTimeout(r, ms));
        order.push(`${name}-`);
      });
    await Promise.all([hold('a', 30), hold('b', 1), hold('c', 1)]);
    for (let i = 0; i < order.length; i += 2) assert.equal(order[i].slice(0, 1), order[i + 1].slice(0, 1));
    assert.equal(existsSync(path), false);
  });

  it('takes over a lock whose owner died', async () => {
    const path = join(dir, 'stale.lock');
    const dead = spawnSync('true').pid as number; // a PID that has exited
    writeFileSync(path, `${dead}\n`);
    const log = new CniLogger('debug');
    assert.equal(await withHostLock(path, log, async () => 42), 42);
    assert.match(log.text(), /taking over stale IPAM lock/);
  });

  it('goes ahead without the lock when a live owner keeps it too long (best effort, as Calico)', async () => {
    const path = join(dir, 'held.lock');
    writeFileSync(path, `${process.ppid}\n`);
    const log = new CniLogger();
    assert.equal(await withHostLock(path, log, async () => 'ran', { waitMs: 50 }), 'ran');
    assert.match(log.text(), /continuing without it/);
    assert.equal(existsSync(path), true, "someone else's lock is left alone");
  });

  it('releases the lock when the holder throws', async () => {
    const path = join(dir, 'throw.lock');
    await assert.rejects(
      withHostLock(path, new CniLogger(), async () => Promise.reject(new Error('x'))),
      /x/,
    );
    assert.equal(existsSync(path), false);
  });
});
