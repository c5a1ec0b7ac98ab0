/**
 * The agent's server and the thin client's transport, with stand-in handlers: framing, socket file
 * life cycle (0600, stale file, live rival), concurrency, the request timeout, clients that vanish
 * mid-request, and a stop that waits for received requests. The real runCni is in agent.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  CniAgentServer,
  encodeFrame,
  FrameReader,
  PROTOCOL_VERSION,
  tryAgent,
  type AgentRequest,
  type AgentResponse,
  type RequestHandler,
} from '../../../src/cni/agent/index.js';
import { assertNoLeaks } from '../../helpers/leaks.js';

let dir: string;
const servers: CniAgentServer[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sockPath(name = 'agent.sock'): string {
  return join(dir, name);
}

function request(command = 'ADD', id = 'c1'): AgentRequest {
  return {
    v: PROTOCOL_VERSION,
    plugin: 'calico',
    command,
    env: { CNI_COMMAND: command, CNI_CONTAINERID: id },
    stdin: '{"cniVersion":"0.4.0","name":"net"}',
  };
}

async function serve(handle: RequestHandler, opts: Partial<Parameters<typeof CniAgentServer.start>[0]> = {}) {
  const s = await CniAgentServer.start({ socketPath: sockPath(), handle, ...opts });
  servers.push(s);
  return s;
}

const echo: RequestHandler = async (req) => ({
  stdout: `${req.command} ${req.env.CNI_CONTAINERID}`,
  exitCode: 0,
});

/** A socket file nobody listens on: what a SIGKILLed agent leaves. */
async function staleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(path)}, () => process.stdout.write('up'))`,
  ]);
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(existsSync(path));
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'calico-ts-agent-test-'));
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop(2000);
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await assertNoLeaks();
});

for (const transport of ['raw', 'net'] as const) {
  describe(`agent server: ${transport} transport`, () => {
    it('answers a framed request and the thin client returns the answer', async () => {
      await serve(echo);
      const r = await tryAgent(request('ADD', 'abc'), { socketPath: sockPath(), transport });
      assert.deepEqual(r, { stdout: 'ADD abc', exitCode: 0 });
    });

    it('carries large stdin and answers intact (frames split across reads)', async () => {
      await serve(async (req) => ({ stdout: req.stdin, exitCode: 3, stderr: 'log line\n' }));
      const big = JSON.stringify({ cniVersion: '1.0.0', name: 'n', blob: 'x'.repeat(1 << 20) });
      const r = await tryAgent({ ...request(), stdin: big }, { socketPath: sockPath(), transport });
      assert.equal(r?.stdout, big);
      assert.equal(r?.exitCode, 3);
      assert.equal(r?.stderr, 'log line\n');
    });

    it('reports "no agent" (undefined) when the socket does not exist or nobody listens', async () => {
      assert.equal(await tryAgent(request(), { socketPath: join(dir, 'absent.sock'), transport }), undefined);
      const stale = join(dir, 'stale-client.sock');
      await staleSocket(stale);
      assert.equal(await tryAgent(request(), { socketPath: stale, transport }), undefined);
      rmSync(stale);
    });

    it('turns a connection closed before the answer into a CNI error, never "no agent"', async () => {
      const path = join(dir, 'rude.sock');
      const rude = net.createServer((c) => c.once('data', () => c.destroy()));
      await new Promise<void>((r) => rude.listen(path, r));
      try {
        const r = await tryAgent(request(), { socketPath: path, transport });
        assert.ok(r);
        assert.equal(r.exitCode, 1);
        const err = JSON.parse(r.stdout) as { cniVersion: string; code: number; msg: string };
        assert.equal(err.cniVersion, '0.4.0');
        assert.equal(err.code, 999);
        assert.match(err.msg, /closed the connection before answering|did not answer: ECONNRESET/);
      } finally {
        await new Promise((r) => rude.close(r));
      }
    });

    it('drops malformed and oversized frames without disturbing other requests', async () => {
      await serve(echo);
      const junk = async (bytes: Buffer) => {
        const c = net.connect(sockPath());
        await new Promise((r) => c.once('connect', r));
        c.write(bytes);
        await new Promise((r) => c.once('close', r));
      };
      await junk(encodeFrame({ hello: 'world' }));
      const huge = Buffer.alloc(4);
      huge.writeUInt32BE(0xffffffff, 0);
      await junk(huge);
      const bad = Buffer.from('\u0000\u0000\u0000\u0003{x}');
      await junk(bad);
      assert.deepEqual(await tryAgent(request('DEL', 'ok'), { socketPath: sockPath(), transport }), {
        stdout: 'DEL ok',
        exitCode: 0,
      });
    });

    it('gives up after its own timeout with a CNI error', async () => {
      await serve(() => new Promise(() => undefined), { requestTimeoutMs: 300, abortGraceMs: 10 });
      const r = await tryAgent(request(), { socketPath: sockPath(), transport, timeoutMs: 150 });
      assert.equal(r?.exitCode, 1);
      assert.match(JSON.parse(r!.stdout).msg, /did not answer: no answer within 150 ms/);
    });

    it('closes a connection that never sends its request (read timeout)', async () => {
      await serve(echo, { readTimeoutMs: 100 });
      const c = net.connect(sockPath());
      const t0 = Date.now();
      await new Promise((r) => c.once('close', r));
      assert.ok(Date.now() - t0 < 2000);
    });
  });
}

describe('agent server: socket file', () => {
  it('binds the socket with mode 0600 and removes it on stop', async () => {
    const s = await serve(echo);
    assert.equal(statSync(sockPath()).mode & 0o777, 0o600);
    await s.stop();
    assert.equal(existsSync(sockPath()), false);
  });

  it('removes a stale socket file left by a killed agent and starts', async () => {
    await staleSocket(sockPath());
    await serve(echo);
    assert.equal((await tryAgent(request(), { socketPath: sockPath() }))?.exitCode, 0);
  });

  it('refuses to start while another agent listens, and leaves its socket alone', async () => {
    await serve(echo);
    await assert.rejects(CniAgentServer.start({ socketPath: sockPath(), handle: echo }), /already listening/);
    assert.equal((await tryAgent(request(), { socketPath: sockPath() }))?.exitCode, 0);
  });

  it('refuses a path that is not a socket', async () => {
    const file = join(dir, 'regular');
    writeFileSync(file, 'x');
    await assert.rejects(CniAgentServer.start({ socketPath: file, handle: echo }), /is not a socket/);
    assert.ok(existsSync(file));
    rmSync(file);
  });

  it('creates the socket directory', async () => {
    const path = join(dir, 'run', 'calico', 'cni-agent.sock');
    const s = await CniAgentServer.start({ socketPath: path, handle: echo });
    servers.push(s);
    assert.equal((await tryAgent(request(), { socketPath: path }))?.exitCode, 0);
  });
});

describe('agent server: requests', () => {
  it('runs requests concurrently', async () => {
    await serve(async (req) => {
      await sleep(200);
      return { stdout: req.env.CNI_CONTAINERID, exitCode: 0 };
    });
    const t0 = Date.now();
    const ids = Array.from({ length: 8 }, (_, i) => `c${i}`);
    const answers = await Promise.all(
      ids.map((id) => tryAgent(request('ADD', id), { socketPath: sockPath() })),
    );
    assert.deepEqual(
      answers.map((a) => a?.stdout),
      ids,
    );
    assert.ok(Date.now() - t0 < 1000, `8 requests of 200 ms took ${Date.now() - t0} ms`);
  });

  it('runs at most maxConcurrent at once, the rest in order', async () => {
    let running = 0;
    let peak = 0;
    await serve(
      async () => {
        peak = Math.max(peak, ++running);
        await sleep(50);
        running--;
        return { stdout: '', exitCode: 0 };
      },
      { maxConcurrent: 2 },
    );
    await Promise.all(Array.from({ length: 6 }, () => tryAgent(request(), { socketPath: sockPath() })));
    assert.equal(peak, 2);
  });

  it('times a stuck request out with a CNI error after aborting it', async () => {
    let sawAbort = false;
    await serve(
      (_req, signal) =>
        new Promise<AgentResponse>((resolve) => {
          signal.addEventListener('abort', () => {
            sawAbort = true;
            // a handler that rolls back and reports its own error within the grace period
            setTimeout(() => resolve({ stdout: '{"code":11,"msg":"rolled back"}', exitCode: 1 }), 50);
          });
        }),
      { requestTimeoutMs: 200, abortGraceMs: 1000 },
    );
    const r = await tryAgent(request(), { socketPath: sockPath() });
    assert.ok(sawAbort);
    assert.deepEqual(r, { stdout: '{"code":11,"msg":"rolled back"}', exitCode: 1 });
  });

  it('answers with its own timeout error when the handler ignores the abort', async () => {
    let release: () => void = () => undefined;
    const s = await serve(
      () =>
        new Promise<AgentResponse>((resolve) => {
          release = () => resolve({ stdout: 'late', exitCode: 0 });
        }),
      { requestTimeoutMs: 100, abortGraceMs: 100 },
    );
    const r = await tryAgent(request('ADD'), { socketPath: sockPath() });
    assert.equal(r?.exitCode, 1);
    const err = JSON.parse(r!.stdout) as { code: number; msg: string };
    assert.equal(err.code, 999);
    assert.match(err.msg, /ADD timed out after 100 ms/);
    assert.equal(s.pending, 1, 'the stuck request is still tracked');
    release();
    await sleep(20);
    assert.equal(s.pending, 0);
  });

  it('reports a handler that throws as a CNI error', async () => {
    await serve(async () => {
      throw new Error('boom');
    });
    const r = await tryAgent(request(), { socketPath: sockPath() });
    assert.equal(r?.exitCode, 1);
    assert.match(JSON.parse(r!.stdout).msg, /boom/);
  });

  it('refuses a request from another network namespace: not run, the plugin runs it itself', async () => {
    let ran = 0;
    await serve(
      async () => {
        ran++;
        return { stdout: 'ran', exitCode: 0 };
      },
      { netns: 'net:[4026531840]' },
    );
    assert.equal(
      await tryAgent({ ...request(), netns: 'net:[4026532999]' }, { socketPath: sockPath() }),
      undefined,
    );
    assert.equal(ran, 0);
    // Same namespace, or a plugin that does not say: served.
    assert.equal(
      (await tryAgent({ ...request(), netns: 'net:[4026531840]' }, { socketPath: sockPath() }))?.stdout,
      'ran',
    );
    assert.equal((await tryAgent(request(), { socketPath: sockPath() }))?.stdout, 'ran');
  });

  it('finishes a request whose client went away (no abort, no crash)', async () => {
    let finished = false;
    let aborted = false;
    await serve(async (req, signal) => {
      signal.addEventListener('abort', () => (aborted = true));
      await sleep(300);
      finished = true;
      return { stdout: req.command, exitCode: 0 };
    });
    const c = net.connect(sockPath());
    await new Promise((r) => c.once('connect', r));
    c.write(encodeFrame(request()));
    await sleep(50);
    c.destroy();
    await sleep(400);
    assert.ok(finished);
    assert.equal(aborted, false);
    assert.equal((await tryAgent(request('DEL'), { socketPath: sockPath() }))?.stdout, 'DEL');
  });

  it('while stopping, refuses a request on an already-open connection (its plugin runs it)', async () => {
    let ran = 0;
    const s = await serve(async () => {
      ran++;
      await sleep(200);
      return { stdout: 'done', exitCode: 0 };
    });
    const first = tryAgent(request('ADD', 'first'), { socketPath: sockPath() });
    await sleep(50);
    // Connected before the stop, request sent after it began.
    const late = net.connect(sockPath());
    await new Promise((r) => late.once('connect', r));
    const stopped = s.stop();
    const reader = new FrameReader();
    const answer = new Promise<unknown>((resolve) => late.on('data', (c: Buffer) => resolve(reader.push(c))));
    late.end(encodeFrame(request('ADD', 'late')));
    assert.deepEqual(await answer, { stdout: '', exitCode: 1, refused: 'while stopping' });
    late.destroy();
    assert.equal((await first)?.stdout, 'done');
    await stopped;
    assert.equal(ran, 1);
  });

  it('stop() waits for received requests, answers them, then runs onStop', async () => {
    const events: string[] = [];
    const s = await serve(
      async () => {
        await sleep(300);
        events.push('handled');
        return { stdout: 'done', exitCode: 0 };
      },
      { onStop: async () => void events.push('onStop') },
    );
    const pending = tryAgent(request(), { socketPath: sockPath() });
    await sleep(50);
    const stopped = s.stop();
    // New plugin runs find no socket at once and fall back to in-process.
    await sleep(10);
    assert.equal(existsSync(sockPath()), false);
    assert.equal(await tryAgent(request(), { socketPath: sockPath() }), undefined);
    assert.equal((await pending)?.stdout, 'done');
    await stopped;
    assert.deepEqual(events, ['handled', 'onStop']);
  });
});
