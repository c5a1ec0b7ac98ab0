/**
 * `calicoctl node status` and `node checksystem` through the real binary, with real process
 * scanning: stand-in processes whose argv look like calico-node and BIRD, and a fake BIRD control
 * socket. No namespaces or real BIRD (the e2e test has those).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CALICOCTL_BIN, ctlBin, type CtlResult } from '../../../helpers/ctl.js';
import { protocolsReply, startFakeBird, type FakeBird } from '../../../unit/ctl/node/fake-bird.js';

const isRoot = process.getuid?.() === 0;

/** Starts a sleeping node process with the given argv[0] and arguments. */
async function standIn(argv0: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { argv0, stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return child;
}

/** Runs the binary as user nobody (65534). */
function asNobody(args: string[]): Promise<CtlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CALICOCTL_BIN, ...args], { uid: 65534, gid: 65534, env: {} });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('calicoctl node (binary)', () => {
  let dir: string;
  let bird: FakeBird;
  const children: ChildProcess[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ctlnode-int-'));
    bird = await startFakeBird({
      reply: protocolsReply([
        ['device1', 'Device', '---', 'up', '10:00:00.000', ''],
        ['Mesh_192_0_2_2', 'BGP', '---', 'up', '10:00:01.000', 'Established'],
        [
          'Node_2001_db8__7_port_1179',
          'BGP',
          '---',
          'start',
          '10:00:00.000',
          'Active',
          'Socket:',
          'Connection',
          'refused',
        ],
      ]),
    });
    const script = join(dir, 'calico-node.js');
    await writeFile(script, 'setInterval(() => undefined, 1 << 30);\n');
    const sleep = ['-e', 'setInterval(() => undefined, 1 << 30)'];
    children.push(await standIn(process.execPath, [script, '-felix']));
    // argv[0] `bird`, as BIRD started by name (or `ip netns exec NS bird`) shows in /proc.
    children.push(await standIn('bird', sleep));
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await bird.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'node status prints both sections from the socket in CALICO_BIRD_SOCKET',
    { skip: !isRoot && 'needs root' },
    async () => {
      const r = await ctlBin({ CALICO_BIRD_SOCKET: bird.path }, ['node', 'status']);
      assert.equal(r.stderr, '');
      assert.equal(r.code, 0);
      assert.equal(
        r.stdout,
        [
          'Calico process is running.',
          '',
          'IPv4 BGP status',
          '+--------------+-------------------+-------+--------------+-------------+',
          '| PEER ADDRESS | PEER TYPE         | STATE | SINCE        | INFO        |',
          '+--------------+-------------------+-------+--------------+-------------+',
          '| 192.0.2.2    | node-to-node mesh | up    | 10:00:01.000 | Established |',
          '+--------------+-------------------+-------+--------------+-------------+',
          '',
          'IPv6 BGP status',
          '+-----------------------+---------------+-------+--------------+-----------------------------------+',
          '| PEER ADDRESS          | PEER TYPE     | STATE | SINCE        | INFO                              |',
          '+-----------------------+---------------+-------+--------------+-----------------------------------+',
          '| 2001:db8::7:port:1179 | node specific | start | 10:00:00.000 | Active Socket: Connection refused |',
          '+-----------------------+---------------+-------+--------------+-----------------------------------+',
          '',
          '',
        ].join('\n'),
      );
    },
  );

  it(
    'node status: --bird-socket to a missing socket is reported, exit 0',
    { skip: !isRoot && 'needs root' },
    async () => {
      const missing = join(dir, 'none.ctl');
      const r = await ctlBin({ CALICO_BIRD_SOCKET: bird.path }, ['node', 'status', '--bird-socket', missing]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(
        r.stdout.endsWith(
          `IPv6 BGP status\nError querying BIRD: unable to connect to BIRDv6 socket: dial unix ${missing}: connect: no such file or directory\n`,
        ),
        r.stdout,
      );
    },
  );

  it(
    'node checksystem on this host ends in the success line or the failure message',
    { skip: !isRoot && 'needs root' },
    async () => {
      const r = await ctlBin({}, ['node', 'checksystem']);
      const lines = r.stdout.split('\n');
      assert.equal(lines[0], 'Checking kernel version...');
      assert.match(lines[1], /^\t\t\S.* *\t{5}OK$/);
      assert.equal(lines[2], 'Checking kernel modules...');
      assert.equal(lines.filter((l) => /^\t\t\S+ *\t{5}(OK|FAIL|SKIP)$/.test(l)).length, 16);
      if (r.code === 0) {
        assert.equal(lines.at(-2), 'System meets minimum system requirements to run Calico!');
      } else {
        assert.equal(r.code, 1);
        assert.match(r.stdout, /\tFAIL\n/);
        assert.equal(
          r.stderr,
          "system doesn't meet one or more minimum systems requirements to run Calico\n",
        );
      }
    },
  );

  it(
    'both commands refuse a non-root user on stdout with exit 1',
    { skip: !isRoot && 'needs root to switch user' },
    async () => {
      for (const cmd of ['status', 'checksystem']) {
        const r = await asNobody(['node', cmd]);
        assert.deepEqual(r, {
          code: 1,
          stdout: 'Need super user privileges: Operation not permitted\n',
          stderr: '',
        });
      }
    },
  );
});
