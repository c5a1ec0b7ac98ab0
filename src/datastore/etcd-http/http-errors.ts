/**
 * What can go wrong talking to etcd's JSON gateway, classified by what may be retried, and the
 * DatastoreErrors we report (worded as the gRPC backend words them, so messages do not depend on the
 * transport). Loaded on the first failure: a process whose calls all succeed never pays for it.
 */
import { DatastoreError } from '../../errors/index.js';
import type { Failure } from './http-transport.js';
import type { GatewayError } from './wire.js';

export type FailureKind =
  | 'not-connected' // the request never left this process: always safe to retry
  | 'unavailable' // the connection broke or etcd could not serve it: retry reads only
  | 'connect-timeout' // no connection within the dial timeout
  | 'deadline' // connected, but no answer in time
  | 'token' // the auth token expired or is unknown to this member: authenticate again
  | 'tls'
  | 'gateway' // etcd's JSON gateway cannot reach etcd's own gRPC server
  | 'protocol' // the answer did not come from etcd's JSON gateway
  | 'auth'
  | 'other';

/** One failed attempt against one endpoint. */
export class AttemptError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'AttemptError';
  }
}

const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOENT', // unix socket file missing
  'EACCES',
  'ENOTSOCK',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const CERT_CODES =
  /^(ERR_SSL_|ERR_TLS_|UNABLE_TO_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;

/** Classifies what the transport saw. */
export function classify(f: Failure): AttemptError {
  switch (f.type) {
    case 'socket':
      return socketFailure(f.error, f.connected);
    case 'status':
      return gatewayFailure(f.status, f.body, f.secure);
    case 'timeout':
      return f.connected
        ? new AttemptError('deadline', `no answer from ${f.url}`)
        : new AttemptError('connect-timeout', `connection to ${f.url} timed out`);
    case 'ended':
      return new AttemptError('unavailable', `${f.url} ended the watch stream`);
  }
}

/** Node's socket errors; connection attempts to several addresses arrive as an AggregateError. */
function first(e: unknown): NodeJS.ErrnoException {
  if (e instanceof AggregateError && e.errors.length > 0) return e.errors[0] as NodeJS.ErrnoException;
  return e as NodeJS.ErrnoException;
}

/** Classifies a socket-level error; `connected` says whether the request may have reached etcd. */
export function socketFailure(e: unknown, connected: boolean): AttemptError {
  const err = first(e);
  const code = err?.code ?? '';
  const message = err?.message || String(e);
  if (CERT_CODES.test(code) || /SSL routines|certificate/i.test(message)) {
    return new AttemptError('tls', opensslReason(message), e);
  }
  if (!connected && (NOT_CONNECTED.has(code) || code === 'ECONNRESET' || code === 'EPIPE')) {
    return new AttemptError('not-connected', message, e);
  }
  return new AttemptError('unavailable', message, e);
}

/**
 * OpenSSL errors read "80AC...:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad
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

// grpc status codes the gateway reports in its error bodies.
const DEADLINE_EXCEEDED = 4;
const PERMISSION_DENIED = 7;
const UNAVAILABLE = 14;
const UNAUTHENTICATED = 16;

/** Classifies a non-200 answer from the gateway (a grpc status in JSON, or some other server's page). */
export function gatewayFailure(status: number, body: string, secure: boolean): AttemptError {
  let parsed: GatewayError | undefined;
  try {
    const v: unknown = JSON.parse(body);
    if (v && typeof v === 'object') parsed = v as GatewayError;
  } catch {
    // not the gateway: reported below with the HTTP status
  }
  const text = parsed?.message || parsed?.error;
  if (!parsed || !text) {
    const snippet = body.trim().slice(0, 200);
    return new AttemptError(
      'protocol',
      `HTTP ${status}${snippet ? `: ${snippet}` : ''} (is this etcd 3.4 or later, serving the v3 JSON gateway?)`,
    );
  }
  const code = parsed.code ?? parsed.grpc_code;
  if (secure && status === 503 && code === UNAVAILABLE && GATEWAY_SELF_DIAL.test(text)) {
    // The gateway dials etcd's own TLS port presenting etcd's *server* certificate; with
    // --client-cert-auth, etcd refuses it unless it also allows client auth. It never heals by itself.
    return new AttemptError('gateway', GATEWAY_TLS);
  }
  return new AttemptError(grpcKind(code, text), text);
}

/** grpc-go's words for "the TLS connection to myself failed" (the first attempt, then the later ones). */
const GATEWAY_SELF_DIAL =
  /^connection closed$|^connection error: desc = "transport: (failed to write client preface|error reading server preface|authentication handshake failed)/;

const GATEWAY_TLS =
  'its JSON gateway could not connect to etcd itself; with --client-cert-auth, etcd ' +
  'presents its server certificate to itself as a client certificate, so that certificate needs the ' +
  'clientAuth extended key usage';

export function grpcKind(code: number | undefined, text: string): FailureKind {
  if (/invalid auth token|auth revision is old/.test(text)) return 'token';
  if (code === UNAUTHENTICATED || code === PERMISSION_DENIED) return 'auth';
  if (/authentication failed|user name is empty|permission denied|user name not found/.test(text)) {
    return 'auth';
  }
  if (code === UNAVAILABLE || code === DEADLINE_EXCEEDED) return 'unavailable';
  return 'other';
}

export const ENDPOINT_HINT =
  'check ETCD_ENDPOINTS (or etcdEndpoints in the calicoctl config) and that etcd is running: ' +
  'etcdctl --endpoints=<endpoints> endpoint health';

export const TLS_HINT =
  'check the CA certificate and the client certificate/key given to calico-ts ' +
  '(ETCD_CA_CERT_FILE, ETCD_CERT_FILE, ETCD_KEY_FILE or etcdCACertFile/etcdCertFile/etcdKeyFile in the config file)';

export const AUTH_HINT =
  'check ETCD_USERNAME / ETCD_PASSWORD (etcdUsername / etcdPassword) and the etcd user’s roles';

export function timeoutError(
  where: string,
  waitedMs: number,
  op: string,
  reason: 'connect' | 'answer',
  cause?: AttemptError,
): DatastoreError {
  const message =
    reason === 'connect'
      ? `could not connect to etcd at ${where} within ${waitedMs} ms (${op})` +
        (cause ? `: ${cause.message}` : '')
      : `timed out after ${waitedMs} ms waiting for etcd at ${where} to answer (${op})`;
  return new DatastoreError(message, ENDPOINT_HINT, cause, 'DATASTORE_TIMEOUT');
}

/** A DatastoreError for a failure that is not (or no longer) retried. */
export function datastoreError(where: string, op: string, e: AttemptError): DatastoreError {
  switch (e.kind) {
    case 'tls':
      return new DatastoreError(`TLS connection to etcd at ${where} failed: ${e.message}`, TLS_HINT, e);
    case 'gateway':
      return new DatastoreError(
        `etcd at ${where} cannot serve the v3 JSON API (${op}): ${e.message}`,
        'issue etcd’s server certificate with extendedKeyUsage serverAuth,clientAuth (see etcd-io/etcd#15755)',
        e,
      );
    case 'auth':
    case 'token':
      return new DatastoreError(`etcd at ${where} refused the request (${op}): ${e.message}`, AUTH_HINT, e);
    case 'unavailable':
      return new DatastoreError(
        `etcd at ${where} became unavailable during ${op}: ${e.message}` +
          ' (a write may or may not have been applied)',
        'read the key again before retrying',
        e,
      );
    default:
      return new DatastoreError(`etcd request failed (${op}): ${e.message}`, undefined, e);
  }
}
