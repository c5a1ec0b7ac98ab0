/**
 * The policy dataplane as Felix drives it: the backend FelixConfiguration chose (switching
 * backends removes the old one's state only after the new one is programmed, so there is no
 * moment without policy), fast passes that diff against what was last applied, and a full
 * re-read of the kernel every refresh interval so drift (a flushed table, a deleted chain) is
 * repaired.
 */
import type { PolicyRulesets } from '../../calc/policy/ruleset.js';
import type { ReconcileReport } from '../driver.js';
import type { Runner } from '../runner.js';
import type { PolicyBackend, PolicyBackendName, PolicyBackendOptions } from './backend.js';

export interface PolicyBackendChoice {
  backend: PolicyBackendName;
  iptablesFlavour: 'legacy' | 'nft';
  /** Full kernel re-read interval. */
  refreshMs: number;
}

export type MakePolicyBackend = (name: PolicyBackendName, opts: PolicyBackendOptions) => PolicyBackend;

export interface PolicyPlaneOptions {
  runner: Runner;
  makeBackend: MakePolicyBackend;
  now?: () => number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface PolicyApplyReport extends ReconcileReport {
  backend: PolicyBackendName;
  full: boolean;
  durationMs: number;
}

function key(c: PolicyBackendChoice): string {
  return c.backend === 'iptables' ? `iptables-${c.iptablesFlavour}` : c.backend;
}

export class PolicyPlane {
  private current?: { key: string; backend: PolicyBackend };
  /** A backend replaced by another whose state is still to be removed. */
  private retired: PolicyBackend[] = [];
  private lastFullAt = -Infinity;
  /** How long the last full pass took: a big ruleset is re-read less often (see apply). */
  private lastFullMs = 0;
  private readonly now: () => number;

  constructor(private readonly opts: PolicyPlaneOptions) {
    this.now = opts.now ?? Date.now;
  }

  private others(choice: PolicyBackendChoice): PolicyBackend[] {
    const all: PolicyBackendChoice[] = [
      { ...choice, backend: 'nftables' },
      { ...choice, backend: 'iptables', iptablesFlavour: 'nft' },
      { ...choice, backend: 'iptables', iptablesFlavour: 'legacy' },
    ];
    return all
      .filter((c) => key(c) !== key(choice))
      .map((c) =>
        this.opts.makeBackend(c.backend, { runner: this.opts.runner, iptablesFlavour: c.iptablesFlavour }),
      );
  }

  backendName(): PolicyBackendName | undefined {
    return this.current?.backend.name;
  }

  /** Programs `rulesets` with the chosen backend; throws (a DataplaneError) when the kernel refused. */
  async apply(rulesets: PolicyRulesets, choice: PolicyBackendChoice): Promise<PolicyApplyReport> {
    const start = this.now();
    const k = key(choice);
    // Reading a big table costs seconds of CPU (50k rules: ~3 s); re-reading it every 5 s would
    // keep a core busy, so the interval grows to 20x the last full pass.
    let full = start - this.lastFullAt >= Math.max(choice.refreshMs, 20 * this.lastFullMs);
    if (!this.current || this.current.key !== k) {
      if (this.current) this.retired.push(this.current.backend);
      // At start-up, another backend's state may be left from before a restart with other settings.
      else this.retired.push(...this.others(choice));
      this.current = {
        key: k,
        backend: this.opts.makeBackend(choice.backend, {
          runner: this.opts.runner,
          iptablesFlavour: choice.iptablesFlavour,
        }),
      };
      // A new backend (start-up or a switch) first learns what the kernel holds.
      full = true;
    }
    const backend = this.current.backend;
    backend.setDesired(rulesets);
    const report = await backend.reconcile({ full });
    if (full) {
      this.lastFullAt = start;
      this.lastFullMs = this.now() - start;
    }
    // Only once the new backend enforces policy does the old one's state go.
    for (const old of this.retired.splice(0)) {
      try {
        await old.remove();
        await old.close?.();
      } catch (e) {
        this.retired.push(old);
        this.opts.log?.('warn', `policy dataplane: removing ${old.name} state: ${(e as Error).message}`);
      }
    }
    return { ...report, backend: backend.name, full, durationMs: this.now() - start };
  }

  /** Stops what the backends keep running (their kernel state stays). */
  async close(): Promise<void> {
    const all = [...(this.current ? [this.current.backend] : []), ...this.retired];
    await Promise.all(all.map((b) => b.close?.()));
  }
}
