/**
 * A short-lived cache of one slowly changing read (IPAM config, pools, reservations, a Node's
 * labels) for a long-lived IPAMClient. Staleness is safe: every write is still a CAS on the block,
 * so a stale input can only make an operation fail or retry, and any failure clears the cache.
 * A TTL of 0 (the default, one-shot processes) reads through every time.
 */
export class ReadCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(private readonly ttlMs: number) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    if (this.ttlMs <= 0) return load();
    const now = performance.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    if (this.entries.size > 1_000) this.entries.clear();
    const value = load();
    this.entries.set(key, { at: now, value });
    // A failed read is not kept.
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
