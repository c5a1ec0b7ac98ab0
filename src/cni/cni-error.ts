/**
 * CNI errors: what a plugin prints on stdout (with exit status 1) when a command fails. Codes below
 * 100 are the CNI specification's; 100 and up are Calico's own.
 */
import { CalicoError } from '../errors/index.js';

export const CniCode = {
  INCOMPATIBLE_VERSION: 1,
  UNSUPPORTED_FIELD: 2,
  UNKNOWN_CONTAINER: 3,
  INVALID_ENV: 4,
  IO_FAILURE: 5,
  DECODE: 6,
  INVALID_NETCONF: 7,
  TRY_AGAIN_LATER: 11,
  /** STATUS: the plugin cannot serve ADDs now. */
  NOT_AVAILABLE: 50,
  /** Anything Calico-specific without a more precise code (Calico's own catch-all). */
  CALICO: 100,
  /** ClusterInformation says the datastore is not ready (an upgrade or restore is in progress). */
  DATASTORE_NOT_READY: 101,
  /** No pool can serve the request (none configured, none matches, disabled, wrong family). */
  NO_POOL: 102,
  /** Pools exist but IPAM could not assign everything asked for (exhausted, block limit). */
  IPAM_EXHAUSTED: 103,
  /** Wiring the pod in the kernel failed. */
  DATAPLANE: 104,
  /** CHECK found the pod's wiring or records different from what ADD set up. */
  CHECK_FAILED: 105,
  /** A host route for the pod's address already exists through another interface. */
  ROUTE_CONFLICT: 106,
  /** Any unexpected failure (a bug): skel's ErrInternal. */
  INTERNAL: 999,
} as const;

export type CniCodeValue = (typeof CniCode)[keyof typeof CniCode];

export class CniError extends Error {
  constructor(
    readonly cniCode: number,
    message: string,
    /** What to do about it, or the underlying error's text. */
    readonly details?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CniError';
  }
}

/** The JSON a failed command prints. */
export function errorJSON(e: CniError, cniVersion: string): string {
  const out: Record<string, unknown> = { cniVersion, code: e.cniCode, msg: e.message };
  if (e.details) out.details = e.details;
  return JSON.stringify(out);
}

/** Maps any thrown value onto a CNI error: datastore outages are "try again later". */
export function toCniError(e: unknown, context?: string): CniError {
  if (e instanceof CniError)
    return context ? new CniError(e.cniCode, `${context}: ${e.message}`, e.details) : e;
  const prefix = context ? `${context}: ` : '';
  if (e instanceof CalicoError) {
    const code =
      e.code === 'DATASTORE' || e.code === 'DATASTORE_TIMEOUT'
        ? CniCode.TRY_AGAIN_LATER
        : e.code === 'CONFIG' || e.code === 'DECODE'
          ? CniCode.INVALID_NETCONF
          : CniCode.CALICO;
    const hint =
      e.hint ??
      (code === CniCode.TRY_AGAIN_LATER
        ? 'check that etcd is running and reachable from this host (etcd_endpoints), then retry'
        : undefined);
    return new CniError(code, prefix + e.message, hint, { cause: e });
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new CniError(CniCode.INTERNAL, prefix + msg, undefined, { cause: e });
}
