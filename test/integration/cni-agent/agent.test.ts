/**
 * calico-cni-agent with the real plugin, driven through libcni (mini-cnitool) and the thin plugin
 * launchers: same answers as in-process, concurrency, fallback, a killed client, a stale socket,
 * SIGTERM with an ADD in flight, and nothing left behind.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCniDeps, runCni } from '../../../src/cni/index.js';
import { PAUSE_AFTER_IPAM_ENV } from '../../../src/cni/main.js';
import { versionAnswer } from '../../../src/cni/agent/index.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import type { Netns } from '../../helpers/netns.js';
import {
  caliLinks,
  handles,
  heldBy,
  NET,
  served,
  socketExists,
  startAgentBed,
  weps,
  type AgentBed,
  type AgentProcess,
} from './agent-bed.js';

const root = process.getuid?.() === 0;
let bed: AgentBed;
let agent: AgentProcess;

/** A container id unique in its first 11 characters (Calico names the host veth cali<id[:11]>). */
let seq = 0;
const cid = (tag: string): string => `a${String(seq++).padStart(4, '0')}${tag}`.slice(0, 40);

async function assertWired(pod: Netns, id: string): Promise<string> {
  const ips = await heldBy(bed, `${NET}.${id}`);
  assert.equal(ips.length, 1, `IPAM holds one address for ${id}`);
  const ip = ips[0].split('/')[0];
  assert.match(
    await pod.ip('-4', '-o', 'addr', 'show', 'eth0'),
    new RegExp(`inet ${ip.replaceAll('.', '\\.')}/32`),
  );
  assert.match(
    await bed.host.ip('-4', 'route', 'show', `${ip}/32`),
    new RegExp(`dev cali${id.slice(0, 11)}`),
  );
  assert.ok(
    (await weps(bed)).some((w) => w.includes(id)),
    `WorkloadEndpoint for ${id}`,
  );
  return ip;
}

async function assertGone(pods: Netns[], what: string): Promise<void> {
  assert.deepEqual(await caliLinks(bed.host), [], `${what}: host veths left`);
  for (const p of pods) {
    const links = (await p.ipJson<{ ifname: string }>('link', 'show')).map((l) => l.ifname);
    assert.deepEqual(links, ['lo'], `${what}: pod ${p.name} interfaces left`);
  }
  assert.deepEqual(await weps(bed), [], `${what}: WorkloadEndpoints left`);
  assert.deepEqual(await handles(bed), [], `${what}: IPAM handles left`);
}

/** Polls until `cond` holds (bounded). */
async function until(
  what: string,
  cond: () => Promise<boolean> | boolean,
  ms = 20_000,
  every = 5,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Starts the thin `calico` plugin directly in the host namespace, as a runtime would. */
function startPlugin(command: string, pod: Netns, id: string, env: Record<string, string>) {
  const child = spawn('nsenter', [`--net=${bed.host.path}`, join(bed.tool.binDir, 'calico')], {
    env: {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: id,
      CNI_NETNS: pod.path,
      CNI_IFNAME: 'eth0',
      CNI_PATH: bed.tool.cniPath,
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.resume();
  const conf = JSON.parse(JSON.stringify({ cniVersion: '1.0.0', name: NET, ...confPlugin() })) as Record<
    string,
    unknown
  >;
  child.stdin.end(JSON.stringify(conf));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal, stdout })),
  );
  return { child, done };
}

function confPlugin(): Record<string, unknown> {
  return {
    type: 'calico',
    etcd_endpoints: bed.etcd.clientUrl,
    nodename: 'agent-node',
    nodename_file_optional: true,
    ipam_lock_file: join(bed.tool.dir, 'ipam.lock'),
    log_level: 'info',
    ipam: { type: 'calico-ipam' },
  };
}

/** The result without what differs between two pods (addresses, MACs, names, sandbox paths). */
function shape(result: Record<string, unknown> | undefined): unknown {
  return JSON.parse(
    JSON.stringify(result ?? {})
      .replace(/\d+\.\d+\.\d+\.\d+/g, 'IP')
      .replace(/([0-9a-f]{2}:){5}[0-9a-f]{2}/g, 'MAC')
      .replace(/cali[0-9a-z]+/g, 'cali')
      .replace(/"sandbox":"[^"]*"/g, '"sandbox":"NS"'),
  );
}

describe(
  'calico-cni-agent with the real plugin',
  { skip: !root && 'needs root (network namespaces)' },
  () => {
    before(async () => {
      bed = await startAgentBed('agt');
      agent = await bed.startAgent();
    });
    after(async () => {
      await bed?.close();
      await assertNoLeaks();
    });

    it('answers VERSION exactly as runCni does, without loading the plugin', async () => {
      const deps = createCniDeps();
      for (const stdin of [
        '{"cniVersion":"1.0.0"}',
        '{"cniVersion":"0.3.1"}',
        '{"cniVersion":"9.9.9"}',
        '',
        'junk',
      ]) {
        const inProcess = await runCni({ command: 'VERSION', env: {}, stdin, plugin: 'calico' }, deps);
        assert.equal(versionAnswer(stdin), inProcess.stdout, `VERSION for stdin ${JSON.stringify(stdin)}`);
        const r = await bed.tool.plugin('calico', { CNI_COMMAND: 'VERSION', ...bed.viaAgent }, stdin);
        assert.equal(r.code, 0);
        assert.equal(r.stdout, inProcess.stdout);
      }
      await deps.close();
      assert.equal(served(agent, 'VERSION', ''), 0, 'VERSION never reaches the agent');
    });

    it('ADD and DEL through the agent answer like in-process and leave the same state', async () => {
      const [pa, pb] = [await bed.pod('same-a'), await bed.pod('same-b')];
      const [ida, idb] = [cid('same'), cid('same')];
      const inProc = await bed.tool.add(NET, pa, { containerId: ida, env: bed.inProcess });
      assert.equal(inProc.code, 0, inProc.stderr);
      assert.equal(served(agent, 'ADD', ida), 0, 'in-process ADD bypassed the agent');
      const viaAgent = await bed.tool.add(NET, pb, { containerId: idb, env: bed.viaAgent });
      assert.equal(viaAgent.code, 0, viaAgent.stderr);
      assert.equal(served(agent, 'ADD', idb), 1, 'the agent served the ADD');
      assert.deepEqual(shape(viaAgent.result), shape(inProc.result));
      const [ipa, ipb] = [await assertWired(pa, ida), await assertWired(pb, idb)];
      assert.notEqual(ipa, ipb);
      // Pods reach each other through the host (routes + proxy ARP), whoever wired them.
      await pa.must('ping', ['-n', '-c1', '-W2', ipb]);

      // Errors too: same code and message either way.
      const badA = await bed.tool.plugin(
        'calico',
        { CNI_COMMAND: 'ADD', ...bed.inProcess },
        '{"cniVersion":"1.0.0","name":"bad name!","type":"calico"}',
      );
      const badB = await bed.tool.plugin(
        'calico',
        { CNI_COMMAND: 'ADD', ...bed.viaAgent },
        '{"cniVersion":"1.0.0","name":"bad name!","type":"calico"}',
      );
      assert.equal(badA.code, 1);
      assert.equal(badB.code, 1);
      assert.deepEqual(badB.error, badA.error);

      // DEL crosswise: the agent removes what the in-process ADD made, and vice versa.
      assert.equal((await bed.tool.del(NET, pa, { containerId: ida, env: bed.viaAgent })).code, 0);
      assert.equal((await bed.tool.del(NET, pb, { containerId: idb, env: bed.inProcess })).code, 0);
      assert.equal(served(agent, 'DEL', ida), 1);
      await assertGone([pa, pb], 'after DEL');
      // DEL is idempotent through the agent as well.
      assert.equal((await bed.tool.del(NET, pa, { containerId: ida, env: bed.viaAgent })).code, 0);
    });

    it('serves concurrent ADDs and DELs: distinct addresses, everything released', async () => {
      const n = 6;
      const pods = await Promise.all(Array.from({ length: n }, (_, i) => bed.pod(`conc-${i}`)));
      const ids = pods.map(() => cid('conc'));
      const adds = await Promise.all(
        pods.map((p, i) => bed.tool.add(NET, p, { containerId: ids[i], env: bed.viaAgent })),
      );
      for (const r of adds) assert.equal(r.code, 0, r.stderr);
      const ips = await Promise.all(pods.map((p, i) => assertWired(p, ids[i])));
      assert.equal(new Set(ips).size, n, 'distinct addresses');
      for (const id of ids) assert.equal(served(agent, 'ADD', id), 1);
      const dels = await Promise.all(
        pods.map((p, i) => bed.tool.del(NET, p, { containerId: ids[i], env: bed.viaAgent })),
      );
      for (const r of dels) assert.equal(r.code, 0, r.stderr);
      await assertGone(pods, 'after concurrent DELs');
    });

    it('falls back to in-process when no agent listens at the socket path', async () => {
      const pod = await bed.pod('fallback');
      const id = cid('fall');
      const env = { CALICO_CNI_AGENT_SOCKET: join(bed.tool.dir, 'nobody-here.sock') };
      assert.equal((await bed.tool.add(NET, pod, { containerId: id, env })).code, 0);
      await assertWired(pod, id);
      assert.equal((await bed.tool.del(NET, pod, { containerId: id, env })).code, 0);
      assert.equal(served(agent, 'ADD', id), 0);
      await assertGone([pod], 'after fallback DEL');
    });

    it('refuses a plugin from another network namespace, which then runs in-process', async () => {
      // A request runCni rejects before touching anything (no CNI_CONTAINERID), sent from this
      // test's own namespace: the agent must not run it, or it would wire into the wrong host.
      const ranBefore = served(agent, 'ADD', '');
      const r = spawnSync(join(bed.tool.binDir, 'calico'), [], {
        env: {
          PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
          CNI_COMMAND: 'ADD',
          CNI_IFNAME: 'eth0',
          ...bed.viaAgent,
        },
        input: JSON.stringify({ cniVersion: '1.0.0', name: NET, ...confPlugin() }),
        encoding: 'utf8',
      });
      assert.equal(r.status, 1);
      assert.match(JSON.parse(r.stdout).msg, /CNI_CONTAINERID/);
      await until('the refusal in the agent log', () =>
        /refused calico ADD from network namespace net:\[\d+\]/.test(agent.log()),
      );
      assert.equal(served(agent, 'ADD', ''), ranBefore, 'the agent did not run it');
    });

    it('completes an ADD whose plugin process was SIGKILLed mid-request', async () => {
      const pod = await bed.pod('killed');
      const id = cid('kill');
      const marker = join(bed.tool.dir, `pause-${id}`);
      const run = startPlugin('ADD', pod, id, { ...bed.viaAgent, [PAUSE_AFTER_IPAM_ENV]: marker });
      // The agent paused the ADD right after IPAM assigned the address: kill the plugin now.
      await until('the ADD to reach its pause', () => existsSync(marker));
      run.child.kill('SIGKILL');
      assert.equal((await run.done).signal, 'SIGKILL');
      writeFileSync(`${marker}.continue`, '');
      await until('the agent to finish the ADD', () => served(agent, 'ADD', id) === 1);
      assert.match(agent.log(), new RegExp(`ADD ${id} -> 0 `), 'the ADD succeeded in the agent');
      await assertWired(pod, id);
      // The runtime saw a failure and cleans up with DEL, which finds a complete pod to remove.
      assert.equal((await bed.tool.del(NET, pod, { containerId: id, env: bed.viaAgent })).code, 0);
      await assertGone([pod], 'after DEL of the killed ADD');
    });

    it('a stale socket from a SIGKILLed agent: plugins fall back, a new agent removes it and serves', async () => {
      await agent.stop();
      const doomed = await bed.startAgent();
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      assert.ok(socketExists(bed), 'SIGKILL leaves the socket file');
      const pod = await bed.pod('stale');
      const id = cid('stale');
      const add = await bed.tool.add(NET, pod, { containerId: id, env: bed.viaAgent });
      assert.equal(add.code, 0, `ADD falls back in-process (ECONNREFUSED): ${add.stderr}`);
      await assertWired(pod, id);
      agent = await bed.startAgent();
      assert.equal((await bed.tool.del(NET, pod, { containerId: id, env: bed.viaAgent })).code, 0);
      assert.equal(served(agent, 'DEL', id), 1, 'the new agent serves on the same path');
      await assertGone([pod], 'after DEL');
    });

    it('SIGTERM with an ADD in flight: the ADD completes and is answered, the socket is removed, exit 0', async () => {
      const pod = await bed.pod('term');
      const id = cid('term');
      const marker = join(bed.tool.dir, `pause-${id}`);
      const run = startPlugin('ADD', pod, id, { ...bed.viaAgent, [PAUSE_AFTER_IPAM_ENV]: marker });
      await until('the ADD to reach its pause', () => existsSync(marker));
      const stopped = agent.stop();
      await until('the agent to start stopping', () => /SIGTERM: stopping/.test(agent.log()));
      assert.match(agent.log(), /SIGTERM: stopping \(1 request\(s\) in flight\)/);
      assert.equal(socketExists(bed), false, 'the socket goes first: new plugin runs fall back at once');
      writeFileSync(`${marker}.continue`, '');
      assert.equal(await stopped, 0);
      const r = await run.done;
      assert.equal(r.code, 0, `the plugin got the agent's answer: ${r.stdout}`);
      assert.equal((JSON.parse(r.stdout) as { ips: unknown[] }).ips.length, 1);
      assert.match(agent.log(), /stopped after \d+ request\(s\)/);
      await assertWired(pod, id);
      // With no agent, DEL runs in-process.
      assert.equal((await bed.tool.del(NET, pod, { containerId: id, env: bed.viaAgent })).code, 0);
      await assertGone([pod], 'after DEL');
    });
  },
);
