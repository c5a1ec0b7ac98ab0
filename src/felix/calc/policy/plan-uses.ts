/**
 * What the endpoint plans jump to, counted: policy and profile chains per direction, policy-group
 * chains, the raw and mangle tables. Kept up to date as plans come and go, so an update that
 * re-plans a few endpoints does not re-walk every plan (20k entries at 500 endpoints). Counts are
 * of templates, not plans: a policy's count is the number of templates in use that jump to it.
 */
import type { Chain } from './ruleset.js';
import type { EndpointPlan, PlanTemplate } from './endpoint-plan.js';
import type { Direction } from './names.js';

/** Reference counts per direction: [ingress, egress]. */
export type DirCounts = [number, number];

export class PlanUses {
  readonly policies = new Map<string, DirCounts>();
  readonly profiles = new Map<string, DirCounts>();
  readonly groups = new Map<Chain, number>();
  /** Plans per template. */
  private readonly templates = new Map<PlanTemplate, number>();
  private rawPlans = 0;
  private manglePlans = 0;
  /** Keys whose count dropped to zero this round: the only ones prune may delete. */
  private readonly zeroPolicies = new Set<string>();
  private readonly zeroProfiles = new Set<string>();
  private readonly zeroGroups = new Set<Chain>();
  /** Keys whose count in some direction went from zero to more or back since the last take. */
  private crossedPolicies = new Set<string>();
  private crossedProfiles = new Set<string>();

  get raw(): boolean {
    return this.rawPlans > 0;
  }

  get mangle(): boolean {
    return this.manglePlans > 0;
  }

  /**
   * Counts `plan` in (+1) or out (-1). Add the new plan before removing the old one. Plans are
   * counted per template (shared by many endpoints); what a template jumps to is counted when its
   * first plan comes and its last goes.
   */
  count(plan: EndpointPlan, sign: 1 | -1): void {
    if (plan.raw) this.rawPlans += sign;
    if (plan.mangle) this.manglePlans += sign;
    const t = plan.template;
    const before = this.templates.get(t) ?? 0;
    const after = before + sign;
    if (after > 0) this.templates.set(t, after);
    else this.templates.delete(t);
    if (before > 0 === after > 0) return;
    countPairs(this.policies, t.policies, sign, this.zeroPolicies, this.crossedPolicies);
    countPairs(this.profiles, t.profiles, sign, this.zeroProfiles, this.crossedProfiles);
    for (const g of t.groups) {
      const n = (this.groups.get(g) ?? 0) + sign;
      this.groups.set(g, n);
      if (n <= 0) this.zeroGroups.add(g);
    }
  }

  takeCrossedPolicies(): Set<string> {
    const c = this.crossedPolicies;
    this.crossedPolicies = new Set();
    return c;
  }

  takeCrossedProfiles(): Set<string> {
    const c = this.crossedProfiles;
    this.crossedProfiles = new Set();
    return c;
  }

  /** Drops what no plan uses any more (after the round's counting, so map order stays stable). */
  prune(): void {
    pruneZero(this.policies, this.zeroPolicies);
    pruneZero(this.profiles, this.zeroProfiles);
    for (const g of this.zeroGroups) if (this.groups.get(g)! <= 0) this.groups.delete(g);
    this.zeroGroups.clear();
  }
}

function countPairs(
  m: Map<string, DirCounts>,
  pairs: readonly [string, Direction][],
  sign: 1 | -1,
  zero: Set<string>,
  crossed: Set<string>,
): void {
  for (const [key, dir] of pairs) {
    let c = m.get(key);
    if (!c) m.set(key, (c = [0, 0]));
    const i = dir === 'ingress' ? 0 : 1;
    const before = c[i];
    const after = (c[i] += sign);
    if (after <= 0) zero.add(key);
    if (before <= 0 !== after <= 0) crossed.add(key);
  }
}

function pruneZero(m: Map<string, DirCounts>, zero: Set<string>): void {
  for (const k of zero) {
    const c = m.get(k);
    if (c && c[0] <= 0 && c[1] <= 0) m.delete(k);
  }
  zero.clear();
}
