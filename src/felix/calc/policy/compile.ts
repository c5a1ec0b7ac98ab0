/** The from-scratch entry point: a fresh calculator's first update. */
import { PolicyCalculator } from './calculator.js';
import type { PolicyInput } from './input.js';
import type { PolicyRulesets } from './ruleset.js';

/** Compiles the policy rulesets (v4, and v6 when enabled) for `input.nodeName`. Pure. */
export function compilePolicy(input: PolicyInput): PolicyRulesets {
  return new PolicyCalculator().update(input);
}
