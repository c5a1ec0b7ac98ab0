/**
 * One interface, two kernels: the nftables and the iptables + ipset backends of the policy
 * dataplane. Both take the compiler's rulesets as they are and reconcile the kernel towards them;
 * one conformance suite (test/helpers/policy-conformance.ts) runs against each.
 */
import type { PolicyRulesets } from '../../calc/policy/ruleset.js';
import type { ReconcileReport } from '../driver.js';
import type { Runner } from '../runner.js';

export type PolicyBackendName = 'nftables' | 'iptables';

export interface PolicyReconcileOptions {
  /**
   * Re-read the kernel and repair any drift (a flushed table, a deleted chain or set member).
   * Without it the backend may diff against what it last applied (fast path after a change).
   */
  full?: boolean;
}

export interface PolicyBackend {
  readonly name: PolicyBackendName;
  /** Cheap: records what the kernel should hold; nothing happens until reconcile(). */
  setDesired(desired: PolicyRulesets): void;
  reconcile(opts?: PolicyReconcileOptions): Promise<ReconcileReport>;
  /** Removes everything this backend owns from the kernel (backend switched, or policy off). */
  remove(): Promise<void>;
  /**
   * Stops whatever the backend keeps running (the nftables backend's `nft -i`); the kernel state
   * stays. Optional: a backend that starts nothing has nothing to stop.
   */
  close?(): Promise<void>;
}

export interface PolicyBackendOptions {
  runner: Runner;
  /** iptables backend only: which iptables flavour (default `nft`, the system's `iptables`). */
  iptablesFlavour?: 'legacy' | 'nft';
  /**
   * nftables backend only: write a first load to nft while it renders, instead of rendering it
   * whole and then running one `nft -f -`. Default false: on the shared 2-CPU test machine it was
   * no faster (nft buffers nothing useful before EOF: most of its time is evaluation and commit,
   * and rendering next to it slowed both); BENCH_NFT_STREAM=1 in bench/policy.ts compares them.
   */
  nftStreamLoad?: boolean;
  /** nftables: a first load of at least this many rules is split across nft processes (nft-first-load.ts). */
  nftSplitMinRules?: number;
}
