/**
 * The compiled thin plugin (tools/cni-shim, as --install-plugins installs it) against the Node
 * launcher it replaces: the same stdout and exit status for VERSION, ADD, CHECK, DEL and errors,
 * with the agent up (the shim speaks the agent protocol) and down (the shim execs the Node
 * launcher in place, stdin replayed), plus a refusal from another namespace and a large stdin.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { installPlugins, shimUnavailable } from '../../../src/cni/agent/index.js';
import { PAUSE_AFTER_IPAM_ENV } from '../../../src/cni/main.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import { makeTempDir, type Netns } from '../../helpers/netns.js';
import { heldBy, NET, startAgentBed, weps, type AgentBed, type AgentProcess } from './agent-bed.js';

const root = process.getuid?.() === 0;
const noShim = shimUnavailable();
let bed: AgentBed;
let agent: AgentProcess | undefined;
let shimDir: string;

type Kind = 'node' | 'shim';
interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
  pid: number | undefined;
}

let seq = 0;
/** A container id unique in its first 11 characters (Calico names the host veth cali<id[:11]>). */
const cid = (tag: string): string => `s${String(seq++).padStart(4, '0')}${tag}`.slice(0, 40);

function conf(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: NET,
    type: 'calico',
    etcd_endpoints: bed.etcd.clientUrl,
    nodename: 'agent-node',
    nodename_file_optional: true,
    ipam_lock_file: join(bed.tool.dir, 'ipam.lock'),
    log_level: 'info',
    ipam: { type: 'calico-ipam' },
    ...extra,
  });
}

/** Runs one plugin as a runtime does (exec'd in `ns`, a clean environment, stdin written whole). */
function runPlugin(
  kind: Kind,
  plugin: 'calico' | 'calico-ipam',
  env: Record<string, string>,
  stdin: string,
  ns: Netns = bed.host,
  onSpawn?: (pid: number | undefined) => void,
): Promise<Out> {
  const dir = kind === 'shim' ? shimDir : bed.tool.binDir;
  const child = spawn('nsenter', [`--net=${ns.path}`, join(dir, plugin)], {
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', CNI_PATH: `${dir}:/usr/lib/cni`, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  onSpawn?.(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => undefined);
  child.stdin.end(stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, pid: child.pid });
    }),
  );
}

/** Runs the same call through the Node launcher, then the shim; asserts identical stdout and status. */
async function same(
  what: string,
  plugin: 'calico' | 'calico-ipam',
  env: Record<string, string>,
  stdin: string,
  ns?: Netns,
): Promise<Out> {
  const node = await runPlugin('node', plugin, env, stdin, ns);
  const shim = await runPlugin('shim', plugin, env, stdin, ns);
  assert.equal(shim.stdout, node.stdout, `${what}: stdout (node stderr: ${node.stderr})`);
  assert.equal(shim.code, node.code, `${what}: exit status`);
  return shim;
}

function cniEnv(command: string, pod: Netns, id: string, extra: Record<string, string>) {
  return { CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: pod.path, CNI_IFNAME: 'eth0', ...extra };
}

/** The result without what differs between two pods (addresses, MACs, names, sandbox paths). */
function shape(stdout: string): string {
  return stdout
    .replace(/\d+\.\d+\.\d+\.\d+/g, 'IP')
    .replace(/([0-9a-f]{2}:){5}[0-9a-f]{2}/g, 'MAC')
    .replace(/cali[0-9a-z]+/g, 'cali')
    .replace(/"sandbox":"[^"]*"/g, '"sandbox":"NS"');
}

const countServed = (id: string): number =>
  (agent?.log() ?? '').split('\n').filter((l) => l.includes(` ${id} -> `)).length;

/** The comparisons run once with the agent up and once with it down. */
function suite(mode: 'agent' | 'fallback'): void {
  const env = (): Record<string, string> => bed.viaAgent;

  it('VERSION: same answer for every stdin, both plugins', async () => {
    for (const plugin of ['calico', 'calico-ipam'] as const) {
      for (const stdin of [
        '{"cniVersion":"0.4.0"}',
        '{"cniVersion":"9.9.9"}',
        '{"cniVersion":""}',
        'not json',
        '',
        '[1,2]',
      ]) {
        await same(`VERSION ${plugin} ${stdin}`, plugin, { ...env(), CNI_COMMAND: 'VERSION' }, stdin);
      }
    }
  });

  it('errors: same CNI error answer and status', async () => {
    const pod = await bed.pod(`${mode}-err`);
    const noId = { ...env(), CNI_COMMAND: 'ADD', CNI_NETNS: pod.path, CNI_IFNAME: 'eth0' };
    const r = await same('ADD without CNI_CONTAINERID', 'calico', noId, conf());
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).code, 4);
    // The error carries the request's cniVersion, characters JSON.stringify leaves alone included.
    await same('ADD, odd cniVersion', 'calico', noId, conf({ cniVersion: '<&>\u2028é' }));
    await same('ADD, bad stdin', 'calico', { ...noId, CNI_CONTAINERID: cid('bad') }, '{not json');
    await same('no CNI_COMMAND', 'calico', { ...env(), CNI_CONTAINERID: cid('none') }, conf());
    await same('unknown command', 'calico-ipam', { ...noId, CNI_COMMAND: 'FROB' }, conf());
  });

  it('ADD, a repeated ADD, CHECK and DEL: same answers', async () => {
    const podA = await bed.pod(`${mode}-a`);
    const podB = await bed.pod(`${mode}-b`);
    const [a, b] = [cid('adda'), cid('addb')];
    // Fresh ADDs differ only in what differs between two pods.
    const node = await runPlugin('node', 'calico', cniEnv('ADD', podA, a, env()), conf());
    const shim = await runPlugin('shim', 'calico', cniEnv('ADD', podB, b, env()), conf());
    assert.equal(node.code, 0, node.stdout + node.stderr);
    assert.equal(shim.code, 0, shim.stdout + shim.stderr);
    assert.equal(shape(shim.stdout), shape(node.stdout));
    assert.equal((await heldBy(bed, `${NET}.${b}`)).length, 1);
    // Served by the agent when it runs, in-process (the launcher) when not.
    assert.equal(countServed(b), mode === 'agent' ? 1 : 0);
    // Plain CNI's repeated ADD answers from the endpoint: byte for byte the same.
    await same('repeated ADD', 'calico', cniEnv('ADD', podB, b, env()), conf());
    // CHECK gets the ADD's result as prevResult, as a runtime passes it.
    const prevResult = JSON.parse(shim.stdout) as unknown;
    const check = await same('CHECK', 'calico', cniEnv('CHECK', podB, b, env()), conf({ prevResult }));
    assert.equal(check.code, 0, check.stdout);
    const del = await same(
      'DEL (then DEL of a gone container)',
      'calico',
      cniEnv('DEL', podB, b, env()),
      conf(),
    );
    assert.deepEqual([del.code, del.stdout], [0, '']);
    await same('DEL', 'calico', cniEnv('DEL', podA, a, env()), conf());
    assert.deepEqual(await weps(bed), []);
    assert.deepEqual(await heldBy(bed, `${NET}.${b}`), []);
    await same(
      'CHECK of a deleted container',
      'calico',
      cniEnv('CHECK', podB, b, env()),
      conf({ prevResult }),
    );
  });
}

describe(
  'the Go shim answers as the Node launcher',
  { skip: (!root && 'needs root (network namespaces)') || (noShim && `no Go shim: ${noShim}`) },
  () => {
    before(async () => {
      bed = await startAgentBed('cshim');
      shimDir = makeTempDir('cts-cshim-bin-');
      const r = installPlugins(shimDir);
      assert.ok(r.shim, r.note);
      agent = await bed.startAgent();
    });
    after(async () => {
      await bed?.close();
      await assertNoLeaks();
    });

    describe('with the agent running', () => {
      suite('agent');

      it('a request refused by the agent (another namespace) runs in-process, same answer', async () => {
        const pod = await bed.pod('refused');
        const before = (agent?.log().match(/refused calico ADD/g) ?? []).length;
        const r = await same(
          'refused ADD',
          'calico',
          { ...bed.viaAgent, CNI_COMMAND: 'ADD', CNI_NETNS: pod.path, CNI_IFNAME: 'eth0' },
          conf(),
          pod,
        );
        assert.equal(JSON.parse(r.stdout).code, 4);
        // The launcher asks once; the shim asks, then its Node fallback asks again (and is refused).
        assert.equal((agent?.log().match(/refused calico ADD/g) ?? []).length, before + 3, agent?.log());
      });

      it('CALICO_CNI_AGENT=false skips the agent: same answer, nothing served', async () => {
        const pod = await bed.pod('off');
        const id = cid('off');
        const env = { ...cniEnv('ADD', pod, id, bed.inProcess), CNI_NETNS: `${pod.path}-missing` };
        const r = await same('ADD, agent off', 'calico', env, conf());
        assert.equal(r.code, 1);
        assert.match(JSON.parse(r.stdout).msg, /netns/);
        assert.equal(countServed(id), 0);
      });
    });

    describe('with no agent (fallback to the Node launcher)', () => {
      before(async () => {
        await agent?.stop();
        assert.equal(existsSync(bed.socket), false);
      });

      suite('fallback');

      it('the fallback replaces the shim in place (same pid) and reads the same stdin', async () => {
        const pod = await bed.pod('pid');
        const id = cid('pid');
        const marker = join(bed.tool.dir, 'pause-marker');
        let spawned: number | undefined;
        const done = runPlugin(
          'shim',
          'calico',
          cniEnv('ADD', pod, id, { ...bed.viaAgent, [PAUSE_AFTER_IPAM_ENV]: marker }),
          conf(),
          bed.host,
          (pid) => (spawned = pid),
        );
        const deadline = Date.now() + 30_000;
        while (!existsSync(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        const [pid] = readFileSync(marker, 'utf8').split('\n');
        writeFileSync(`${marker}.continue`, '');
        const r = await done;
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(Number(pid), spawned, 'the in-process plugin runs as the exec’d process');
        const del = await runPlugin('shim', 'calico', cniEnv('DEL', pod, id, bed.viaAgent), conf());
        assert.equal(del.code, 0, del.stdout);
      });

      it('a stdin larger than a pipe holds is replayed whole', async () => {
        const pod = await bed.pod('big');
        // The error names the cniVersion, read after 200 kB of padding: the whole stdin arrived.
        const big = conf({ padding: 'x'.repeat(200_000), cniVersion: '0.4.0' });
        const r = await same(
          'big stdin',
          'calico',
          { ...bed.viaAgent, CNI_COMMAND: 'ADD', CNI_NETNS: pod.path, CNI_IFNAME: 'eth0' },
          big,
        );
        assert.equal(JSON.parse(r.stdout).cniVersion, '0.4.0');
        assert.equal(JSON.parse(r.stdout).code, 4);
      });
    });
  },
);
