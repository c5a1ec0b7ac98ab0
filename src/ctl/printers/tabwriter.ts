/**
 * The table layout calicoctl gets from Go's text/tabwriter (minwidth 5, tabwidth 1, padding 3,
 * padchar ' '): every cell is tab-terminated, so each cell, the last one included, is padded to
 * its column's width (widest text + 3, at least 5). Lines therefore carry trailing spaces.
 */
export function renderTable(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 5, cell.length + 3);
    });
  }
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('') + '\n').join('');
}
