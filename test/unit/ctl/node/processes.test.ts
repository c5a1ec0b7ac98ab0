import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  isBirdProcess,
  isCalicoNodeProcess,
  listProcArgv,
} from '../../../../src/ctl/commands/node/processes.js';

describe('node status process detection', () => {
  it('finds calico-node by a basename anywhere in argv', () => {
    for (const argv of [
      ['calico-felix'],
      ['/usr/bin/calico-felix'],
      ['calico-node', '-felix'],
      ['/usr/local/bin/calico-node'],
      ['node', '/opt/calico-ts/dist/bin/calico-node.js', '-startup'],
      ['/usr/bin/node', '--enable-source-maps', 'dist/bin/calico-node.js'],
      ['node', 'calico-node.js'],
    ]) {
      assert.ok(isCalicoNodeProcess(argv), argv.join(' '));
    }
    for (const argv of [
      [],
      [''],
      ['node', 'dist/bin/calicoctl.js', 'node', 'status'],
      ['node', 'dist/test/calico-node.test.js'],
      ['calico-node-helper'],
      ['mycalico-node'],
      ['grep', 'calico-node.jsx'],
      ['node', '/work/main/dist/bin/calico.js'],
    ]) {
      assert.ok(!isCalicoNodeProcess(argv), argv.join(' '));
    }
  });

  it('finds BIRD by argv[0] only', () => {
    assert.ok(isBirdProcess(['bird', '-f']));
    assert.ok(isBirdProcess(['/usr/sbin/bird', '-s', '/x.ctl']));
    assert.ok(isBirdProcess(['bird6']));
    assert.ok(!isBirdProcess(['birdc', 'show', 'protocols']));
    assert.ok(!isBirdProcess(['ip', 'netns', 'exec', 'x', 'bird']));
    assert.ok(!isBirdProcess([]));
  });

  it('reads NUL-separated cmdlines from a /proc tree, skipping kernel threads and non-pids', async () => {
    const proc = await mkdtemp(join(tmpdir(), 'ctlnode-proc-'));
    try {
      const add = async (name: string, cmdline: string) => {
        await mkdir(join(proc, name));
        await writeFile(join(proc, name, 'cmdline'), cmdline);
      };
      await add('1', 'node\0/x/calico-node.js\0-felix\0');
      await add('22', 'bird\0-f\0');
      await add('33', ''); // a kernel thread
      await add('44', 'renamed process title'); // no trailing NUL
      await add('self', 'not\0a\0pid\0');
      await mkdir(join(proc, '55')); // vanished: no cmdline
      const list = await listProcArgv(proc);
      assert.deepEqual(
        list.map((a) => a.join('|')).sort(),
        ['bird|-f', 'node|/x/calico-node.js|-felix', 'renamed process title'].sort(),
      );
    } finally {
      await rm(proc, { recursive: true, force: true });
    }
  });
});
