/**
 * The iptables + ipset policy backend. A pass is: `ipset restore` (new sets, member changes) →
 * one `iptables-restore --noflush` transaction per table and family (only the chains and hook
 * rules that differ) → destroying sets nothing references any more. A full pass first reads the
 * kernel (`iptables-save`, `ipset save`) and so repairs drift; a fast pass diffs against what the
 * previous pass applied, and falls back to a full one when the kernel refuses its changes. A fresh
 * instance always starts with a full pass, and chains are only ever flushed inside the transaction
 * that refills them, so taking over from a previous process opens no gap in policy.
 */
import type { Family, PolicyRulesets, TableName } from '../../calc/policy/ruleset.js';
import { DataplaneError } from '../../errors.js';
import type { ReconcileReport } from '../driver.js';
import { mustRun, type Runner, type Tool } from '../runner.js';
import type { PolicyBackend, PolicyBackendOptions, PolicyReconcileOptions } from './backend.js';
import { modelAsKernel, parseIptablesSave, planIptables, type KernelIptables } from './ipt-plan.js';
import { buildIptables, ChainCache, type IptModel } from './ipt-render.js';
import { planIpsets } from './ipset-plan.js';
import { desiredIpsets, isOurIpset, parseIpsetSave, type IpsetState } from './ipset-render.js';

/** Seconds iptables-restore waits for the xtables lock (legacy; iptables-nft ignores it). */
const LOCK_WAIT_S = '10';
const FAMILIES: readonly Family[] = [4, 6];

interface KernelState {
  ipt: Record<Family, KernelIptables>;
  sets: IpsetState;
}

interface Wanted {
  ipt: Record<Family, IptModel>;
  sets: IpsetState;
}

/** Lines of a restore input that change something (not the `*table`/`COMMIT` frame). */
function changeLines(text: string): number {
  return text.split('\n').filter((l) => l && !l.startsWith('*') && l !== 'COMMIT').length;
}

/** `ipset list -t`: each set's reference count (rules and other sets using it). */
export function parseIpsetReferences(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let name: string | undefined;
  for (const line of text.split('\n')) {
    const n = /^Name:\s*(\S+)/.exec(line);
    if (n) name = n[1];
    const r = /^References:\s*(\d+)/.exec(line);
    if (r && name) out.set(name, Number(r[1]));
  }
  return out;
}

export class IptablesPolicyBackend implements PolicyBackend {
  readonly name = 'iptables' as const;
  private readonly runner: Runner;
  readonly flavour: 'legacy' | 'nft';
  private desired?: PolicyRulesets;
  /** The kernel as our last successful pass left it; undefined = read it first. */
  private known?: KernelState;
  private readonly cache = new ChainCache();

  constructor(opts: PolicyBackendOptions) {
    this.runner = opts.runner;
    this.flavour = opts.iptablesFlavour ?? 'nft';
  }

  private tool(family: Family, op: 'save' | 'restore'): Tool {
    return `${family === 4 ? 'iptables' : 'ip6tables'}-${this.flavour}-${op}` as Tool;
  }

  setDesired(desired: PolicyRulesets): void {
    this.desired = desired;
  }

  /** Our tables of one family; an unreadable family counts as empty when `optional`. */
  private async readIptables(family: Family, optional: boolean): Promise<KernelIptables> {
    const tool = this.tool(family, 'save');
    const r = await this.runner.run(tool, []);
    if (r.code !== 0) {
      if (optional) return new Map();
      throw new DataplaneError('command', `${tool} failed (exit ${r.code}): ${r.stderr.trim()}`);
    }
    return parseIptablesSave(r.stdout);
  }

  private async readKernel(v6: boolean): Promise<KernelState> {
    const [ipt4, ipt6, sets] = await Promise.all([
      this.readIptables(4, false),
      this.readIptables(6, !v6),
      mustRun(this.runner, 'ipset', ['save']).then(parseIpsetSave),
    ]);
    return { ipt: { 4: ipt4, 6: ipt6 }, sets };
  }

  private wanted(d: PolicyRulesets): Wanted {
    const ipt = {
      4: buildIptables(d.v4, this.cache),
      6: d.v6 ? buildIptables(d.v6, this.cache) : (new Map() as IptModel),
    };
    this.cache.rotate();
    return { ipt, sets: desiredIpsets(d) };
  }

  private async restore(family: Family, table: TableName, text: string): Promise<void> {
    const tool = this.tool(family, 'restore');
    const r = await this.runner.run(tool, ['--noflush', '--wait', LOCK_WAIT_S], text);
    if (r.code !== 0) {
      throw new DataplaneError(
        'command',
        `${tool} --noflush (table ${table}) failed (exit ${r.code}): ${r.stderr.trim()}`,
      );
    }
  }

  /** Destroys those of `names` nothing references; returns the ones still in use. */
  private async destroyUnreferenced(names: readonly string[]): Promise<string[]> {
    if (!names.length) return [];
    const refs = parseIpsetReferences(await mustRun(this.runner, 'ipset', ['list', '-t']));
    const free = names.filter((n) => refs.get(n) === 0);
    if (free.length) {
      await mustRun(
        this.runner,
        'ipset',
        ['restore', '-exist'],
        free.map((n) => `destroy ${n}`).join('\n') + '\n',
      );
    }
    return names.filter((n) => (refs.get(n) ?? 0) > 0);
  }

  private async pass(want: Wanted, kernel: KernelState): Promise<ReconcileReport> {
    let changes = 0;
    const waiting: string[] = [];
    const sets = planIpsets(want.sets, kernel.sets);
    if (sets.update.length) {
      await mustRun(this.runner, 'ipset', ['restore', '-exist'], sets.update.join('\n') + '\n');
      changes += sets.update.length;
    }
    for (const family of FAMILIES) {
      for (const [table, text] of planIptables(want.ipt[family], kernel.ipt[family])) {
        await this.restore(family, table, text);
        changes += changeLines(text);
      }
    }
    const busy = await this.destroyUnreferenced(sets.destroy);
    changes += sets.destroy.length - busy.length;
    for (const n of busy) waiting.push(`ipset ${n}: no longer wanted but still referenced; destroyed later`);
    const knownSets = new Map(want.sets);
    for (const n of busy) {
      const k = kernel.sets.get(n);
      if (k) knownSets.set(n, k);
    }
    // Sets still in use stay known, so that the next pass tries to destroy them again.
    this.known = {
      ipt: { 4: modelAsKernel(want.ipt[4]), 6: modelAsKernel(want.ipt[6]) },
      sets: knownSets,
    };
    return { driver: `iptables-${this.flavour}`, changes, waiting };
  }

  async reconcile(opts: PolicyReconcileOptions = {}): Promise<ReconcileReport> {
    if (!this.desired) return { driver: `iptables-${this.flavour}`, changes: 0, waiting: [] };
    const want = this.wanted(this.desired);
    const read = opts.full === true || !this.known;
    const known = this.known;
    this.known = undefined;
    if (read || !known) return this.pass(want, await this.readKernel(this.desired.v6 !== undefined));
    try {
      return await this.pass(want, known);
    } catch {
      // The kernel is not what we last left (someone changed it): read it and try once more.
      return this.pass(want, await this.readKernel(this.desired.v6 !== undefined));
    }
  }

  async remove(): Promise<void> {
    this.known = undefined;
    for (const family of FAMILIES) {
      const kernel = await this.readIptables(family, true);
      for (const [table, text] of planIptables(new Map(), kernel)) await this.restore(family, table, text);
    }
    // Sets another user (the other iptables flavour) still references are theirs to keep.
    const refs = parseIpsetReferences(await mustRun(this.runner, 'ipset', ['list', '-t']));
    const free = [...refs].filter(([n, count]) => isOurIpset(n) && count === 0).map(([n]) => n);
    if (free.length) {
      await mustRun(
        this.runner,
        'ipset',
        ['restore', '-exist'],
        free.map((n) => `destroy ${n}`).join('\n') + '\n',
      );
    }
  }
}
