/** The pod MTU: the config's, else the one Felix writes for the enabled encapsulations. */
import { CniCode, CniError } from '../cni-error.js';
import { MTU_FILE, type NetConf } from '../netconf.js';
import type { CniDeps } from '../types.js';

export function resolveMtu(conf: NetConf, deps: Pick<CniDeps, 'readFile'>): number {
  const text = deps.readFile(MTU_FILE);
  if (text === undefined && conf.requireMtuFile) {
    throw new CniError(
      CniCode.CALICO,
      `failed to read MTU file: open ${MTU_FILE}: no such file or directory`,
      'calico-node writes the file once Felix is running: start calico-node, or unset "require_mtu_file"',
    );
  }
  if (conf.mtu > 0) return conf.mtu;
  const fromFile = text === undefined ? NaN : Number.parseInt(text.trim(), 10);
  return Number.isInteger(fromFile) && fromFile >= 68 ? fromFile : 0;
}
