/** Startup's log: one structured line per event, so operators can grep which address was chosen and why. */
import type { StartupLogLevel } from '../config.js';

export type LogFields = Record<string, string | number | boolean | undefined>;

export interface StartupLog {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const RANK: Record<StartupLogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** JSON lines (`{"time","level","msg",...fields}`) to a writable, dropping levels below `level`. */
export function jsonLineLog(
  out: { write(s: string): unknown } = process.stderr,
  level: StartupLogLevel = 'info',
): StartupLog {
  const emit =
    (l: StartupLogLevel) =>
    (msg: string, fields: LogFields = {}) => {
      if (RANK[l] < RANK[level]) return;
      const line: Record<string, unknown> = { time: new Date().toISOString(), level: l, msg };
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) line[k] = v;
      out.write(`${JSON.stringify(line)}\n`);
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export interface LogEntry {
  level: StartupLogLevel;
  msg: string;
  fields: LogFields;
}

/** Keeps every entry in memory (tests, and callers that want to print a summary). */
export function memoryLog(): StartupLog & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const push =
    (level: StartupLogLevel) =>
    (msg: string, fields: LogFields = {}) => {
      entries.push({ level, msg, fields });
    };
  return { entries, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}
