/**
 * An unbounded single-consumer queue exposed as an async iterator. Producers push synchronously
 * (from etcd callbacks or in-memory writes), so a slow consumer never causes events to be dropped.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private head = 0;
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private ended = false;

  constructor(private readonly onReturn?: () => void | Promise<void>) {}

  push(item: T): void {
    if (this.ended) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  /** No more items will be pushed; buffered items are still delivered, then the iterator ends. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.waiter && this.head >= this.items.length) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: undefined, done: true });
    }
  }

  /** Ends and drops whatever is still buffered (used by close()). */
  discard(): void {
    this.items.length = 0;
    this.head = 0;
    this.end();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get buffered(): number {
    return this.items.length - this.head;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head] as T;
      this.head++;
      // Compact now and then so a long-lived watch doesn't keep every event it ever delivered.
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    if (this.waiter) return Promise.reject(new Error('AsyncQueue supports a single consumer'));
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Called when a for-await loop exits early (break/throw): the owner stops producing. */
  async return(): Promise<IteratorResult<T>> {
    this.discard();
    await this.onReturn?.();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

/** A watch that has already failed: one ERROR event, then the end (e.g. watch() on a closed backend). */
export function failedWatch(error: Error): {
  close(): Promise<void>;
  [Symbol.asyncIterator](): AsyncIterator<{ type: 'ERROR'; error: Error }>;
} {
  const q = new AsyncQueue<{ type: 'ERROR'; error: Error }>();
  q.push({ type: 'ERROR', error });
  q.end();
  return { close: async () => q.discard(), [Symbol.asyncIterator]: () => q };
}
