/** What every dataplane driver offers: hold desired state, and reconcile the kernel towards it. */
import type { LinkTable } from './links.js';

export interface ReconcileReport {
  driver: string;
  /** Kernel changes made in this pass (batch lines applied). */
  changes: number;
  /** Desired entries that could not be applied yet, and why (not errors: they wait for something). */
  waiting: string[];
}

/** What one pass has already read and shares between drivers. */
export interface PassContext {
  links: LinkTable;
}

export interface Driver<D> {
  readonly name: string;
  /** Cheap: records what the kernel should hold; nothing happens until reconcile(). */
  setDesired(desired: D): void;
  /**
   * Reads the kernel (the link table from `ctx` when given), diffs, applies only the difference in
   * one batch. Throws a DataplaneError when the kernel could not be read or part of the batch
   * failed (what did apply, stays).
   */
  reconcile(ctx?: PassContext): Promise<ReconcileReport>;
}
