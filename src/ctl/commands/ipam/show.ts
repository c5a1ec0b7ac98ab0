/** `calicoctl ipam show [--ip IP | --show-blocks | --show-borrowed | --show-configuration]` (ipam.md §12). */
import { isCalicoError } from '../../../errors/index.js';
import { isIPAMError } from '../../../ipam/errors.js';
import type { AllocationInfo, IPAM } from '../../../ipam/ipam-interface.js';
import type { GlobalOptions } from '../../context.js';
import { CommandError, type CtlIO } from '../../io.js';
import { ipArgument } from './ip-arg.js';
import { listBlocks, listResources } from './ipam-reads.js';
import { withIPAM } from './session.js';
import {
  findBorrowed,
  renderAssignedIP,
  renderBorrowed,
  renderConfiguration,
  renderUtilization,
} from './show-render.js';
import { computeUtilization } from './utilization.js';

export interface ShowOptions extends GlobalOptions {
  ip?: string;
  showBlocks?: boolean;
  showBorrowed?: boolean;
  showConfiguration?: boolean;
}

/** Undefined when the address is not allocated (outside every pool, no block, or a free ordinal). */
async function assignment(ipam: IPAM, ip: string): Promise<AllocationInfo | undefined> {
  try {
    return await ipam.getAssignmentAttributes(ip);
  } catch (e) {
    if (isIPAMError(e, 'inCooldown')) throw new CommandError(`address ${ip} is in cooldown`);
    if (isCalicoError(e, 'NOT_FOUND') || isIPAMError(e, 'notInPool')) return undefined;
    throw e;
  }
}

export async function runIpamShow(io: CtlIO, opts: ShowOptions): Promise<void> {
  const ip = opts.ip !== undefined ? ipArgument(opts.ip) : undefined;
  await withIPAM(io, opts, async ({ client, ipam }) => {
    if (ip !== undefined) {
      const info = await assignment(ipam, ip);
      if (!info) io.stdout(`${ip} is not assigned\n`);
      else if (info.inCooldown) throw new CommandError(`address ${ip} is in cooldown`);
      else io.stdout(renderAssignedIP(ip, info));
      return;
    }
    if (opts.showBorrowed) {
      io.stdout(renderBorrowed(findBorrowed(await listBlocks(ipam))));
      return;
    }
    if (opts.showConfiguration) {
      let cfg;
      try {
        cfg = await ipam.getIPAMConfig();
      } catch (e) {
        throw new CommandError(`error: ${(e as Error).message}`);
      }
      io.stdout(renderConfiguration(cfg));
      return;
    }
    const [pools, reservations, blocks] = await Promise.all([
      listResources(client, 'IPPool'),
      listResources(client, 'IPReservation'),
      listBlocks(ipam),
    ]);
    const usage = computeUtilization(
      pools.map((p) => ({ name: p.metadata.name ?? '', cidr: String((p.spec as { cidr?: string }).cidr) })),
      blocks,
      reservations.flatMap((r) => (r.spec as { reservedCIDRs?: string[] } | undefined)?.reservedCIDRs ?? []),
    );
    io.stdout(renderUtilization(usage, !!opts.showBlocks));
  });
}
