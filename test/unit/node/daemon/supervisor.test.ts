import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../../src/node/log.js';
import { Supervisor, type RunningComponent } from '../../../../src/node/daemon/supervisor.js';

function memory(): { lines: Record<string, unknown>[]; write(s: string): boolean } {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    write(s: string) {
      for (const l of s.split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      return true;
    },
  };
}

/** A component whose runs can be failed from the test. */
function fakeComponent() {
  const runs: { fail: (e: Error) => void; stopped: boolean }[] = [];
  let startFailures = 0;
  return {
    runs,
    failNextStarts(n: number) {
      startFailures = n;
    },
    start: async (): Promise<RunningComponent> => {
      if (startFailures > 0) {
        startFailures--;
        throw new Error('cannot bind');
      }
      let fail: (e: Error) => void = () => undefined;
      const failed = new Promise<Error>((r) => (fail = r));
      const run = { fail, stopped: false };
      runs.push(run);
      return {
        failed,
        stop: async () => {
          run.stopped = true;
        },
      };
    },
  };
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Supervisor', () => {
  it('restarts a failed component after a backoff, logging why, and stops it at the end', async () => {
    const out = memory();
    const c = fakeComponent();
    const s = new Supervisor({
      name: 'thing',
      start: c.start,
      log: createLogger('test', 'debug', out),
      backoff: { initialMs: 20, maxMs: 40 },
    });
    await s.start();
    assert.equal(s.state, 'running');
    c.runs[0].fail(new Error('boom'));
    await until(() => c.runs.length === 2 && s.state === 'running');
    assert.equal(c.runs[0].stopped, true, 'the failed run was stopped before the restart');
    assert.equal(s.restarts, 1);
    assert.ok(
      out.lines.some(
        (l) => l.level === 'error' && l.msg === 'thing failed: boom; stopping it before a restart',
      ),
    );
    await s.stop();
    assert.equal(c.runs[1].stopped, true);
    assert.equal(s.state, 'stopped');
  });

  it('retries a start that throws, with a growing delay', async () => {
    const out = memory();
    const c = fakeComponent();
    c.failNextStarts(3);
    const s = new Supervisor({
      name: 'thing',
      start: c.start,
      log: createLogger('test', 'info', out),
      backoff: { initialMs: 10, maxMs: 1000 },
    });
    await s.start();
    await until(() => s.state === 'running', 3000);
    const delays = out.lines
      .map((l) => /restarting in (\d+) ms/.exec(String(l.msg)))
      .filter((m) => m)
      .map((m) => Number(m![1]));
    assert.deepEqual(delays, [10, 20, 40]);
    await s.stop();
  });

  it('stop() during a backoff ends at once without another start', async () => {
    const c = fakeComponent();
    c.failNextStarts(1);
    const s = new Supervisor({
      name: 'thing',
      start: c.start,
      log: createLogger('test', 'error', memory()),
      backoff: { initialMs: 60_000 },
    });
    await s.start();
    assert.equal(s.state, 'backoff');
    const t = Date.now();
    await s.stop();
    assert.ok(Date.now() - t < 1000);
    assert.equal(c.runs.length, 0);
  });
});
