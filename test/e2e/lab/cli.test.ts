/** calico-lab's command line: usage errors say what is wrong (exit 2) before anything is touched. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labNamespaces, runLab } from './lab-cli.js';

describe('calico-lab command line', () => {
  it('rejects bad options with exit 2 and a reason', async () => {
    const cases: [string[], RegExp][] = [
      [['up', '--name', 'Bad-Name'], /invalid lab name 'Bad-Name'/],
      [['up', '--name', 'tcli', '--nodes', '0'], /--nodes must be a whole number from 1 to 16/],
      [['up', '--name', 'tcli', '--nodes', 'x'], /--nodes needs a whole number/],
      [['up', '--name', 'tcli', '--mode', 'vxlan', '--tor'], /need --mode bgp/],
      [['up', '--name', 'tcli', '--nodes', '2', '--route-reflectors', '3'], /--route-reflectors must be/],
      [['up', '--name', 'tcli', '--mode', 'ipip'], /Allowed choices are bgp, vxlan/],
      [['pod', 'add', 'Bad_Pod', '--name', 'tcli'], /invalid pod name 'Bad_Pod'/],
    ];
    for (const [args, msg] of cases) {
      const r = await runLab(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, msg);
    }
    assert.deepEqual(labNamespaces('tcli'), []);
  });

  it('commands on a lab that does not exist say how to start one', async () => {
    const name = ['--name', 'tnone'];
    for (const args of [
      ['status', ...name],
      ['ping', '1', '2', ...name],
      ['exec', '1', ...name, '--', 'true'],
      ['pod', 'del', 'x', ...name],
    ]) {
      const r = await runLab(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /no lab 'tnone' is running\nstart one with: calico-lab up --name tnone/);
    }
  });
});
