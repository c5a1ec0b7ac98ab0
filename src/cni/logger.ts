/** A per-request logger: lines are collected and handed back with the response (the bin prints them on stderr). */
import type { LogLevel } from './netconf.js';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3 };

export class CniLogger {
  private readonly lines: string[] = [];
  private context = '';

  constructor(
    private level: LogLevel = 'info',
    private readonly now: () => Date = () => new Date(),
  ) {}

  setLevel(level: LogLevel): void {
    this.level = level;
  }

  /** Fields printed with every later line, e.g. `ContainerID="…" Workload="…"`. */
  setContext(fields: Record<string, string | undefined>): void {
    this.context = Object.entries(fields)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(' ');
  }

  private log(level: LogLevel, msg: string): void {
    if (RANK[level] < RANK[this.level]) return;
    const ts = this.now().toISOString();
    this.lines.push(`${ts} [${level.toUpperCase()}] ${msg}${this.context ? ' ' + this.context : ''}`);
  }

  debug(msg: string): void {
    this.log('debug', msg);
  }
  info(msg: string): void {
    this.log('info', msg);
  }
  warn(msg: string): void {
    this.log('warning', msg);
  }
  error(msg: string): void {
    this.log('error', msg);
  }

  text(): string {
    return this.lines.length ? this.lines.join('\n') + '\n' : '';
  }
}
