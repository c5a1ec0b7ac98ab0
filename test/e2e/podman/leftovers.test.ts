/**
 * A podman lab abandoned mid-run (as by a crashed test) is torn down by the next run: running
 * containers, recorded helper processes, overlay mounts, the host namespace, the work dir.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { podmanUnusableReason, removePodmanLeftovers, startPodmanLab } from '../../helpers/podman.js';

const PREFIX = 'ctspmx';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('podman lab leftovers', { skip: podmanUnusableReason() }, () => {
  after(async () => {
    await removePodmanLeftovers(PREFIX);
    await assertNoLeaks();
  });

  it('removes what an abandoned lab left behind', async () => {
    const lab = await startPodmanLab({ prefix: PREFIX });
    const run = await lab.podman([
      'run',
      '-d',
      '--name',
      `${PREFIX}-sleeper`,
      '--network',
      'none',
      lab.image,
      'sleep',
      '300',
    ]);
    assert.equal(run.code, 0, run.stderr);
    // A helper process of ours that outlives its test (detached, as an agent would be).
    const helper = spawn('sleep', ['300', lab.work], { detached: true, stdio: 'ignore' });
    helper.unref();
    lab.recordPid(helper.pid!);
    const ps = await lab.podman(['ps', '--format', '{{.Names}}']);
    assert.match(ps.stdout, new RegExp(`${PREFIX}-sleeper`));
    assert.ok(readFileSync('/proc/mounts', 'utf8').includes(lab.work), 'overlay mounts under the work dir');

    // The "crash": nobody calls lab.close(). The next run cleans up first.
    await removePodmanLeftovers(PREFIX);

    assert.equal(existsSync(lab.work), false, 'work dir removed');
    assert.equal(existsSync(`/run/netns/${lab.hostNs}`), false, 'host namespace removed');
    assert.equal(readFileSync('/proc/mounts', 'utf8').includes(lab.work), false, 'no mounts left');
    const deadline = Date.now() + 5000;
    while (alive(helper.pid!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(alive(helper.pid!), false, 'recorded helper process stopped');
  });
});
