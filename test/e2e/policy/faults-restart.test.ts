/**
 * calico-node restarted under traffic, in the real kernel. On host h2, pod a keeps one TCP
 * connection to pod b open (allowed by policy), sending a line every 100 ms and timing b's echoes;
 * pods c (on h1) and d (on h2, beside b) open a new connection to b every 100 ms (denied). Then
 * h2's calico-node is SIGKILLed, stays down for a while, and is started again. The established
 * flow never stalls for more than a second, and not one denied connection succeeds; afterwards the
 * node is healthy and the policy still in force.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LabNames } from '../../../src/lab/names.js';
import { killCalicoNode, startHostNode } from '../../../src/lab/node-restart.js';
import { assertNoLeaks } from '../../helpers/leaks.js';
import {
  assertLabGone,
  calico,
  CalicoLab,
  eventually,
  nsStart,
  podManifest,
  policySkip,
  runLab,
  onIptables,
  sleep,
  switchToIptables,
  waitOutput,
  type Bg,
  type LabPod,
} from './fixtures/calico-lab.js';

const lab = new CalicoLab('ka6');
const skip = policySkip();
const ECHO_PORT = 7000;
const DOWN_MS = 4000;

const POLICY = calico(
  'NetworkPolicy',
  { name: 'allow-a-to-b', namespace: 'default' },
  {
    selector: "app == 'b'",
    types: ['Ingress'],
    ingress: [
      {
        action: 'Allow',
        protocol: 'TCP',
        source: { selector: "app == 'a'" },
        destination: { ports: [80, ECHO_PORT] },
      },
    ],
  },
);

/** In b: echoes every line back on the same connection. */
const ECHO_SERVER = `
require('net').createServer((c) => { c.on('error', () => {}); c.pipe(c); })
  .listen(Number(process.argv[1]), '0.0.0.0', () => console.log('listening'));
process.on('SIGTERM', () => process.exit(0));`;

/**
 * In a: one connection, a numbered line every 100 ms; on SIGTERM prints what it saw as JSON. The
 * largest gap between echoes (and before the first, and after the last) is what the test checks.
 */
const FLOW_CLIENT = `
const [host, port] = [process.argv[1], Number(process.argv[2])];
const s = require('net').connect({ host, port });
const r = { sent: 0, received: 0, maxGapMs: 0, error: null, closed: false };
let last = Date.now(), buf = '', timer;
const gap = () => { const now = Date.now(); r.maxGapMs = Math.max(r.maxGapMs, now - last); last = now; };
s.on('connect', () => { console.log('connected'); last = Date.now();
  timer = setInterval(() => { s.write(++r.sent + '\\n'); }, 100); });
s.on('data', (d) => { buf += d; const lines = buf.split('\\n'); buf = lines.pop();
  for (const l of lines) if (l) { r.received++; gap(); } });
s.on('error', (e) => { r.error = e.code || e.message; });
s.on('close', () => { r.closed = true; clearInterval(timer); });
process.on('SIGTERM', () => { clearInterval(timer); if (!r.closed) gap();
  process.stdout.write(JSON.stringify(r) + '\\n', () => process.exit(0)); });`;

/** In c and d: a new connection every 100 ms (each given 1 s); on SIGTERM prints the counts. */
const PROBER = `
const [host, port] = [process.argv[1], Number(process.argv[2])];
const r = { attempts: 0, connected: 0, refused: 0, timedOut: 0, firstConnectAt: null };
const start = Date.now();
const one = () => { r.attempts++; const s = require('net').connect({ host, port });
  const t = setTimeout(() => { r.timedOut++; s.destroy(); }, 1000);
  s.on('connect', () => { r.connected++; if (r.firstConnectAt === null) r.firstConnectAt = Date.now() - start;
    clearTimeout(t); s.destroy(); });
  s.on('error', (e) => { clearTimeout(t); if (e.code === 'ECONNREFUSED') r.refused++; }); };
const timer = setInterval(one, 100); one();
process.on('SIGTERM', () => { clearInterval(timer);
  process.stdout.write(JSON.stringify(r) + '\\n', () => process.exit(0)); });`;

interface FlowResult {
  sent: number;
  received: number;
  maxGapMs: number;
  error: string | null;
  closed: boolean;
}

interface ProbeCounts {
  attempts: number;
  connected: number;
  refused: number;
  timedOut: number;
  firstConnectAt: number | null;
}

async function stopForJson<T>(bg: Bg): Promise<T> {
  await bg.stop('SIGTERM');
  const line = bg.out().trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`no result: ${bg.out()} ${bg.err()}`);
  }
}

describe(
  'Calico policy faults: calico-node SIGKILLed and restarted under traffic',
  { skip, timeout: 900_000 },
  () => {
    const names = new LabNames(lab.name);
    const bgs: Bg[] = [];
    let a: LabPod;
    let b: LabPod;
    let c: LabPod;
    let d: LabPod;

    const start = (pod: LabPod, script: string, ...args: string[]): Bg => {
      const bg = nsStart(pod.netns, process.execPath, ['-e', script, ...args]);
      bgs.push(bg);
      return bg;
    };

    before(async () => {
      await lab.up(2);
      await lab.apply(
        podManifest('a', '2', { app: 'a' }),
        podManifest('b', '2', { app: 'b' }),
        podManifest('c', '1', { app: 'c' }),
        podManifest('d', '2', { app: 'd' }),
      );
      [a, b, c, d] = await Promise.all(
        ['default/a', 'default/b', 'default/c', 'default/d'].map((p) => lab.pod(p)),
      );
      await lab.apply(POLICY);
      await eventually('policy in force', async () => {
        const [ab, cb, db] = await Promise.all([
          lab.probe(a, b.ip, 80),
          lab.probe(c, b.ip, 80, 'tcp', 500),
          lab.probe(d, b.ip, 80, 'tcp', 500),
        ]);
        return (ab && !cb && !db) || JSON.stringify({ ab, cb, db });
      });
      await waitOutput(start(b, ECHO_SERVER, String(ECHO_PORT)), /listening/);
    });

    after(async () => {
      for (const bg of bgs) await bg.stop('SIGKILL');
      await lab.down();
      assertLabGone(lab.name);
      await assertNoLeaks();
    });

    it('the probers see an allowed target (a → b:80 connects every time)', async () => {
      const p = start(a, PROBER, b.ip, '80');
      await sleep(1500);
      const r = await stopForJson<ProbeCounts>(p);
      assert.ok(r.attempts >= 10 && r.connected >= r.attempts - 1, JSON.stringify(r));
    });

    /** The flow and the probers through a SIGKILL, a pause and a restart of b's calico-node. */
    const restartUnderTraffic = async (backend: string): Promise<void> => {
      const flow = start(a, FLOW_CLIENT, b.ip, String(ECHO_PORT));
      await waitOutput(flow, /connected/);
      const probers = [start(c, PROBER, b.ip, '80'), start(d, PROBER, b.ip, '80')];
      await sleep(2000);
      const killed = await killCalicoNode(names, '2');
      await sleep(DOWN_MS);
      // Nothing reprograms the kernel meanwhile: the verdicts are the kernel's alone.
      const t0 = Date.now();
      const pid = await startHostNode(names, '2', { probes: ['felix-ready'], readyTimeoutMs: 90_000 });
      const readyMs = Date.now() - t0;
      assert.notEqual(pid, killed);
      // Traffic through the new Felix's first passes.
      await sleep(5000);
      const r = await stopForJson<FlowResult>(flow);
      const counts = await Promise.all(probers.map((p) => stopForJson<ProbeCounts>(p)));
      console.log(
        `# ${backend} restart: ready after ${readyMs} ms; flow ${JSON.stringify(r)}; probers ${JSON.stringify(counts)}`,
      );
      assert.equal(r.error, null, `the established flow failed: ${JSON.stringify(r)}`);
      assert.equal(r.closed, false, 'the established connection was closed');
      assert.ok(r.sent >= 50, JSON.stringify(r));
      assert.ok(r.received >= r.sent - 3, `echoes lost: ${JSON.stringify(r)}`);
      assert.ok(r.maxGapMs <= 1000, `the flow stalled for ${r.maxGapMs} ms`);
      for (const [i, p] of counts.entries()) {
        assert.ok(p.attempts >= 50, JSON.stringify(p));
        assert.equal(
          p.connected,
          0,
          `${['c', 'd'][i]} → b:80 connected during the restart: ${JSON.stringify(p)}`,
        );
      }
    };

    for (const backend of ['nftables', 'iptables']) {
      if (backend === 'iptables') {
        it('switches to iptables', async (t) => {
          // calico-tiers.test.ts asserts the switch through `default` alone; here only the restart matters.
          const problem = await switchToIptables(lab, [1, 2]);
          if (problem) t.diagnostic(`switch: ${problem}`);
          for (const h of [1, 2]) assert.equal(await onIptables(lab, h), true);
        });
      }
      it(`${backend}: kill -9, a pause, and a restart of b’s calico-node: the flow never stalls, no denied connection`, () =>
        restartUnderTraffic(backend));
    }

    it('afterwards the lab is healthy and the policy still in force', async () => {
      await eventually(
        'calico-lab status exits 0',
        async () => {
          const s = await runLab(['status', ...lab.flag]);
          return s.code === 0 || s.stdout.split('\n').slice(0, 6).join(' | ');
        },
        120_000,
        2000,
      );
      assert.equal(await lab.probeCli('default/a', 'default/b', 80), true);
      assert.equal(await lab.probeCli('default/c', 'default/b', 80), false);
      assert.equal(await lab.probeCli('default/d', 'default/b', 81), false);
    });
  },
);
