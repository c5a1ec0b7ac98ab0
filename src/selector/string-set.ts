/**
 * Calico sorts set literals by Go string order, i.e. by UTF-8 bytes, which is code point order.
 * JS `<` compares UTF-16 code units, which disagrees for astral characters vs U+E000..U+FFFF, so
 * we remap code units to make surrogates sort above the rest of the BMP.
 */
function codeUnitRank(c: number): number {
  if (c < 0xd800) return c;
  if (c < 0xe000) return c + 0x2000; // surrogate: after U+E000..U+FFFF
  return c - 0x800;
}

export function compareBytewise(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

/** Returns a new array: sorted byte-wise, duplicates removed. */
export function sortedUnique(values: readonly string[]): string[] {
  const sorted = [...values].sort(compareBytewise);
  const out: string[] = [];
  for (const v of sorted) if (out.length === 0 || out[out.length - 1] !== v) out.push(v);
  return out;
}
