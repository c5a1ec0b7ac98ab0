/**
 * Health aggregation (pure). Each reporter says whether it takes part in liveness and/or
 * readiness; the node is live (ready) when every reporter taking part is live (ready). No
 * reporters means live and ready, as in Felix. A reporter that could not be asked (it threw, or
 * took too long) counts as failing both.
 */

export interface HealthReport {
  live?: boolean;
  ready?: boolean;
  /** One line for operators: what is missing, or a short status. */
  detail?: string;
}

export interface HealthReporter {
  /** Felix's names where they exist: "calc graph", "int_dataplane"; ours: "bird", "cni-agent". */
  name: string;
  reportsLive: boolean;
  reportsReady: boolean;
  check(): HealthReport | Promise<HealthReport>;
}

export interface ReporterState {
  name: string;
  /** null: this reporter does not take part in liveness. */
  live: boolean | null;
  ready: boolean | null;
  detail?: string;
}

export interface HealthSummary {
  live: boolean;
  ready: boolean;
  reporters: ReporterState[];
}

/** One reporter's state from its report (undefined = it could not be asked; `error` says why). */
export function reporterState(
  r: HealthReporter,
  report: HealthReport | undefined,
  error?: string,
): ReporterState {
  const detail = error ?? report?.detail;
  const state: ReporterState = {
    name: r.name,
    live: r.reportsLive ? report?.live === true : null,
    ready: r.reportsReady ? report?.ready === true : null,
  };
  if (detail) state.detail = detail;
  return state;
}

export function aggregate(states: readonly ReporterState[]): HealthSummary {
  return {
    live: states.every((s) => s.live !== false),
    ready: states.every((s) => s.ready !== false),
    reporters: [...states],
  };
}

/** Asks every reporter, each bounded by `timeoutMs`, and aggregates. */
export async function evaluateHealth(
  reporters: readonly HealthReporter[],
  timeoutMs = 2000,
): Promise<HealthSummary> {
  const states = await Promise.all(
    reporters.map(async (r) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const report = await Promise.race([
          Promise.resolve().then(() => r.check()),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return reporterState(r, report);
      } catch (e) {
        return reporterState(r, undefined, e instanceof Error ? e.message : String(e));
      } finally {
        if (timer) clearTimeout(timer);
      }
    }),
  );
  return aggregate(states);
}
