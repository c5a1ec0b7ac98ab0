/**
 * The lab's CNI plugin directory holds what `calico-cni-agent --install-plugins` installs: the
 * compiled Go shim as `calico` / `calico-ipam` and the Node launchers beside them. A pod added while
 * the host's calico-node runs is served by its CNI agent (the socket named in the network config);
 * one added while calico-node is down is served in-process by the launcher the shim execs, and the
 * agent serves the DELs again once calico-node is back.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { shimUnavailable } from '../../../src/cni/agent/index.js';
import { LabNames } from '../../../src/lab/names.js';
import { killCalicoNode, startHostNode } from '../../../src/lab/node-restart.js';
import { requireState } from '../../../src/lab/state.js';
import { pluginFile } from '../../../src/lab/wrappers.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { eventually } from '../policy/fixtures/calico-lab.js';
import { assertLabGone, labSkip, mustLab, podIp, runLab } from './lab-cli.js';

const LAB = 'hecni';
const N = ['--name', LAB];
const names = new LabNames(LAB);
const skip = labSkip() || (shimUnavailable() ? `no Go shim: ${shimUnavailable()}` : false);

function nodeLog(): string {
  return readFileSync(requireState(names).hosts[0].logFile, 'utf8');
}

/** CNI calls the host's agent served, as its log lines say (`calico ADD <container> -> 0`). */
function served(command: 'ADD' | 'DEL', pod: string): number {
  const re = new RegExp(`"calico ${command} ${names.podContainerId(pod)} -> 0 `, 'g');
  return nodeLog().match(re)?.length ?? 0;
}

describe('calico-lab: the Go CNI shim, with the agent and without', { skip }, () => {
  before(async () => {
    await runLab(['down', ...N]); // a crashed run's leftovers
    const out = await mustLab(['up', ...N, '--nodes', '1', '--mode', 'bgp'], 300_000);
    assert.doesNotMatch(out, /Node launchers/, 'up installed the shim');
  });

  after(async () => {
    await runLab(['down', ...N]);
    assertLabGone(LAB);
    await assertNoLeaks();
  });

  it('calico and calico-ipam are the compiled shim, the Node launchers beside them', () => {
    for (const p of ['calico', 'calico-ipam'] as const) {
      const head = readFileSync(pluginFile(names, p)).subarray(0, 4);
      assert.deepEqual([...head], [0x7f, 0x45, 0x4c, 0x46], `${p} is an ELF binary`);
      assert.match(readFileSync(`${pluginFile(names, p)}.cjs`, 'utf8'), /^#!.*\n.*entry\.cjs/);
    }
  });

  it('a pod added while calico-node runs is served by its CNI agent', async () => {
    podIp(await mustLab(['pod', 'add', 'a', '--node', '1', ...N]));
    await eventually('the agent logged the ADD', async () => served('ADD', 'a') === 1 || nodeLog());
  });

  it('with calico-node down the shim falls back to the in-process plugin', async () => {
    await killCalicoNode(names, '1');
    podIp(await mustLab(['pod', 'add', 'b', '--node', '1', ...N]));
    await startHostNode(names, '1', { readyTimeoutMs: 90_000 });
    assert.equal(served('ADD', 'b'), 0, 'no agent served it');
    // Felix (down with calico-node) lets the new endpoint's traffic through once it is back.
    await eventually('a pings b', async () => (await runLab(['ping', 'a', 'b', ...N])).code === 0, 30_000);
  });

  it('once calico-node is back its agent serves the DELs', async () => {
    for (const p of ['a', 'b']) {
      await mustLab(['pod', 'del', p, ...N]);
      await eventually(`the agent logged ${p}'s DEL`, async () => served('DEL', p) === 1 || nodeLog());
    }
  });
});
