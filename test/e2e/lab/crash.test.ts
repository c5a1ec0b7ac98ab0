/**
 * A `calico-lab up` killed with SIGKILL half-way leaves detached daemons and namespaces behind;
 * the next `up` removes them first and builds a clean lab (no second etcd, no stray calico-node).
 * `down` cleans such leftovers too, and Ctrl-C during `up` removes what it built.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { assertLabGone, labNamespaces, labProcesses, labSkip, mustLab, runLab, startLab } from './lab-cli.js';

const LAB = 'tcrash';
const N = ['--name', LAB];
const skip = labSkip();

/** Starts `up` and resolves once its output shows `marker` (the child keeps running). */
function upUntil(args: string[], marker: RegExp): Promise<{ child: ChildProcess; out: () => string }> {
  const child = startLab(['up', ...N, ...args]);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${marker} within 60 s:\n${out}`)), 60_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (marker.test(out)) {
        clearTimeout(timer);
        resolve({ child, out: () => out });
      }
    });
    child.stderr?.resume();
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`up exited early:\n${out}`));
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r(child.exitCode);
    else child.once('exit', (code) => r(code));
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('calico-lab: crashed and interrupted runs', { skip }, () => {
  after(async () => {
    await runLab(['down', ...N]);
    await assertNoLeaks();
  });

  it('the next up removes what an up killed with SIGKILL left', async () => {
    const { child } = await upUntil(['--nodes', '3'], /\[5\/6\] starting calico-node/);
    await sleep(300); // some calico-nodes are running by now
    child.kill('SIGKILL');
    await exited(child);
    const left = labProcesses(LAB);
    assert.ok(
      left.some((p) => p.argv[0]?.endsWith('etcd')),
      'the detached etcd outlived the killed up',
    );
    assert.ok(labNamespaces(LAB).length >= 4, 'namespaces left');

    const out = await mustLab(['up', ...N, '--nodes', '2']);
    assert.match(
      out,
      /removing leftovers of earlier runs \.\.\. done \(\d+\.\d s\): [1-9]\d* process\(es\), [1-9]\d* namespace\(s\)/,
    );
    const procs = labProcesses(LAB);
    assert.equal(procs.filter((p) => p.argv[0]?.endsWith('etcd')).length, 1, 'one etcd');
    assert.equal(procs.filter((p) => p.argv.some((a) => a.endsWith('calico-node.js'))).length, 2);
    assert.ok(
      left.every((p) => !procs.some((q) => q.pid === p.pid)),
      'no process of the crashed run survives',
    );
    assert.deepEqual(labNamespaces(LAB).sort(), [`${LAB}-fab`, `${LAB}-h1`, `${LAB}-h2`]);
    const ping = await runLab(['ping', '1', '2', ...N]);
    assert.equal(ping.code, 0, ping.stdout);
    await mustLab(['down', ...N]);
    assertLabGone(LAB);
  });

  it('down removes the leftovers of a killed up', async () => {
    const { child } = await upUntil(['--nodes', '2'], /\[4\/6\] writing the cluster configuration/);
    child.kill('SIGKILL');
    await exited(child);
    assert.ok(labNamespaces(LAB).length > 0);
    const status = await runLab(['status', ...N]);
    assert.equal(status.code, 1);
    assert.match(status.stdout, /did not finish: remove it with calico-lab down --name tcrash/);
    assert.match(await mustLab(['down', ...N]), /lab 'tcrash' removed/);
    assertLabGone(LAB);
  });

  it('Ctrl-C during up removes what it built and exits 130', async () => {
    const { child } = await upUntil(['--nodes', '2'], /\[5\/6\] starting calico-node/);
    let err = '';
    child.stderr?.removeAllListeners('data');
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.kill('SIGINT');
    assert.equal(await exited(child), 130);
    assert.match(err, /SIGINT: removing lab 'tcrash'/);
    assertLabGone(LAB);
  });
});
