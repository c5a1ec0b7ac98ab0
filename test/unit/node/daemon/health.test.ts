import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FelixStatus } from '../../../../src/felix/felix.js';
import type { BirdProtocol } from '../../../../src/confd/index.js';
import { aggregate, evaluateHealth, type HealthReporter } from '../../../../src/node/health/aggregate.js';
import { birdReadiness, checkBird } from '../../../../src/node/health/bird-reporter.js';
import { felixReporters } from '../../../../src/node/health/felix-reporters.js';
import { healthAnswer, startHealthServer } from '../../../../src/node/health/server.js';

function status(over: Partial<FelixStatus> = {}): FelixStatus {
  return {
    synced: true,
    ready: true,
    passes: 3,
    failures: 0,
    lastApplyAt: new Date(1_000_000).toISOString(),
    lastApplyMs: 12,
    lastChanges: 0,
    routes: 2,
    vteps: 1,
    hosts: 2,
    endpoints: 0,
    waiting: [],
    notes: [],
    errors: [],
    ...over,
  };
}

function reporter(
  name: string,
  report: { live?: boolean; ready?: boolean },
  live = true,
  ready = true,
): HealthReporter {
  return { name, reportsLive: live, reportsReady: ready, check: () => report };
}

function proto(name: string, state: string, info: string): BirdProtocol {
  return { name, proto: 'BGP', table: '---', state, since: '10:00:00', info };
}

describe('readiness aggregation', () => {
  it('no reporters: live and ready', () => {
    assert.deepEqual(aggregate([]), { live: true, ready: true, reporters: [] });
  });

  it('every taking-part reporter must be good; others are ignored', async () => {
    const s = await evaluateHealth([
      reporter('a', { live: true, ready: true }),
      reporter('b', { live: true, ready: false }),
      reporter('c', { ready: false }, true, false),
    ]);
    assert.equal(s.live, false, 'c reports liveness but said nothing: not live');
    assert.equal(s.ready, false);
    assert.deepEqual(
      s.reporters.map((r) => [r.name, r.live, r.ready]),
      [
        ['a', true, true],
        ['b', true, false],
        ['c', false, null],
      ],
    );
    const ok = await evaluateHealth([
      reporter('a', { live: true, ready: true }),
      reporter('l', { live: true }, true, false),
    ]);
    assert.deepEqual([ok.live, ok.ready], [true, true]);
  });

  it('a reporter that throws or hangs fails both, with the reason as detail', async () => {
    const s = await evaluateHealth(
      [
        {
          name: 'throws',
          reportsLive: true,
          reportsReady: true,
          check: () => Promise.reject(new Error('no socket')),
        },
        { name: 'hangs', reportsLive: true, reportsReady: true, check: () => new Promise(() => undefined) },
      ],
      50,
    );
    assert.deepEqual(
      s.reporters.map((r) => [r.name, r.live, r.ready, r.detail]),
      [
        ['throws', false, false, 'no socket'],
        ['hangs', false, false, 'no answer within 50 ms'],
      ],
    );
  });

  it('HTTP answers: 200 when good, 503 when not, JSON body', () => {
    const sum = aggregate([
      { name: 'bird', live: true, ready: false, detail: '0/1 BGP sessions established' },
    ]);
    const live = healthAnswer('/liveness', sum);
    const ready = healthAnswer('/readiness', sum);
    assert.equal(live.status, 200);
    assert.equal(ready.status, 503);
    assert.equal(ready.contentType, 'application/json');
    assert.deepEqual(JSON.parse(ready.body), sum);
  });
});

describe('Felix reporters', () => {
  const now = () => 1_000_000 + 5000;
  const states = async (s: FelixStatus | undefined) =>
    (
      await evaluateHealth(felixReporters({ status: () => s }, { now, livenessTimeoutMs: 60_000 }))
    ).reporters.map((r) => [r.name, r.live, r.ready]);

  it('"calc graph" is ready once synced, "int_dataplane" after a clean pass', async () => {
    assert.deepEqual(await states(status()), [
      ['calc graph', true, true],
      ['int_dataplane', true, true],
    ]);
    assert.deepEqual(await states(status({ synced: false, ready: false, lastApplyAt: undefined })), [
      ['calc graph', true, false],
      ['int_dataplane', true, false],
    ]);
  });

  it('driver errors make the dataplane not ready; a stale last pass makes it not live', async () => {
    assert.deepEqual(
      await states(status({ errors: [{ driver: 'routes', message: 'RTNETLINK answers: File exists' }] })),
      [
        ['calc graph', true, true],
        ['int_dataplane', true, false],
      ],
    );
    assert.deepEqual(await states(status({ lastApplyAt: new Date(1_000_000 - 120_000).toISOString() })), [
      ['calc graph', true, true],
      ['int_dataplane', false, true],
    ]);
  });

  it('no Felix (restarting): neither live nor ready', async () => {
    assert.deepEqual(await states(undefined), [
      ['calc graph', false, false],
      ['int_dataplane', false, false],
    ]);
  });
});

describe('BIRD reporter', () => {
  it('ready when every confd session is Established; other protocols do not count', () => {
    assert.deepEqual(
      birdReadiness([
        proto('Mesh_198_51_100_12', 'up', 'Established'),
        proto('Node_198_51_100_1', 'up', 'Established'),
        { name: 'kernel1', proto: 'Kernel', table: 'master4', state: 'up', since: 'x', info: '' },
        { name: 'bgp_other', proto: 'BGP', table: '---', state: 'start', since: 'x', info: 'Active' },
      ]),
      { ready: true, detail: '2/2 BGP sessions established' },
    );
    assert.deepEqual(birdReadiness([]), { ready: true, detail: '0/0 BGP sessions established' });
  });

  it('names the sessions that are not established', () => {
    const r = birdReadiness([
      proto('Mesh_198_51_100_12', 'up', 'Established'),
      proto('Mesh_198_51_100_13', 'start', 'Connect'),
    ]);
    assert.equal(r.ready, false);
    assert.equal(r.detail, '1/2 BGP sessions established; not established: 198.51.100.13 (start Connect)');
  });

  it('before the first configuration: live, not ready; no socket: neither', async () => {
    assert.deepEqual(await checkBird({ socketPath: '/nonexistent/bird.ctl', configured: () => false }), {
      live: true,
      ready: false,
      detail: 'waiting for the first configuration',
    });
    const r = await checkBird({
      socketPath: '/nonexistent/bird.ctl',
      configured: () => true,
      timeoutMs: 200,
    });
    assert.deepEqual([r.live, r.ready], [false, false]);
    assert.match(r.detail ?? '', /BIRD does not answer on \/nonexistent\/bird.ctl/);
  });
});

describe('health server', () => {
  it('serves /liveness and /readiness on a free port and closes cleanly', async () => {
    let ready = false;
    const srv = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      reporters: () => [
        { name: 'x', reportsLive: true, reportsReady: true, check: () => ({ live: true, ready }) },
      ],
    });
    try {
      const base = `http://127.0.0.1:${srv.port}`;
      assert.equal((await fetch(`${base}/liveness`)).status, 200);
      const r = await fetch(`${base}/readiness`);
      assert.equal(r.status, 503);
      assert.deepEqual(((await r.json()) as { reporters: unknown[] }).reporters, [
        { name: 'x', live: true, ready: false },
      ]);
      ready = true;
      assert.equal((await fetch(`${base}/readiness`)).status, 200);
      assert.equal((await fetch(`${base}/other`)).status, 404);
      assert.equal((await fetch(`${base}/readiness`, { method: 'POST' })).status, 405);
    } finally {
      await srv.close();
    }
  });
});
