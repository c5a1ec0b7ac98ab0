/**
 * The nftables policy backend: `table ip calico` and `table ip6 calico`. A full pass reads both
 * tables with `nft -j` and diffs; a fast pass diffs against what the last successful pass left
 * (a new instance, or one whose last apply failed, reads first). Each pass applies its whole
 * difference, both families, in one `nft -f -` transaction.
 */
import type { PolicyRulesets } from '../../calc/policy/ruleset.js';
import { DataplaneError } from '../../errors.js';
import type { ReconcileReport } from '../driver.js';
import { mustRun, parseJSONOutput, type Runner } from '../runner.js';
import type { PolicyBackend, PolicyBackendOptions, PolicyReconcileOptions } from './backend.js';
import { expectedKernel, NFT_TABLE, type KernelTable, type NftFamily, type NftTable } from './nft-model.js';
import { planTables } from './nft-plan.js';
import { parseKernelTable } from './nft-read.js';
import { buildTables, deleteTableScript } from './nft-render.js';

const FAMILIES: readonly NftFamily[] = ['ip', 'ip6'];
const DRIVER = 'policy-nftables';

type Tables<T> = Record<NftFamily, T | undefined>;

export class NftPolicyBackend implements PolicyBackend {
  readonly name = 'nftables' as const;
  private readonly runner: Runner;
  private desired?: PolicyRulesets;
  /** Rendered once per setDesired. */
  private built?: Tables<NftTable>;
  /** The kernel as our last successful pass left it; undefined = read it first. */
  private known?: Tables<KernelTable>;
  /** Why the last pass replaced a table (for logs and tests). */
  lastRebuild?: string;

  constructor(opts: PolicyBackendOptions) {
    this.runner = opts.runner;
  }

  setDesired(desired: PolicyRulesets): void {
    if (desired === this.desired) return;
    this.desired = desired;
    this.built = undefined;
  }

  /** One family's table as the kernel holds it; undefined when it does not exist. */
  private async readTable(family: NftFamily): Promise<KernelTable | undefined> {
    const r = await this.runner.run('nft', ['-j', 'list', 'table', family, NFT_TABLE]);
    if (r.code !== 0) {
      if (/No such file or directory/.test(r.stderr)) return undefined;
      throw new DataplaneError(
        'command',
        `nft list table ${family} ${NFT_TABLE} failed (exit ${r.code}): ${r.stderr.trim()}`,
      );
    }
    return parseKernelTable(parseJSONOutput('nft', r.stdout));
  }

  private async readKernel(): Promise<Tables<KernelTable>> {
    const [ip, ip6] = await Promise.all(FAMILIES.map((f) => this.readTable(f)));
    return { ip, ip6 };
  }

  private async apply(script: string): Promise<void> {
    if (!script) return;
    try {
      await mustRun(this.runner, 'nft', ['-f', '-'], script);
    } catch (e) {
      // The transaction did not commit, but our picture of the kernel may be stale: read next time.
      this.known = undefined;
      throw e;
    }
  }

  async reconcile(opts: PolicyReconcileOptions = {}): Promise<ReconcileReport> {
    if (!this.desired) return { driver: DRIVER, changes: 0, waiting: [] };
    const known = this.known;
    // The read runs in nft while we render (the children start before buildTables).
    const reading = opts.full || !known ? this.readKernel() : undefined;
    let built: Tables<NftTable>;
    try {
      built = this.built ??= buildTables(this.desired);
    } catch (e) {
      await reading?.catch(() => undefined);
      throw e;
    }
    const kernel = reading ? await reading : known!;
    const plan = planTables(built, kernel);
    this.lastRebuild = plan.rebuilt;
    await this.apply(plan.script);
    this.known = { ip: built.ip && expectedKernel(built.ip), ip6: built.ip6 && expectedKernel(built.ip6) };
    return { driver: DRIVER, changes: plan.changes, waiting: [] };
  }

  async remove(): Promise<void> {
    await this.apply(FAMILIES.map(deleteTableScript).join(''));
    this.known = { ip: undefined, ip6: undefined };
  }
}
