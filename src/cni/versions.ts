/** CNI specification versions: which we speak, and how configs name them. */
import { CniCode, CniError } from './cni-error.js';

import { LATEST_VERSION, SUPPORTED_VERSIONS, versionInfo } from './version-answer.js';

export { LATEST_VERSION, SUPPORTED_VERSIONS, versionInfo };

function parts(v: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Negative, zero or positive as a is older than, equal to or newer than b (both well formed). */
export function compareVersions(a: string, b: string): number {
  const pa = parts(a) ?? [0, 0, 0];
  const pb = parts(b) ?? [0, 0, 0];
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

export function atLeast(v: string, min: string): boolean {
  return compareVersions(v, min) >= 0;
}

/**
 * The version a config asks for: empty means 0.2.0 (as Calico and libcni treat configs that
 * predate the field); anything we do not speak is a clear error.
 */
export function resolveVersion(requested: unknown): string {
  if (requested === undefined || requested === null || requested === '') return '0.2.0';
  if (typeof requested !== 'string') {
    throw new CniError(
      CniCode.INVALID_NETCONF,
      `invalid cniVersion ${JSON.stringify(requested)}: must be a string such as "1.0.0"`,
    );
  }
  if ((SUPPORTED_VERSIONS as readonly string[]).includes(requested)) return requested;
  const supported = SUPPORTED_VERSIONS.join(', ');
  const hint = `set "cniVersion" in the network configuration to one of: ${supported}`;
  if (!parts(requested)) {
    throw new CniError(CniCode.INCOMPATIBLE_VERSION, `invalid cniVersion "${requested}"`, hint);
  }
  throw new CniError(CniCode.INCOMPATIBLE_VERSION, `unsupported CNI version "${requested}"`, hint);
}
