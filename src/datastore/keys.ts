/** Key helpers shared by the backends: etcd orders and matches keys as UTF-8 bytes. */

export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The etcd range end for a prefix: the prefix with its last non-0xff byte incremented. */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  // All 0xff (or empty): no upper bound. etcd spells "to the end of the keyspace" as a single NUL.
  return Buffer.from([0]);
}

/** etcd key/range_end pair covering every key that starts with prefix ('' = the whole keyspace). */
export function prefixRange(prefix: string): { key: Buffer; rangeEnd: Buffer } {
  const key = Buffer.from(prefix, 'utf8');
  if (key.length === 0) return { key: Buffer.from([0]), rangeEnd: Buffer.from([0]) };
  return { key, rangeEnd: prefixRangeEnd(key) };
}
