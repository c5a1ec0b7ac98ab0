/**
 * `calico-node -felix-ready | -felix-live | -bird-ready | -bird-live` for exec probes: Felix's
 * checks ask the running daemon's health endpoint; BIRD's ask BIRD on its control socket. Exit 0
 * when every requested check passes; otherwise 1 with one line per failure on stderr.
 */
import { checkBird } from '../health/bird-reporter.js';
import type { HealthSummary } from '../health/aggregate.js';
import type { LogSink } from '../log.js';
import type { ProbeCheck } from './mode.js';
import { resolvePaths } from './paths.js';
import { parseDaemonSettings } from './settings.js';

async function askHealth(url: string): Promise<{ ok: boolean; why: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    let why = `HTTP ${res.status}`;
    try {
      const s = JSON.parse(text) as HealthSummary;
      const bad = s.reporters.filter((r) => r.ready === false || r.live === false);
      if (bad.length) why = bad.map((r) => `${r.name}: ${r.detail ?? 'not good'}`).join('; ');
    } catch {
      // not our JSON: the status says enough
    }
    return { ok: res.status === 200, why };
  } catch (e) {
    return { ok: false, why: `cannot reach ${url}: ${e instanceof Error ? e.message : String(e)}` };
  }
}

export async function runProbes(
  checks: readonly ProbeCheck[],
  env: NodeJS.ProcessEnv,
  err: LogSink,
): Promise<number> {
  const settings = parseDaemonSettings(env);
  const paths = resolvePaths(env);
  const host =
    settings.health.host === 'localhost' || settings.health.host === '' ? '127.0.0.1' : settings.health.host;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${settings.health.port}`;
  let failed = 0;
  for (const c of checks) {
    let ok: boolean;
    let why: string;
    if (c === 'felix-ready' || c === 'felix-live') {
      ({ ok, why } = await askHealth(`${base}/${c === 'felix-ready' ? 'readiness' : 'liveness'}`));
    } else {
      const r = await checkBird({ socketPath: paths.birdSocket, configured: () => true });
      ok = c === 'bird-ready' ? r.ready === true : r.live === true;
      why = r.detail ?? '';
    }
    if (!ok) {
      failed++;
      const what = c.startsWith('felix') ? 'Felix' : 'BIRD';
      err.write(`calico/node is not ${c.endsWith('ready') ? 'ready' : 'live'}: ${what}: ${why}\n`);
    }
  }
  return failed ? 1 : 0;
}
