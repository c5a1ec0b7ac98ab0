/** GET /metrics in Prometheus' text format (Felix's PrometheusMetricsHost/Port). */
import { listenHttp, type Listening } from '../health/http.js';

/** What the endpoint serves: a prom-client Registry fits, or a wrapper that samples first. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export async function startMetricsServer(
  host: string,
  port: number,
  source: MetricsSource,
): Promise<Listening> {
  return listenHttp(host, port, async (path) => {
    if (path !== '/metrics') return { status: 404, contentType: 'text/plain', body: 'try /metrics\n' };
    return { status: 200, contentType: source.contentType, body: await source.metrics() };
  });
}
