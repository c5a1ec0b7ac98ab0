import { BUILTIN_TIERS } from '../../api/index.js';
import { OperationNotSupportedError } from '../../errors/index.js';
import type { KindRules } from './kind-rules.js';

const TIERED_KINDS = [
  'NetworkPolicy',
  'GlobalNetworkPolicy',
  'StagedNetworkPolicy',
  'StagedGlobalNetworkPolicy',
];

export const tierRules: KindRules = {
  async beforeDelete(client, current, resourceVersion) {
    const name = current.metadata.name ?? '';
    if (BUILTIN_TIERS.some((t) => t.metadata.name === name)) {
      throw new OperationNotSupportedError('Delete', name, `Cannot delete ${name} tier`);
    }
    for (const kind of TIERED_KINDS) {
      for (const p of (await client.list(kind)).items) {
        if (((p.spec as { tier?: string } | undefined)?.tier || 'default') === name) {
          throw new OperationNotSupportedError('delete', name, 'Cannot delete a non-empty tier');
        }
      }
    }
    return resourceVersion;
  },
};
