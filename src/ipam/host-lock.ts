/**
 * Serialises one IPAMClient's assignments per host, as Calico's CNI plugin does across processes
 * with a host-wide flock (/var/run/calico/ipam.lock). Without it, many concurrent claimers of the
 * same host keep re-marking the same pending affinity and starve each other's confirmation.
 */
export class HostLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(host: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(host) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(host, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(host) === tail) this.tails.delete(host);
    }
  }
}
