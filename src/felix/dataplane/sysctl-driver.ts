/**
 * Sysctls Felix needs (net.ipv4.ip_forward). Read and written under /proc/sys by one `sh` each,
 * inside the namespace, so the values are the namespace's own. Sysctls are set, never reset.
 */
import type { Sysctl } from '../calc/routing/index.js';
import { DataplaneError } from '../errors.js';
import type { Driver, ReconcileReport } from './driver.js';
import { mustRun, type Runner } from './runner.js';

const KEY_RE = /^[a-zA-Z0-9_.-]+(\/[a-zA-Z0-9_.-]+)+$/;

const READ =
  'for k in "$@"; do v=$(cat "/proc/sys/$k" 2>/dev/null) || v="?"; printf "%s=%s\\n" "$k" "$v"; done';
const WRITE = 'while [ $# -gt 1 ]; do printf "%s\\n" "$2" > "/proc/sys/$1" || exit 1; shift 2; done';

/** `key=value` lines → map; `?` marks a key that could not be read. */
export function parseSysctlValues(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return m;
}

export function diffSysctls(desired: readonly Sysctl[], actual: ReadonlyMap<string, string>): Sysctl[] {
  return desired.filter((s) => actual.get(s.key) !== s.value);
}

export class SysctlDriver implements Driver<Sysctl[]> {
  readonly name = 'sysctls';
  private desired: Sysctl[] = [];

  constructor(private readonly runner: Runner) {}

  setDesired(desired: Sysctl[]): void {
    for (const s of desired) {
      if (!KEY_RE.test(s.key) || s.key.split('/').some((p) => p === '.' || p === '..'))
        throw new DataplaneError('parse', `not a sysctl path: ${s.key}`);
    }
    this.desired = desired;
  }

  async reconcile(): Promise<ReconcileReport> {
    if (this.desired.length === 0) return { driver: this.name, changes: 0, waiting: [] };
    const keys = this.desired.map((s) => s.key);
    const actual = parseSysctlValues(await mustRun(this.runner, 'sh', ['-c', READ, 'sh', ...keys]));
    const todo = diffSysctls(this.desired, actual);
    if (todo.length)
      await mustRun(this.runner, 'sh', ['-c', WRITE, 'sh', ...todo.flatMap((s) => [s.key, s.value])]);
    return { driver: this.name, changes: todo.length, waiting: [] };
  }
}
