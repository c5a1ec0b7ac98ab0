/** The kernel version rule of `node checksystem`: network namespaces and veth pairs need 2.6.24. */

export const MIN_KERNEL_VERSION = '2.6.24';

/** Leading dotted numbers of a release string: `6.18.44-fc-v657` → [6, 18, 44]; none → undefined. */
export function versionNumbers(release: string): number[] | undefined {
  const m = /^\s*v?(\d+(?:\.\d+)*)/.exec(release);
  return m ? m[1].split('.').map(Number) : undefined;
}

/** True when `release` is at least `min`, comparing numbers left to right (missing parts count as 0). */
export function kernelAtLeast(release: string, min = MIN_KERNEL_VERSION): boolean {
  const have = versionNumbers(release);
  const want = versionNumbers(min) ?? [];
  if (!have) return false;
  for (let i = 0; i < Math.max(have.length, want.length); i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}
