/** `calicoctl ipam configure --strictaffinity=… [--max-blocks-per-host=N] [--kubevirt-ip-persistence=…] [--ip-cooldown-seconds=N]`. */
import type { IPAMConfig } from '../../../ipam/model.js';
import type { GlobalOptions } from '../../context.js';
import { CommandError, type CtlIO } from '../../io.js';
import { withIPAM } from './session.js';

export interface ConfigureOptions extends GlobalOptions {
  strictaffinity?: string;
  maxBlocksPerHost?: string;
  kubevirtIpPersistence?: string;
  ipCooldownSeconds?: string;
}

/** Go's strconv.ParseBool. */
function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/** Go's strconv.ParseInt(s, 10, 32). */
function parseInt32(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : undefined;
}

type Change = { [K in keyof IPAMConfig]?: IPAMConfig[K] };

function parseChanges(opts: ConfigureOptions): Change {
  const c: Change = {};
  if (opts.strictaffinity) {
    const v = parseGoBool(opts.strictaffinity);
    if (v === undefined) throw new CommandError('invalid value. Use true or false to set strictaffinity');
    c.strictAffinity = v;
  }
  if (opts.maxBlocksPerHost) {
    const v = parseInt32(opts.maxBlocksPerHost);
    if (v === undefined) throw new CommandError('invalid value for maxblockhost. Use a valid number');
    c.maxBlocksPerHost = v;
  }
  if (opts.kubevirtIpPersistence) {
    const v = opts.kubevirtIpPersistence;
    if (v !== 'Enabled' && v !== 'Disabled') {
      throw new CommandError('invalid value for --kubevirt-ip-persistence. Use Enabled or Disabled');
    }
    c.kubeVirtVMAddressPersistence = v;
  }
  if (opts.ipCooldownSeconds) {
    const v = parseInt32(opts.ipCooldownSeconds);
    if (v === undefined || v < 0 || v > 1200) {
      throw new CommandError('invalid value for --ip-cooldown-seconds. Use a number from 0 to 1200');
    }
    c.ipCooldownSeconds = v;
  }
  if (Object.keys(c).length === 0)
    throw new CommandError('at least one configuration option must be specified');
  return c;
}

const PRINTED: [keyof IPAMConfig, string][] = [
  ['strictAffinity', 'StrictAffinity'],
  ['maxBlocksPerHost', 'MaxBlocksPerHost'],
  ['kubeVirtVMAddressPersistence', 'KubeVirtVMAddressPersistence'],
  ['ipCooldownSeconds', 'IPCooldownSeconds'],
];

export async function runIpamConfigure(io: CtlIO, opts: ConfigureOptions): Promise<void> {
  const change = parseChanges(opts);
  await withIPAM(io, opts, async ({ ipam }) => {
    try {
      const cfg = await ipam.getIPAMConfig();
      await ipam.setIPAMConfig({ ...cfg, ...change });
    } catch (e) {
      throw new CommandError(`error: ${(e as Error).message}`);
    }
  });
  for (const [key, label] of PRINTED) {
    if (change[key] !== undefined) io.stdout(`Successfully set ${label} to: ${String(change[key])}\n`);
  }
}
