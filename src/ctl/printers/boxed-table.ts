/**
 * The table layout calicoctl gets from go-pretty's default style (`ipam show`, `node status`):
 *
 *   +----------+-------------+-----------+
 *   | GROUPING | CIDR        | IPS TOTAL |
 *   +----------+-------------+-----------+
 *   | IP Pool  | 10.0.0.0/16 |     65536 |
 *   +----------+-------------+-----------+
 *
 * One space of padding each side of a cell, the header upper-cased and followed by a separator,
 * no separators between data rows. A header is always left-aligned (go-pretty aligns it by its
 * style, not by the column's alignment); data cells are left-aligned unless the column is
 * configured right-aligned. An empty table still draws the header separator, so its last two
 * lines are both borders, as go-pretty prints them.
 */
export interface BoxedTable {
  header: string[];
  rows: string[][];
  /** Column indexes whose data cells are right-aligned. */
  alignRight?: number[];
}

// go-pretty measures display width; calicoctl's cells are ASCII, so code points are enough.
function width(s: string): number {
  return [...s].length;
}

function pad(s: string, w: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return right ? fill + s : s + fill;
}

/** Renders the table; every line, the last one included, ends with a newline. */
export function renderBoxedTable(t: BoxedTable): string {
  const header = t.header.map((h) => h.toUpperCase());
  const n = Math.max(header.length, ...t.rows.map((r) => r.length));
  const widths: number[] = new Array(n).fill(0);
  for (const row of [header, ...t.rows]) {
    for (let i = 0; i < n; i++) widths[i] = Math.max(widths[i], width(row[i] ?? ''));
  }
  const right = new Set(t.alignRight ?? []);
  const border = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+\n';
  const line = (row: string[], data: boolean) =>
    '|' + widths.map((w, i) => ` ${pad(row[i] ?? '', w, data && right.has(i))} `).join('|') + '|\n';
  return border + line(header, false) + border + t.rows.map((r) => line(r, true)).join('') + border;
}
