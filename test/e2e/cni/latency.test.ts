/**
 * How long the runtime waits for the `calico` plugin: ADD / CHECK / DEL through libcni, one node
 * process per call (no agent). Reported as diagnostics; asserted only loosely.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { assertNothingLeft, pool, startBed, type Bed } from './fixture.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('calico CNI plugin latency (process per call)', { timeout: 300_000 }, () => {
  let bed: Bed;
  before(async () => {
    bed = await startBed('lat', [pool('p4', '10.244.0.0/16')]);
    bed.tool.writeConflist('net1', [bed.calico()]);
  });
  after(async () => {
    await bed?.close();
    await assertNoLeaks();
  });

  it('ADD, CHECK, DEL medians over 7 cycles (after one warm-up)', async (t) => {
    const pod = await bed.pod('p');
    const times: Record<'ADD' | 'CHECK' | 'DEL' | 'VERSION', number[]> = {
      ADD: [],
      CHECK: [],
      DEL: [],
      VERSION: [],
    };
    for (let i = 0; i < 8; i++) {
      const opts = { containerId: `lat${i}` };
      let t0 = performance.now();
      const add = await bed.tool.add('net1', pod, opts);
      const tAdd = performance.now() - t0;
      assert.equal(add.code, 0, add.stderr);
      t0 = performance.now();
      assert.equal((await bed.tool.check('net1', pod, opts)).code, 0);
      const tCheck = performance.now() - t0;
      t0 = performance.now();
      assert.equal((await bed.tool.del('net1', pod, opts)).code, 0);
      const tDel = performance.now() - t0;
      t0 = performance.now();
      await bed.tool.plugin('calico', { CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
      const tVersion = performance.now() - t0;
      if (i === 0) continue;
      times.ADD.push(tAdd);
      times.CHECK.push(tCheck);
      times.DEL.push(tDel);
      times.VERSION.push(tVersion);
    }
    for (const [k, v] of Object.entries(times)) {
      t.diagnostic(
        `${k} median ${median(v).toFixed(0)} ms (min ${Math.min(...v).toFixed(0)}, max ${Math.max(...v).toFixed(0)})`,
      );
    }
    await assertNothingLeft(bed, [pod], 'after the latency cycles');
  });
});
