/** NAT outgoing rules: reads `ip calico-nat` with `nft -j`, applies the plan with one `nft -f -`. */
import type { NatOutgoing } from '../calc/routing/index.js';
import { DataplaneError } from '../errors.js';
import type { Driver, ReconcileReport } from './driver.js';
import { NAT_TABLE, parseNatTable, planNat, type KernelNatTable } from './nat-plan.js';
import { mustRun, parseJSONOutput, type Runner } from './runner.js';

export class NatDriver implements Driver<NatOutgoing | undefined> {
  readonly name = 'nat';
  private desired: NatOutgoing | undefined;

  constructor(private readonly runner: Runner) {}

  setDesired(desired: NatOutgoing | undefined): void {
    this.desired = desired;
  }

  private async read(): Promise<KernelNatTable | undefined> {
    const r = await this.runner.run('nft', ['-j', 'list', 'table', 'ip', NAT_TABLE]);
    if (r.code !== 0) {
      if (/No such file or directory/.test(r.stderr)) return undefined;
      throw new DataplaneError(
        'command',
        `nft list table ip ${NAT_TABLE} failed (exit ${r.code}): ${r.stderr.trim()}`,
      );
    }
    return parseNatTable(parseJSONOutput('nft', r.stdout));
  }

  async reconcile(): Promise<ReconcileReport> {
    const script = planNat(this.desired, await this.read());
    if (script) await mustRun(this.runner, 'nft', ['-f', '-'], script);
    return { driver: this.name, changes: script ? script.trim().split('\n').length : 0, waiting: [] };
  }
}
