import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export interface Row {
  name: string;
  samples: number[];
  anchor?: string;
}

/** Prints medians, and each row's ratio to its anchor row measured in the same run. */
export function printTable(title: string, rows: Row[]): void {
  const byName = new Map(rows.map((r) => [r.name, r]));
  const lines = [['measurement', 'median ms', 'min ms', 'max ms', 'runs', 'vs anchor']];
  for (const r of rows) {
    const a = r.anchor ? byName.get(r.anchor) : undefined;
    lines.push([
      r.name,
      median(r.samples).toFixed(1),
      Math.min(...r.samples).toFixed(1),
      Math.max(...r.samples).toFixed(1),
      String(r.samples.length),
      a ? `${(median(r.samples) / median(a.samples)).toFixed(2)}x ${r.anchor}` : '(anchor)',
    ]);
  }
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  process.stdout.write(`\n${title}\n`);
  for (const l of lines) process.stdout.write(l.map((c, i) => c.padEnd(widths[i])).join('  ') + '\n');
}

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');

export function writeResults(name: string, data: unknown): string {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${name}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}

/** Rows as the results JSON records them: medians, samples (0.01 ms) and the ratio to each anchor. */
export function rowsJson(rows: Row[]): object[] {
  const byName = new Map(rows.map((r) => [r.name, r]));
  return rows.map((r) => {
    const a = r.anchor ? byName.get(r.anchor) : undefined;
    return {
      name: r.name,
      medianMs: median(r.samples),
      samplesMs: r.samples.map((x) => Math.round(x * 100) / 100),
      anchor: r.anchor ?? null,
      ratioToAnchor: a ? median(r.samples) / median(a.samples) : null,
    };
  });
}
