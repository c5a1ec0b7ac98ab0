/**
 * Progress lines: `[2/7] starting etcd ... done (0.1 s)`. A step prints its title first, so a
 * slow step shows what it is waiting for, and its outcome with the time it took.
 */
export interface Output {
  write(s: string): unknown;
}

export class Progress {
  private step = 0;

  constructor(
    private readonly out: Output,
    private total: number,
  ) {}

  setTotal(total: number): void {
    this.total = total;
  }

  /** Runs one step; `fn` may return a short note shown after "done". */
  async run<T>(title: string, fn: () => Promise<T>, note?: (v: T) => string | undefined): Promise<T> {
    this.step++;
    this.out.write(`[${this.step}/${this.total}] ${title} ... `);
    const start = Date.now();
    try {
      const v = await fn();
      const extra = note?.(v);
      this.out.write(`done (${seconds(Date.now() - start)})${extra ? `: ${extra}` : ''}\n`);
      return v;
    } catch (e) {
      this.out.write(`FAILED (${seconds(Date.now() - start)})\n`);
      throw e;
    }
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
