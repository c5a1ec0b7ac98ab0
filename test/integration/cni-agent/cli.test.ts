/** calico-cni-agent's command line: options, --install-plugins, and start-up failures. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parseAgentArgs } from '../../../src/cni/agent/agent-main.js';
import { DEFAULT_AGENT_SOCKET, shimUnavailable } from '../../../src/cni/agent/index.js';
import { assertNoLeaks } from '../../helpers/leaks.js';

const AGENT_BIN = fileURLToPath(new URL('../../../bin/calico-cni-agent.js', import.meta.url));
let dir: string;

function agent(args: string[]) {
  return spawnSync(process.execPath, [AGENT_BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'calico-ts-agent-cli-'));
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await assertNoLeaks();
});

describe('calico-cni-agent options', () => {
  it('parses the socket from flags, then the environment, then the default', () => {
    assert.deepEqual(parseAgentArgs([], {}), { socketPath: DEFAULT_AGENT_SOCKET });
    assert.deepEqual(parseAgentArgs([], { CALICO_CNI_AGENT_SOCKET: '/run/x.sock' }), {
      socketPath: '/run/x.sock',
    });
    assert.deepEqual(
      parseAgentArgs(
        ['--socket', '/a.sock', '--request-timeout-ms=5000', '--max-concurrent', '4', '--quiet'],
        {
          CALICO_CNI_AGENT_SOCKET: '/run/x.sock',
        },
      ),
      { socketPath: '/a.sock', requestTimeoutMs: 5000, maxConcurrent: 4, quiet: true },
    );
    assert.equal(parseAgentArgs(['-h'], {}), 'help');
    assert.equal(parseAgentArgs(['--version'], {}), 'version');
    assert.deepEqual(parseAgentArgs(['--install-plugins', '/opt/cni/bin'], {}), {
      installPlugins: '/opt/cni/bin',
    });
  });

  it('rejects bad arguments with a usage error', () => {
    assert.throws(() => parseAgentArgs(['--max-concurrent', '0'], {}), /positive integer/);
    assert.throws(() => parseAgentArgs(['--request-timeout-ms', 'soon'], {}), /positive integer/);
    assert.throws(() => parseAgentArgs(['--socket'], {}), /needs a path/);
    assert.throws(() => parseAgentArgs(['--frobnicate'], {}), /unknown argument --frobnicate/);
    const r = agent(['--frobnicate']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown argument --frobnicate[\s\S]*Usage: calico-cni-agent/);
  });

  it('prints its version', () => {
    const r = agent(['-v']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^calico-cni-agent \(calico-ts\) v\d+\.\d+\.\d+/);
  });

  /** The installed plugin answers VERSION in the requested version, as the Node plugin does. */
  function assertAnswersVersion(file: string): void {
    const v = spawnSync(file, [], {
      input: '{"cniVersion":"0.4.0"}',
      env: { PATH: '/usr/bin:/bin', CNI_COMMAND: 'VERSION' },
      encoding: 'utf8',
    });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(JSON.parse(v.stdout).cniVersion, '0.4.0');
  }

  function assertNodeLauncher(file: string, p: string): void {
    assert.equal(statSync(file).mode & 0o777, 0o755);
    assert.match(
      readFileSync(file, 'utf8'),
      new RegExp(`^#!${process.execPath}\\nrequire\\(.*entry\\.cjs"\\)\\.main\\("${p}"\\);\\n$`),
    );
  }

  it('--install-plugins writes the Go shim with the Node launcher beside it, both answering VERSION', () => {
    const bin = join(dir, 'cni-bin');
    mkdirSync(bin, { recursive: true });
    const r = agent(['--install-plugins', bin]);
    assert.equal(r.status, 0, r.stderr);
    const shim = shimUnavailable() === undefined;
    for (const p of ['calico', 'calico-ipam']) {
      assertNodeLauncher(join(bin, `${p}.cjs`), p);
      assertAnswersVersion(join(bin, `${p}.cjs`));
      if (shim) {
        // An ELF executable (the compiled shim), not a script.
        assert.equal(readFileSync(join(bin, p)).subarray(0, 4).toString('latin1'), '\x7fELF');
        assert.equal(statSync(join(bin, p)).mode & 0o777, 0o755);
      } else {
        assertNodeLauncher(join(bin, p), p);
        assert.match(r.stderr, /installed the Node launchers as the plugins/);
      }
      assertAnswersVersion(join(bin, p));
    }
    assert.deepEqual(readdirSync(bin).sort(), ['calico', 'calico-ipam', 'calico-ipam.cjs', 'calico.cjs']);
  });

  it('--install-plugins --no-go-shim writes the Node launchers only', () => {
    const bin = join(dir, 'cni-bin-node');
    mkdirSync(bin, { recursive: true });
    const r = agent(['--install-plugins', bin, '--no-go-shim']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    for (const p of ['calico', 'calico-ipam']) {
      assertNodeLauncher(join(bin, p), p);
      assertAnswersVersion(join(bin, p));
    }
    assert.deepEqual(parseAgentArgs(['--no-go-shim', '--install-plugins', '/x'], {}), {
      installPlugins: '/x',
      goShim: false,
    });
    assert.throws(() => parseAgentArgs(['--no-go-shim'], {}), /goes with --install-plugins/);
  });

  it('--install-plugins into a missing directory fails with the reason', () => {
    const r = agent(['--install-plugins', join(dir, 'nowhere')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot install the plugins: ENOENT/);
  });

  it('exits 1 with the reason when the socket path is taken by a live agent', async () => {
    const socket = join(dir, 'taken.sock');
    const first = spawn(process.execPath, [AGENT_BIN, '--socket', socket], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    first.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
    const deadline = Date.now() + 15_000;
    while (!/listening on/.test(log) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    try {
      const r = agent(['--socket', socket]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /cannot start: another calico-cni-agent is already listening on/);
    } finally {
      const exited = new Promise((r) => first.once('exit', r));
      first.kill('SIGTERM');
      await exited;
    }
    assert.match(log, /SIGTERM: stopping \(0 request\(s\) in flight\)/);
  });
});
