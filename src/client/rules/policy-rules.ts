import type { KindRules } from './kind-rules.js';

/** A policy's tier must exist when the policy is created (Calico re-checks it only on create). */
export const policyRules: KindRules = {
  async beforeCreate(client, r) {
    const tier = (r.spec as { tier?: string } | undefined)?.tier || 'default';
    await client.get('Tier', tier);
  },
};
