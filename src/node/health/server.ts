/**
 * Felix's health endpoints: GET /liveness and /readiness answer 200 when every reporter taking part
 * is good and 503 otherwise, with a small JSON body naming each reporter and its state (Felix
 * prints a text table; JSON is easier for probes and tests to read).
 */
import { evaluateHealth, type HealthReporter, type HealthSummary } from './aggregate.js';
import { listenHttp, type HttpAnswer, type Listening } from './http.js';

export interface HealthServerOptions {
  host: string;
  port: number;
  /** The current reporters (components come and go while they restart). */
  reporters: () => readonly HealthReporter[];
  checkTimeoutMs?: number;
}

export function healthAnswer(path: string, summary: HealthSummary): HttpAnswer {
  const good = path === '/liveness' ? summary.live : summary.ready;
  return {
    status: good ? 200 : 503,
    contentType: 'application/json',
    body: `${JSON.stringify(summary)}\n`,
  };
}

export async function startHealthServer(opts: HealthServerOptions): Promise<Listening> {
  return listenHttp(opts.host, opts.port, async (path) => {
    if (path !== '/liveness' && path !== '/readiness') {
      return { status: 404, contentType: 'text/plain', body: 'try /liveness or /readiness\n' };
    }
    return healthAnswer(path, await evaluateHealth(opts.reporters(), opts.checkTimeoutMs));
  });
}
