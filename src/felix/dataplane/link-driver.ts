/**
 * The tunnel devices: vxlan.calico (created, repaired, recreated when incompatible, deleted when
 * VXLAN is no longer in use) and tunl0 (IPIP; on a kernel without ipip it cannot exist, which is
 * reported as an error while the rest of the dataplane is still programmed).
 */
import { IPIP_DEVICE, VXLAN_DEVICE, type IPIPDevice, type VXLANDevice } from '../calc/routing/index.js';
import { DataplaneError, NO_IPIP_MESSAGE } from '../errors.js';
import type { Driver, PassContext, ReconcileReport } from './driver.js';
import { planIPIP, planVXLAN } from './link-plan.js';
import { readLinkTable } from './links.js';
import { runBatch, type Runner } from './runner.js';

export interface TunnelDevices {
  vxlan?: VXLANDevice;
  ipip?: IPIPDevice;
}

export class LinkDriver implements Driver<TunnelDevices> {
  readonly name = 'links';
  private desired: TunnelDevices = {};

  constructor(private readonly runner: Runner) {}

  setDesired(desired: TunnelDevices): void {
    this.desired = desired;
  }

  async reconcile(ctx?: PassContext): Promise<ReconcileReport> {
    const links = (ctx?.links ?? (await readLinkTable(this.runner))).links;
    let changes = await runBatch(
      this.runner,
      'ip',
      planVXLAN(VXLAN_DEVICE, this.desired.vxlan, links.get(VXLAN_DEVICE)),
    );
    const ipip = this.desired.ipip;
    let tunl0 = links.get(IPIP_DEVICE);
    if (ipip && !tunl0) {
      const r = await this.runner.run('ip', ['link', 'add', 'name', IPIP_DEVICE, 'type', 'ipip']);
      if (r.code !== 0) {
        if (/Unknown device type|not supported/i.test(r.stderr)) {
          throw new DataplaneError('unsupported', NO_IPIP_MESSAGE, {
            hint: 'set vxlanMode on the IPIP pools (and ipipMode: Never), or run on a kernel built with CONFIG_NET_IPIP',
          });
        }
        throw new DataplaneError(
          'command',
          `ip link add name ${IPIP_DEVICE} type ipip failed: ${r.stderr.trim()}`,
        );
      }
      changes++;
      tunl0 = (await readLinkTable(this.runner)).links.get(IPIP_DEVICE);
    }
    if (tunl0) changes += await runBatch(this.runner, 'ip', planIPIP(IPIP_DEVICE, ipip, tunl0));
    return { driver: this.name, changes, waiting: [] };
  }
}
