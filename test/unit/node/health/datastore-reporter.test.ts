/** The "datastore" readiness reporter against a backend whose reads succeed, fail or hang on demand. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDatastoreMonitor } from '../../../../src/node/health/datastore-reporter.js';
import type { KV } from '../../../../src/datastore/index.js';

type Mode = 'ok' | 'fail' | 'hang';

function fakeBackend() {
  const b = {
    mode: 'ok' as Mode,
    reads: 0,
    hanging: [] as (() => void)[],
    get(): Promise<KV | undefined> {
      b.reads++;
      if (b.mode === 'ok') return Promise.resolve(undefined);
      if (b.mode === 'fail') return Promise.reject(new Error('connect ECONNREFUSED'));
      return new Promise((resolve) => b.hanging.push(() => resolve(undefined)));
    },
  };
  return b;
}

function logSink() {
  const lines: string[] = [];
  const log = {
    warn: (m: string) => lines.push(`warn ${m}`),
    info: (m: string) => lines.push(`info ${m}`),
  };
  return { lines, log: log as never };
}

describe('datastore readiness reporter', () => {
  it('ready while reads succeed; not ready with the reason after a failed read; ready again after', async () => {
    const b = fakeBackend();
    const { lines, log } = logSink();
    let t = 1_000_000;
    const m = startDatastoreMonitor({ backend: b, log, intervalMs: 60_000, now: () => t });
    try {
      await m.probe();
      assert.deepEqual(m.state(), { ready: true, detail: 'reachable' });
      assert.equal(m.reporter.reportsLive, false);
      b.mode = 'fail';
      await m.probe();
      t += 3000;
      assert.deepEqual(m.state(), {
        ready: false,
        detail: 'unreachable for 3 s: connect ECONNREFUSED',
      });
      await m.probe(); // a second failure: still counted from the first
      t += 2000;
      assert.match(String(m.state().detail), /^unreachable for 5 s/);
      b.mode = 'ok';
      await m.probe();
      assert.deepEqual(m.state(), { ready: true, detail: 'reachable' });
      assert.deepEqual(lines, [
        'warn datastore unreachable: connect ECONNREFUSED; calico-node is not ready until it answers',
        'info datastore reachable again after 5 s',
      ]);
    } finally {
      m.stop();
    }
  });

  it('a read that hangs fails after timeoutMs and is not doubled while it hangs', async () => {
    const b = fakeBackend();
    const m = startDatastoreMonitor({ backend: b, intervalMs: 60_000, timeoutMs: 50 });
    try {
      await m.probe();
      b.mode = 'hang';
      const readsBefore = b.reads;
      await m.probe();
      assert.equal(m.state().ready, false);
      assert.match(String(m.state().detail), /no answer within 50 ms/);
      await m.probe(); // the hanging read is still out: no second read
      assert.equal(b.reads, readsBefore + 1);
      b.mode = 'ok';
      for (const release of b.hanging.splice(0)) release();
      await new Promise((r) => setTimeout(r, 10));
      await m.probe();
      assert.equal(m.state().ready, true);
    } finally {
      m.stop();
    }
  });
});
