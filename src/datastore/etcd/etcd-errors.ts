/**
 * Turns what the etcd3 / grpc-js stack throws into our DatastoreErrors, and decides which failures
 * may be retried. The stack reports everything as grpc statuses with free-text messages, so the
 * classification reads both.
 */
import {
  ClientClosedError,
  EtcdAuthenticationFailedError,
  EtcdPermissionDeniedError,
  GRPCDeadlineExceededError,
  GRPCUnauthenticatedError,
  GRPCUnavailableError,
} from 'etcd3';
import { DatastoreError } from '../../errors/index.js';

export type FailureKind =
  | 'not-connected' // the request never left this process: always safe to retry
  | 'unavailable' // the connection broke or etcd had no leader: retry reads only
  | 'deadline'
  | 'tls'
  | 'auth'
  | 'closed'
  | 'other';

export function classify(e: unknown): FailureKind {
  if (e instanceof ClientClosedError) return 'closed';
  if (e instanceof EtcdAuthenticationFailedError || e instanceof GRPCUnauthenticatedError) return 'auth';
  if (e instanceof EtcdPermissionDeniedError) return 'auth';
  if (e instanceof GRPCDeadlineExceededError) return 'deadline';
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof GRPCUnavailableError || /UNAVAILABLE/.test(msg)) {
    if (/SSL|certificate|tls|handshake/i.test(msg)) return 'tls';
    if (/No connection established|ECONNREFUSED|Failed to connect|Name resolution failed/i.test(msg)) {
      return 'not-connected';
    }
    return 'unavailable';
  }
  return 'other';
}

/** The useful part of a grpc-js message ("14 UNAVAILABLE: No connection established. Last error: ..."). */
export function grpcDetail(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const last =
    /Last error: (?:Error: )?([\s\S]*?)(?:\s*\(\d{4}-\d\d-\d\dT[^)]*\))?\.?\s*Resolution note:/.exec(msg);
  const detail = last ? last[1].trim() : msg.replace(/^\d+ [A-Z_]+: /, '').trim();
  return opensslReason(detail);
}

/**
 * OpenSSL errors arrive as "80AC...:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad
 * certificate:../deps/...:SSL alert number 42": keep the reason and say what it usually means.
 */
function opensslReason(detail: string): string {
  const m = /SSL routines:[^:]*:([^:]+):/.exec(detail);
  if (!m) return detail;
  const reason = m[1].trim();
  if (/alert (bad certificate|certificate required|unknown ca|certificate unknown)/.test(reason)) {
    return `${reason} (etcd rejected the client certificate, or none was sent)`;
  }
  return reason;
}

export const ENDPOINT_HINT =
  'check ETCD_ENDPOINTS (or etcdEndpoints in the calicoctl config) and that etcd is running: ' +
  'etcdctl --endpoints=<endpoints> endpoint health';

export const TLS_HINT =
  'check the CA certificate and the client certificate/key given to calico-ts ' +
  '(ETCD_CA_CERT_FILE, ETCD_CERT_FILE, ETCD_KEY_FILE or etcdCACertFile/etcdCertFile/etcdKeyFile in the config file)';

export function timeoutError(
  endpoints: string[],
  waitedMs: number,
  op: string,
  reason: 'connect' | 'answer',
  cause?: unknown,
): DatastoreError {
  const where = endpoints.join(',');
  const message =
    reason === 'connect'
      ? `could not connect to etcd at ${where} within ${waitedMs} ms (${op})` +
        (cause ? `: ${grpcDetail(cause)}` : '')
      : `timed out after ${waitedMs} ms waiting for etcd at ${where} to answer (${op})`;
  return new DatastoreError(message, ENDPOINT_HINT, cause, 'DATASTORE_TIMEOUT');
}

/** A DatastoreError for a failure that is not retried (or no longer retried). */
export function datastoreError(endpoints: string[], op: string, e: unknown): DatastoreError {
  const where = endpoints.join(',');
  switch (classify(e)) {
    case 'tls':
      return new DatastoreError(`TLS connection to etcd at ${where} failed: ${grpcDetail(e)}`, TLS_HINT, e);
    case 'auth':
      return new DatastoreError(
        `etcd at ${where} refused the request (${op}): ${grpcDetail(e)}`,
        'check ETCD_USERNAME / ETCD_PASSWORD (etcdUsername / etcdPassword) and the etcd user’s roles',
        e,
      );
    case 'closed':
      return new DatastoreError('the etcd datastore client is closed', undefined, e);
    case 'unavailable':
      return new DatastoreError(
        `etcd at ${where} became unavailable during ${op}: ${grpcDetail(e)}` +
          ' (a write may or may not have been applied)',
        'read the key again before retrying',
        e,
      );
    default:
      return new DatastoreError(`etcd request failed (${op}): ${grpcDetail(e)}`, undefined, e);
  }
}
