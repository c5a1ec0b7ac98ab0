/** `calico-lab demo` (what `npm run demo` runs): succeeds, shows what it promises, leaves nothing. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { assertLabGone, labSkip, runLab } from './lab-cli.js';

const LAB = 'tdemo';
const skip = labSkip(['birdc']);

describe('calico-lab demo', { skip }, () => {
  after(async () => {
    await runLab(['down', '--name', LAB]);
    await assertNoLeaks();
  });

  it('3 hosts, a pod on each, 6/6 cross-host pings, the node status table, then nothing left', async () => {
    const r = await runLab(['demo', '--name', LAB]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\$ calico-lab up --name tdemo --nodes 3 --mode bgp/);
    for (const i of [1, 2, 3])
      assert.match(r.stdout, new RegExp(`pod pod-${i} on tdemo-h${i}: 203\\.0\\.113\\.`));
    assert.match(r.stdout, /cross-host pod pings: 6\/6 succeeded/);
    assert.match(r.stdout, /\| PEER ADDRESS {2}\| PEER TYPE {9}\| STATE \| SINCE {8}\| INFO {8}\|/);
    assert.equal((r.stdout.match(/node-to-node mesh \| up {4}\|[^|]+\| Established \|/g) ?? []).length, 2);
    assert.match(r.stdout, /tdemo-h3 +\(64512\) +198\.51\.100\.13\/24/);
    assert.match(r.stdout, /\| Block +\| 203\.0\.113\.\d+\/28 /);
    assert.match(r.stdout, /demo: all steps succeeded/);
    assertLabGone(LAB);
  });
});
