/**
 * Felix's two health reporters, with Felix's names:
 * - "calc graph": ready once the datastore mirror is complete (everything listed once);
 * - "int_dataplane": ready once a dataplane pass ran after sync and the last pass had no driver
 *   failures; live while passes keep completing (a pass runs at least every route refresh
 *   interval, so a stuck pass shows as a stale last pass).
 */
import type { FelixStatus } from '../../felix/felix.js';
import type { HealthReporter } from './aggregate.js';

export interface FelixHealthSource {
  /** The running Felix's status; undefined while it is (re)starting. */
  status(): FelixStatus | undefined;
}

export interface FelixHealthOptions {
  /** A ready Felix whose last pass is older than this is not live (default 60 s). */
  livenessTimeoutMs?: number;
  now?: () => number;
}

export function felixReporters(src: FelixHealthSource, opts: FelixHealthOptions = {}): HealthReporter[] {
  const timeoutMs = opts.livenessTimeoutMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const calcGraph: HealthReporter = {
    name: 'calc graph',
    reportsLive: true,
    reportsReady: true,
    check: () => {
      const s = src.status();
      if (!s) return { live: false, ready: false, detail: 'Felix is not running (restarting)' };
      return { live: true, ready: s.synced, detail: s.synced ? 'in sync' : 'waiting for the datastore' };
    },
  };
  const dataplane: HealthReporter = {
    name: 'int_dataplane',
    reportsLive: true,
    reportsReady: true,
    check: () => {
      const s = src.status();
      if (!s) return { live: false, ready: false, detail: 'Felix is not running (restarting)' };
      if (!s.ready) return { live: true, ready: false, detail: 'no dataplane pass yet' };
      const age = s.lastApplyAt ? now() - Date.parse(s.lastApplyAt) : Infinity;
      const live = age <= timeoutMs;
      const errors = s.errors.map((e) => `${e.driver}: ${e.message}`);
      const parts = [`${s.passes} passes`, `last ${Math.round(age / 1000)}s ago`];
      if (!live) parts.push(`no pass for more than ${Math.round(timeoutMs / 1000)}s`);
      if (errors.length) parts.push(`errors: ${errors.join('; ')}`);
      return { live, ready: errors.length === 0, detail: parts.join(', ') };
    },
  };
  return [calcGraph, dataplane];
}
