import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CommanderError } from 'commander';
import { queryBirdProtocols } from '../../../../src/ctl/commands/node/bird-query.js';
import type { Argv } from '../../../../src/ctl/commands/node/processes.js';
import { birdSockets, runNodeStatus, type NodeStatusDeps } from '../../../../src/ctl/commands/node/status.js';
import { CommandError, type CtlIO } from '../../../../src/ctl/io.js';
import { protocolsReply, startFakeBird, type FakeBird } from './fake-bird.js';

const CALICO: Argv = ['node', '/opt/calico-ts/dist/bin/calico-node.js', '-felix'];
const BIRD: Argv = ['bird', '-R', '-s', '/var/run/calico/bird.ctl', '-f'];

interface Run {
  stdout: string;
  stderr: string;
  error?: unknown;
}

async function status(
  processes: Argv[],
  sockets: string[],
  opts: { root?: boolean; timeoutMs?: number; birdSocket?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  const out: Run = { stdout: '', stderr: '' };
  const io: CtlIO = {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    env: opts.env ?? {},
    readStdin: async () => '',
  };
  const deps: NodeStatusDeps = {
    isRoot: () => opts.root ?? true,
    listProcesses: async () => processes,
    // Tests pass sockets explicitly, unless they exercise --bird-socket/CALICO_BIRD_SOCKET.
    query: (chosen) =>
      queryBirdProtocols(opts.birdSocket || opts.env ? chosen : sockets, opts.timeoutMs ?? 2000),
  };
  try {
    await runNodeStatus(io, { birdSocket: opts.birdSocket }, deps);
  } catch (e) {
    out.error = e;
  }
  return out;
}

const MIXED = protocolsReply([
  ['device1', 'Device', '---', 'up', '09:59:58.001', ''],
  ['direct1', 'Direct', '---', 'up', '09:59:58.001', ''],
  ['kernel1', 'Kernel', 'master4', 'up', '09:59:58.001', ''],
  ['Mesh_198_51_100_2', 'BGP', '---', 'up', '10:00:01.500', 'Established'],
  ['Mesh_198_51_100_3', 'BGP', '---', 'start', '10:00:00.000', 'Connect', '', 'Socket: No route to host'],
  ['Global_192_0_2_254_port_180', 'BGP', '---', 'start', '10:00:00.000', 'Active'],
  ['Node_203_0_113_7', 'BGP', '---', 'up', '10:00:02.250', 'Established'],
  ['Local_Workload_10_65_0_9', 'BGP', '---', 'up', '10:00:02.250', 'Established'],
  ['Mesh_2001_db8__2', 'BGP', '---', 'up', '10:00:01.750', 'Established'],
  ['Node_fd00_1__5', 'BGP', '---', 'start', '10:00:00.000', 'Idle'],
]);

describe('calicoctl node status', () => {
  let dir: string;
  let mixed: FakeBird;
  let v4only: FakeBird;
  let empty: FakeBird;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ctlnode-status-'));
    mixed = await startFakeBird({ reply: MIXED });
    v4only = await startFakeBird({
      reply: protocolsReply([['Mesh_198_51_100_2', 'BGP', '---', 'up', '10:00:01', 'Established']]),
    });
    empty = await startFakeBird({
      reply: protocolsReply([['device1', 'Device', '---', 'up', '10:00:01', '']]),
    });
  });
  after(async () => {
    await Promise.all([mixed.stop(), v4only.stop(), empty.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to run without root, on stdout', async () => {
    const r = await status([CALICO, BIRD], [mixed.path], { root: false });
    assert.equal(r.stdout, 'Need super user privileges: Operation not permitted\n');
    assert.ok(r.error instanceof CommanderError && r.error.exitCode === 1);
  });

  it('fails when no calico-node process runs', async () => {
    const r = await status([BIRD, ['node', 'dist/bin/calicoctl.js']], [mixed.path]);
    assert.equal(r.stdout, '');
    assert.ok(r.error instanceof CommandError);
    assert.equal((r.error as Error).message, 'Calico process is not running.');
  });

  it('says when BIRD is not running', async () => {
    const r = await status([CALICO], [mixed.path]);
    assert.equal(r.error, undefined);
    assert.equal(
      r.stdout,
      'Calico process is running.\n\nThe BGP backend process (BIRD) is not running.\n\n',
    );
    assert.deepEqual(mixed.commands, []);
  });

  it('prints both families from one BIRD: mesh, global (with _port_) and node-specific peers', async () => {
    const before = mixed.commands.length;
    const r = await status([CALICO, BIRD], [mixed.path]);
    assert.equal(r.error, undefined);
    assert.equal(
      r.stdout,
      [
        'Calico process is running.',
        '',
        'IPv4 BGP status',
        '+----------------------+-------------------+-------+--------------+----------------------------------+',
        '| PEER ADDRESS         | PEER TYPE         | STATE | SINCE        | INFO                             |',
        '+----------------------+-------------------+-------+--------------+----------------------------------+',
        '| 198.51.100.2         | node-to-node mesh | up    | 10:00:01.500 | Established                      |',
        '| 198.51.100.3         | node-to-node mesh | start | 10:00:00.000 | Connect Socket: No route to host |',
        '| 192.0.2.254.port.180 | global            | start | 10:00:00.000 | Active                           |',
        '| 203.0.113.7          | node specific     | up    | 10:00:02.250 | Established                      |',
        '+----------------------+-------------------+-------+--------------+----------------------------------+',
        '',
        'IPv6 BGP status',
        '+--------------+-------------------+-------+--------------+-------------+',
        '| PEER ADDRESS | PEER TYPE         | STATE | SINCE        | INFO        |',
        '+--------------+-------------------+-------+--------------+-------------+',
        '| 2001:db8::2  | node-to-node mesh | up    | 10:00:01.750 | Established |',
        '| fd00:1::5    | node specific     | start | 10:00:00.000 | Idle        |',
        '+--------------+-------------------+-------+--------------+-------------+',
        '',
        '',
      ].join('\n'),
    );
    // One query serves both sections.
    assert.deepEqual(mixed.commands.slice(before), ['show protocols']);
  });

  it('prints "No IPv<N> peers found." per family without peers', async () => {
    const v4 = await status([CALICO, BIRD], [v4only.path]);
    assert.match(
      v4.stdout,
      /\| 198\.51\.100\.2 \| node-to-node mesh \| up {4}\| 10:00:01 \| Established \|\n/,
    );
    assert.ok(v4.stdout.endsWith('+\n\nIPv6 BGP status\nNo IPv6 peers found.\n\n'));
    const none = await status([CALICO, BIRD], [empty.path]);
    assert.equal(
      none.stdout,
      'Calico process is running.\n\nIPv4 BGP status\nNo IPv4 peers found.\n\nIPv6 BGP status\nNo IPv6 peers found.\n\n',
    );
  });

  it('reports an unreachable socket per section, in Go dial wording, and exits 0', async () => {
    const missing = join(dir, 'missing.ctl');
    const r = await status([CALICO, BIRD], [join(dir, 'first.ctl'), missing]);
    assert.equal(r.error, undefined);
    const err = `dial unix ${missing}: connect: no such file or directory`;
    assert.equal(
      r.stdout,
      'Calico process is running.\n\n' +
        `IPv4 BGP status\nError querying BIRD: unable to connect to BIRDv4 socket: ${err}\n` +
        `IPv6 BGP status\nError querying BIRD: unable to connect to BIRDv6 socket: ${err}\n`,
    );
  });

  it('says "connection refused" for a path nobody listens on', async () => {
    const stale = join(dir, 'stale.ctl');
    await writeFile(stale, '');
    const r = await status([CALICO, BIRD], [stale]);
    assert.match(r.stdout, new RegExp(`BIRDv4 socket: dial unix ${stale}: connect: connection refused\n`));
  });

  it('falls back to the second socket when the first cannot be reached', async () => {
    const r = await status([CALICO, BIRD], [join(dir, 'nope.ctl'), v4only.path]);
    assert.match(r.stdout, /198\.51\.100\.2/);
  });

  it('fails on a reply it cannot read: wrong header, stray line, silence, early close', async () => {
    const badHeader = await startFakeBird({ reply: '2002-name proto table state since\n0000 \n' });
    const stray = await startFakeBird({ reply: '2002-Name Proto Table State Since Info\nhello\n0000 \n' });
    const silent = await startFakeBird({ hang: true });
    const closes = await startFakeBird({ close: true });
    try {
      const cases: [FakeBird, RegExp][] = [
        [badHeader, /^Error executing command: unknown BIRD table output format/],
        [stray, /^Error executing command: unexpected output line from BIRD/],
        [silent, /^Error executing command: BIRD did not answer within 200 ms$/],
        [closes, /^Error executing command: .*BIRD closed the control connection/],
      ];
      for (const [bird, expected] of cases) {
        const started = Date.now();
        const r = await status([CALICO, BIRD], [bird.path], { timeoutMs: 200 });
        assert.ok(r.error instanceof CommandError, `${bird.path}: ${String(r.error)}`);
        assert.match((r.error as Error).message, expected);
        assert.equal(r.stdout, 'Calico process is running.\n\nIPv4 BGP status\n');
        assert.ok(Date.now() - started < 2000);
      }
    } finally {
      await Promise.all([badHeader.stop(), stray.stop(), silent.stop(), closes.stop()]);
    }
  });

  it('asks the socket named by --bird-socket, else CALICO_BIRD_SOCKET, else Calico’s two paths', async () => {
    assert.deepEqual(birdSockets({ birdSocket: '/a.ctl' }, { CALICO_BIRD_SOCKET: '/b.ctl' }), ['/a.ctl']);
    assert.deepEqual(birdSockets({}, { CALICO_BIRD_SOCKET: '/b.ctl' }), ['/b.ctl']);
    assert.deepEqual(birdSockets({}, {}), ['/var/run/calico/bird.ctl', '/var/run/bird/bird.ctl']);
    const viaOption = await status([CALICO, BIRD], [], { birdSocket: v4only.path });
    assert.match(viaOption.stdout, /198\.51\.100\.2/);
    const viaEnv = await status([CALICO, BIRD], [], { env: { CALICO_BIRD_SOCKET: v4only.path } });
    assert.match(viaEnv.stdout, /198\.51\.100\.2/);
  });
});
