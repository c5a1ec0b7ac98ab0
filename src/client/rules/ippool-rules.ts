import { Checker, checkIPPoolUpdate, type Resource } from '../../api/index.js';
import { cidrsOverlap, formatCIDR, maskCIDR, parseCIDR } from '../../net/index.js';
import { refOf } from '../client.js';
import type { KindRules } from './kind-rules.js';

interface PoolSpec {
  cidr: string;
  disabled?: boolean;
}

export const ipPoolRules: KindRules = {
  async beforeCreate(client, r) {
    const mine = parseCIDR((r.spec as unknown as PoolSpec).cidr);
    const c = new Checker(refOf(r));
    for (const other of (await client.list('IPPool')).items) {
      // A pool of the same name is not "another" pool: its create fails as AlreadyExists.
      if (other.metadata.name === r.metadata.name) continue;
      const cidr = (other.spec as unknown as PoolSpec).cidr;
      if (cidrsOverlap(mine, parseCIDR(cidr))) {
        c.fail(
          'spec.cidr',
          formatCIDR(maskCIDR(mine)),
          `IPPool(${r.metadata.name}) CIDR overlaps with IPPool(${other.metadata.name}) CIDR ${cidr}`,
        );
      }
    }
    c.throwIfErrors();
  },

  async beforeUpdate(_client, current, r) {
    const c = new Checker(refOf(r));
    checkIPPoolUpdate(current, r, c);
    c.throwIfErrors();
  },

  /**
   * Calico disables a pool first and waits, so allocators stop using it before it disappears, then
   * releases the pool's block affinities (blocks with addresses stay, unaffine).
   */
  async beforeDelete(client, current, resourceVersion) {
    const spec = current.spec as unknown as PoolSpec;
    let rv = resourceVersion;
    if (!spec.disabled) {
      const disabled: Resource = structuredClone(current);
      (disabled.spec as unknown as PoolSpec).disabled = true;
      if (resourceVersion) disabled.metadata.resourceVersion = resourceVersion;
      const updated = await client.update(disabled);
      if (client.poolDeleteDelayMs > 0) await new Promise((res) => setTimeout(res, client.poolDeleteDelayMs));
      rv = updated.metadata.resourceVersion;
    }
    await client.ipamHooks?.releasePoolAffinities(spec.cidr);
    return rv;
  },
};
