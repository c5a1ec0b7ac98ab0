/**
 * The nftables policy backend: `table ip calico` and `table ip6 calico`. A full pass reads both
 * tables with `nft -j` and diffs; a fast pass diffs against what the last successful pass left
 * (a new instance, or one whose last apply failed, reads first). Each pass applies its whole
 * difference, both families, in one transaction: a fast pass through a long-lived `nft -i`
 * (nft-session.ts) when the runner can spawn one, otherwise (and for scripts over
 * SESSION_MAX_LINE) `nft -f -`. A full pass starts its `nft -f -` next to the read, so nft's
 * start-up overlaps the rendering, and derives the kernel's expected state while nft works. With
 * `nftStreamLoad`, when the kernel holds no table (start-up), the tables go to nft while they are
 * still being rendered (see NFT_FROM_PIPE).
 */
import { availableParallelism } from 'node:os';
import type { PolicyRulesets, Ruleset } from '../../calc/policy/ruleset.js';
import { DataplaneError } from '../../errors.js';
import type { ReconcileReport } from '../driver.js';
import { mustRun, parseJSONOutput, runStreamed, type Runner } from '../runner.js';
import type { PolicyBackend, PolicyBackendOptions, PolicyReconcileOptions } from './backend.js';
import { expectedKernel, NFT_TABLE, type KernelTable, type NftFamily, type NftTable } from './nft-model.js';
import { fullTableChanges, planTables, type NftPlan } from './nft-plan.js';
import { parseKernelTable } from './nft-read.js';
import {
  buildTables,
  deleteTableScript,
  partText,
  replaceTableHead,
  TABLE_END,
  tableParts,
  tableStart,
  type TablePart,
} from './nft-render.js';
import { NftSession, SESSION_MAX_LINE } from './nft-session.js';
import {
  firstLoadScripts,
  SPLIT_MIN_RULES,
  worthSplitting,
  type FirstLoadScripts,
} from './nft-first-load.js';

const FAMILIES: readonly NftFamily[] = ['ip', 'ip6'];
const DRIVER = 'policy-nftables';
/**
 * `nft -f -` reads all of stdin before it parses; given a file, it parses as the text arrives. A
 * pipe opened by path is such a file, but a child's stdin from node is a socket (which cannot be
 * opened by path), hence `cat` between them. The exit status is nft's.
 */
export const NFT_FROM_PIPE = 'cat | exec nft -f /proc/self/fd/0';
/** Ends a script that must not commit (rendering failed midway): a line nft rejects as a syntax error. */
export const NFT_ABORT = '\n= calico-abort\n';

type Tables<T> = Record<NftFamily, T | undefined>;

/** nft processes a split first load runs at once (one per CPU, at most 4). */
const SPLIT_WAYS = Math.min(4, availableParallelism());

/** Rules in the rulesets (before rendering), to guess whether a first load will be split. */
function ruleCountOf(rulesets: PolicyRulesets): number {
  let n = 0;
  for (const rs of [rulesets.v4, rulesets.v6]) for (const c of rs?.chains ?? []) n += c.rules.length;
  return n;
}

/** An `nft -f -` waiting for its script: send it (resolves when committed) or cancel it. */
interface EarlyLoad {
  send(script: string): Promise<void>;
  cancel(): void;
}

/** A streamed load given up because the kernel holds a table we want (the pass diffs instead). */
class TablesExist extends Error {}

function rulesetOf(rulesets: PolicyRulesets, family: NftFamily): Ruleset | undefined {
  return family === 'ip' ? rulesets.v4 : rulesets.v6;
}

/** Both families' parts in order, each tagged; returns the built tables. */
function* allParts(rulesets: PolicyRulesets): Generator<[NftFamily, TablePart], Tables<NftTable>> {
  const built: Tables<NftTable> = { ip: undefined, ip6: undefined };
  for (const family of FAMILIES) {
    const rs = rulesetOf(rulesets, family);
    if (!rs) continue;
    const parts = tableParts(rs);
    for (let step = parts.next(); ; step = parts.next()) {
      if (step.done) {
        built[family] = step.value;
        break;
      }
      yield [family, step.value];
    }
  }
  return built;
}

/** `lastRebuild` of a load that writes every wanted table whole. */
function missingTables(built: Tables<NftTable>): string {
  return FAMILIES.filter((f) => built[f])
    .map((f) => `${f}: the table is missing`)
    .join('; ');
}

/** Kernel operations of writing every wanted table whole and deleting the unwanted ones. */
function fullChanges(built: Tables<NftTable>, kernel: Tables<KernelTable>): number {
  return FAMILIES.reduce((n, f) => n + (built[f] ? fullTableChanges(built[f]) : kernel[f] ? 1 : 0), 0);
}

export class NftPolicyBackend implements PolicyBackend {
  readonly name = 'nftables' as const;
  private readonly runner: Runner;
  private desired?: PolicyRulesets;
  /** Rendered once per setDesired. */
  private built?: Tables<NftTable>;
  /** The kernel as our last successful pass left it; undefined = read it first. */
  private known?: Tables<KernelTable>;
  /** The `nft -i` of fast passes (when the runner can spawn one). */
  private session?: NftSession;
  /** Why the last pass replaced a table (for logs and tests). */
  lastRebuild?: string;

  private readonly streamLoad: boolean;
  private readonly splitMinRules: number;

  constructor(opts: PolicyBackendOptions) {
    this.runner = opts.runner;
    this.streamLoad = opts.nftStreamLoad ?? false;
    this.splitMinRules = opts.nftSplitMinRules ?? SPLIT_MIN_RULES;
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

  /** Runs a transaction; any failure leaves our picture of the kernel stale: read it next time. */
  private async applying(apply: () => Promise<void>): Promise<void> {
    try {
      await apply();
    } catch (e) {
      this.known = undefined;
      throw e;
    }
  }

  private apply(script: string): Promise<void> {
    if (!script) return Promise.resolve();
    return this.applying(async () => {
      await mustRun(this.runner, 'nft', ['-f', '-'], script);
    });
  }

  /** A fast pass's script: through the session when there is one and the script is not huge. */
  private applyFast(script: string): Promise<void> {
    if (!script) return Promise.resolve();
    if (!this.runner.spawn || script.length > SESSION_MAX_LINE) return this.apply(script);
    const session = this.sessionOf(this.runner.spawn);
    return this.applying(() => session.transact(script.trimEnd().split('\n')));
  }

  private sessionOf(spawn: NonNullable<Runner['spawn']>): NftSession {
    return (this.session ??= new NftSession(spawn, this.runner.timeoutMs));
  }

  /** What applying `built` leaves in the kernel (derived while nft works, kept once it succeeded). */
  private expected(built: Tables<NftTable>): Tables<KernelTable> {
    return { ip: built.ip && expectedKernel(built.ip), ip6: built.ip6 && expectedKernel(built.ip6) };
  }

  /**
   * `nft -f -` started before its script exists, so its start-up (nsenter, nft's own) overlaps the
   * rendering; nft parses only after the end of its input. undefined without `runner.spawn`.
   */
  private startLoad(): EarlyLoad | undefined {
    if (!this.runner.spawn) return undefined;
    let give!: (script: string | undefined) => void;
    const script = new Promise<string | undefined>((resolve) => (give = resolve));
    const cancelled = new Error('cancelled');
    async function* input(): AsyncGenerator<string> {
      const s = await script;
      // Cancelled: the line nft rejects ends the input (abortWith), so nothing commits.
      if (s === undefined) throw cancelled;
      yield s;
    }
    const result = runStreamed(this.runner, 'nft', ['-f', '-'], input(), { abortWith: NFT_ABORT });
    result.catch(() => undefined);
    return {
      send: (s) => {
        give(s);
        return this.applying(async () => {
          const r = await result;
          if (r.code !== 0)
            throw new DataplaneError('command', `nft -f - failed (exit ${r.code}): ${r.stderr.trim()}`);
        });
      },
      cancel: () => give(undefined),
    };
  }

  async reconcile(opts: PolicyReconcileOptions = {}): Promise<ReconcileReport> {
    const desired = this.desired;
    if (!desired) return { driver: DRIVER, changes: 0, waiting: [] };
    const known = this.known;
    if (opts.full || !known) return this.fullPass(desired);
    const built = (this.built ??= buildTables(desired));
    const plan = planTables(built, known);
    this.lastRebuild = plan.rebuilt;
    const applied = this.applyFast(plan.script);
    const after = this.expected(built);
    await applied;
    this.known = after;
    return { driver: DRIVER, changes: plan.changes, waiting: [] };
  }

  /**
   * Reads the kernel and diffs. When these rulesets are not rendered yet (start-up, new rulesets)
   * and the runner can spawn, the rendering goes to nft as it is produced, while the read still
   * runs: if the read finds no table for any family we want, that script is finished and
   * committed; otherwise it ends with a line nft rejects (nothing commits) and the pass diffs.
   */
  private async fullPass(desired: PolicyRulesets): Promise<ReconcileReport> {
    const reading = this.readKernel();
    // Observed here so a failed read never goes unhandled; every path below awaits it.
    reading.catch(() => undefined);
    if (!this.built && this.runner.spawn && this.streamLoad) {
      // The next (fast) pass should not pay for starting nft -i: it starts now, next to the read.
      this.sessionOf(this.runner.spawn).warm();
      const streamed = await this.streamTables(reading, allParts(desired));
      if (streamed) return streamed;
    }
    // A periodic drift check with nothing new to render rarely has anything to apply: spawn nft
    // early only when a load is likely (new rulesets, or a kernel we know nothing about).
    const load = !this.built || !this.known ? this.startLoad() : undefined;
    // A big first load may be split (see nft-first-load.ts): its other nft processes start now too
    // (with `load`, one per part and one for the tail).
    const splitLoads =
      load && !this.known && SPLIT_WAYS > 1 && ruleCountOf(desired) >= this.splitMinRules
        ? Array.from({ length: SPLIT_WAYS }, () => this.startLoad()!)
        : [];
    let built: Tables<NftTable>;
    let kernel: Tables<KernelTable>;
    try {
      built = this.built ??= buildTables(desired);
      kernel = await reading;
    } catch (e) {
      load?.cancel();
      for (const l of splitLoads) l.cancel();
      await reading.catch(() => undefined);
      throw e;
    }
    if (
      load &&
      splitLoads.length &&
      FAMILIES.every((f) => !built[f] || !kernel[f]) &&
      worthSplitting(built, SPLIT_WAYS, this.splitMinRules)
    ) {
      // Every wanted table is missing: no diff to plan (rendering one would cost a whole script).
      const unwanted = FAMILIES.filter((f) => !built[f] && kernel[f]);
      const applied = this.splitLoad(firstLoadScripts(built, SPLIT_WAYS, unwanted), [load, ...splitLoads]);
      if (this.runner.spawn) this.sessionOf(this.runner.spawn).warm();
      this.lastRebuild = missingTables(built);
      const after = this.expected(built);
      await applied;
      this.known = after;
      return { driver: DRIVER, changes: fullChanges(built, kernel), waiting: [] };
    }
    let plan: NftPlan;
    try {
      plan = planTables(built, kernel);
    } catch (e) {
      load?.cancel();
      for (const l of splitLoads) l.cancel();
      throw e;
    }
    this.lastRebuild = plan.rebuilt;
    for (const l of splitLoads) l.cancel();
    let applied: Promise<void>;
    if (!load) applied = this.apply(plan.script);
    else if (plan.script) applied = load.send(plan.script);
    else {
      load.cancel();
      applied = Promise.resolve();
    }
    // While nft works: start nft -i for the next (fast) pass, and derive what the kernel will hold.
    if (this.runner.spawn) this.sessionOf(this.runner.spawn).warm();
    const after = this.expected(built);
    await applied;
    this.known = after;
    return { driver: DRIVER, changes: plan.changes, waiting: [] };
  }

  /**
   * A split first load: the parts at once (each its own nft), then the tail that hooks the tables
   * in. On a failure nothing is hooked: once every part has ended, the inert tables are removed
   * (best effort; the tail's transaction commits whole or not at all) and the next pass reads the
   * kernel.
   */
  private async splitLoad(s: FirstLoadScripts, loads: EarlyLoad[]): Promise<void> {
    const parts = loads.slice(0, s.parts.length);
    const tail = loads[loads.length - 1];
    for (const l of loads.slice(s.parts.length, -1)) l.cancel();
    const ended = await Promise.allSettled(parts.map((l, i) => l.send(s.parts[i])));
    const failed = ended.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    try {
      if (failed) throw failed.reason;
      if (s.tail) await tail.send(s.tail);
      else tail.cancel();
    } catch (e) {
      tail.cancel();
      await this.apply(FAMILIES.map(deleteTableScript).join('')).catch(() => undefined);
      this.known = undefined;
      throw e;
    }
  }

  /**
   * Writes the wanted tables whole (and deletes unwanted ones) while they render; undefined when
   * the read found a wanted table (then nothing committed, and `this.built` holds the rendering).
   */
  private async streamTables(
    reading: Promise<Tables<KernelTable>>,
    parts: Generator<[NftFamily, TablePart], Tables<NftTable>>,
  ): Promise<ReconcileReport | undefined> {
    let built: Tables<NftTable> | undefined;
    let kernel: Tables<KernelTable> | undefined;
    const exist = new TablesExist();
    async function* script(): AsyncGenerator<string> {
      const opened = new Set<NftFamily>();
      for (let step = parts.next(); ; step = parts.next()) {
        if (step.done) {
          built = step.value;
          break;
        }
        const [family, part] = step.value;
        if (!opened.has(family)) {
          // Families come one after the other: a new one closes the block of the previous one.
          yield (opened.size ? TABLE_END : '') + replaceTableHead(family) + tableStart(family);
          opened.add(family);
        }
        yield partText(part);
      }
      const k = (kernel = await reading);
      if (FAMILIES.some((f) => built![f] && k[f])) throw exist;
      if (opened.size) yield TABLE_END;
      for (const f of FAMILIES) {
        // A wanted table with nothing in it; a table we do not want.
        if (built[f] && !opened.has(f)) yield replaceTableHead(f) + tableStart(f) + TABLE_END;
        if (!built[f] && k[f]) yield deleteTableScript(f);
      }
    }
    try {
      const r = await runStreamed(this.runner, 'sh', ['-c', NFT_FROM_PIPE], script(), {
        abortWith: NFT_ABORT,
      });
      if (r.code !== 0) {
        throw new DataplaneError('command', `nft -f failed (exit ${r.code}): ${r.stderr.trim()}`);
      }
    } catch (e) {
      if (e === exist) {
        this.built = built;
        return undefined;
      }
      // A render or read error committed nothing; a refused or timed-out load leaves the kernel
      // uncertain: read it next time.
      this.known = undefined;
      await reading.catch(() => undefined);
      throw e;
    }
    this.built = built!;
    this.lastRebuild = missingTables(built!);
    this.known = this.expected(built!);
    return { driver: DRIVER, changes: fullChanges(built!, kernel!), waiting: [] };
  }

  async remove(): Promise<void> {
    await this.apply(FAMILIES.map(deleteTableScript).join(''));
    this.known = { ip: undefined, ip6: undefined };
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.close();
  }
}
