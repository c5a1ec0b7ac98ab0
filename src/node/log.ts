/**
 * calico-node's structured log: one JSON object per line on stderr
 * (`{"time","level","component","msg",...fields}`), so the lines of startup, Felix, confd, BIRD and
 * the CNI agent interleave in one stream that tools can filter by component.
 *
 * Levels: `CALICO_LOG_LEVEL` sets every component's level; `FELIX_LOGSEVERITYSCREEN` (Felix's own
 * knob) overrides it for Felix; `CALICO_STARTUP_LOGLEVEL` stays startup's. Names are Calico's
 * (trace, debug, info, warning, error, fatal, panic; any case).
 */
import { EnvConfigError } from './config.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  readonly component: string;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger for a sub-component sharing this one's output and level. */
  child(component: string, level?: LogLevel): Logger;
}

export interface LogSink {
  write(s: string): unknown;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Calico's level words → ours; undefined for an unknown word. */
export function parseLogLevelWord(raw: string): LogLevel | undefined {
  switch (raw.trim().toLowerCase()) {
    case 'trace':
    case 'debug':
      return 'debug';
    case 'info':
      return 'info';
    case 'warn':
    case 'warning':
      return 'warn';
    case 'error':
    case 'fatal':
    case 'panic':
      return 'error';
    default:
      return undefined;
  }
}

/** Reads a level variable: unset/empty ⇒ `dflt`; a bad word is a CONFIG error naming the variable. */
export function envLogLevel(env: NodeJS.ProcessEnv, variable: string, dflt: LogLevel): LogLevel {
  const raw = env[variable] ?? '';
  if (raw.trim() === '') return dflt;
  const level = parseLogLevelWord(raw);
  if (!level)
    throw new EnvConfigError(variable, raw, 'trace, debug, info, warning, error, fatal or panic (any case)');
  return level;
}

export function createLogger(
  component: string,
  level: LogLevel = 'info',
  out: LogSink = process.stderr,
): Logger {
  const emit =
    (l: LogLevel) =>
    (msg: string, fields: LogFields = {}): void => {
      if (RANK[l] < RANK[level]) return;
      const line: Record<string, unknown> = { time: new Date().toISOString(), level: l, component, msg };
      for (const [k, v] of Object.entries(fields)) if (v !== undefined && !(k in line)) line[k] = v;
      out.write(`${JSON.stringify(line)}\n`);
    };
  return {
    component,
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (name, childLevel) => createLogger(name, childLevel ?? level, out),
  };
}

/**
 * A sink that tags JSON lines written by code with its own logger (startup's) with `component`,
 * and wraps anything else (plain `ERROR: ...` lines) as a message, so every line stays JSON.
 */
export function componentSink(component: string, out: LogSink = process.stderr): LogSink {
  let partial = '';
  return {
    write(s: string) {
      const parts = (partial + s).split('\n');
      partial = parts.pop() ?? '';
      for (const raw of parts) {
        if (raw === '') continue;
        let obj: Record<string, unknown> | undefined;
        try {
          const v: unknown = JSON.parse(raw);
          if (v && typeof v === 'object' && !Array.isArray(v)) obj = v as Record<string, unknown>;
        } catch {
          // not JSON: wrapped below
        }
        const line = obj
          ? { time: obj.time, level: obj.level, component, ...obj }
          : {
              time: new Date().toISOString(),
              level: /^ERROR\b/.test(raw) ? 'error' : 'info',
              component,
              msg: raw,
            };
        out.write(`${JSON.stringify(line)}\n`);
      }
      return true;
    },
  };
}
