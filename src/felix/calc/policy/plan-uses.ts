/**
 * What the endpoint plans jump to, counted: policy and profile chains per direction, policy-group
 * chains, the raw and mangle tables. Kept up to date as plans come and go, so an update that
 * re-plans a few endpoints does not re-walk every plan (20k entries at 500 endpoints).
 */
import type { Chain } from './ruleset.js';
import type { EndpointPlan } from './endpoint-plan.js';
import type { Direction } from './names.js';

/** Reference counts per direction: [ingress, egress]. */
export type DirCounts = [number, number];

export class PlanUses {
  readonly policies = new Map<string, DirCounts>();
  readonly profiles = new Map<string, DirCounts>();
  readonly groups = new Map<Chain, number>();
  private rawPlans = 0;
  private manglePlans = 0;

  get raw(): boolean {
    return this.rawPlans > 0;
  }

  get mangle(): boolean {
    return this.manglePlans > 0;
  }

  /** Counts `plan` in (+1) or out (-1). Add the new plan before removing the old one. */
  count(plan: EndpointPlan, sign: 1 | -1): void {
    countPairs(this.policies, plan.policies, sign);
    countPairs(this.profiles, plan.profiles, sign);
    for (const g of plan.groups) this.groups.set(g, (this.groups.get(g) ?? 0) + sign);
    if (plan.raw) this.rawPlans += sign;
    if (plan.mangle) this.manglePlans += sign;
  }

  /** Drops what no plan uses any more (after the round's counting, so map order stays stable). */
  prune(): void {
    for (const [k, c] of this.policies) if (c[0] <= 0 && c[1] <= 0) this.policies.delete(k);
    for (const [k, c] of this.profiles) if (c[0] <= 0 && c[1] <= 0) this.profiles.delete(k);
    for (const [g, n] of this.groups) if (n <= 0) this.groups.delete(g);
  }
}

function countPairs(m: Map<string, DirCounts>, pairs: readonly [string, Direction][], sign: 1 | -1): void {
  for (const [key, dir] of pairs) {
    let c = m.get(key);
    if (!c) m.set(key, (c = [0, 0]));
    c[dir === 'ingress' ? 0 : 1] += sign;
  }
}
