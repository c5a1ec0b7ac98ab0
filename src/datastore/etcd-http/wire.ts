/**
 * etcd's v3 messages as the gRPC gateway writes them in JSON: bytes in base64, int64 as decimal
 * strings, field names as in the .proto files, and fields at their zero value left out.
 */
import type { KV } from '../backend.js';

export interface WireKV {
  key?: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  version?: string;
}

export interface WireHeader {
  revision?: string;
}

export interface RangeResponse {
  header?: WireHeader;
  kvs?: WireKV[];
  count?: string;
}

export interface PutResponse {
  header?: WireHeader;
  prev_kv?: WireKV;
}

export interface DeleteRangeResponse {
  header?: WireHeader;
  deleted?: string;
  prev_kvs?: WireKV[];
}

export interface ResponseOp {
  response_range?: RangeResponse;
  response_put?: PutResponse;
  response_delete_range?: DeleteRangeResponse;
}

export interface TxnResponse {
  header?: WireHeader;
  succeeded?: boolean;
  responses?: ResponseOp[];
}

export interface AuthenticateResponse {
  token?: string;
}

export interface WireEvent {
  /** Absent for PUT (the enum's zero value). */
  type?: 'PUT' | 'DELETE';
  kv?: WireKV;
  prev_kv?: WireKV;
}

export interface WatchResult {
  header?: WireHeader;
  created?: boolean;
  canceled?: boolean;
  cancel_reason?: string;
  compact_revision?: string;
  events?: WireEvent[];
}

/** One line of the /v3/watch stream: a response, or the gateway reporting a stream error. */
export interface WatchMessage {
  result?: WatchResult;
  error?: GatewayError | string;
}

/** The gateway's error body (grpc status code and text). */
export interface GatewayError {
  error?: string;
  message?: string;
  code?: number;
  grpc_code?: number;
}

export interface Compare {
  key: string;
  target: 'VERSION' | 'MOD';
  result: 'EQUAL' | 'GREATER';
  version?: string;
  mod_revision?: string;
}

export interface RequestOp {
  request_range?: { key: string };
  request_put?: { key: string; value: string; prev_kv?: boolean };
  request_delete_range?: { key: string; prev_kv?: boolean };
}

export const b64 = (s: string | Buffer): string =>
  (typeof s === 'string' ? Buffer.from(s, 'utf8') : s).toString('base64');

export const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

export const rev = (s: string | undefined): bigint => (s ? BigInt(s) : 0n);

/** The store revision a response was served at (always present on success). */
export function headerRevision(r: { header?: WireHeader }): bigint {
  return rev(r.header?.revision);
}

export function toKV(kv: WireKV): KV {
  return {
    key: unb64(kv.key),
    value: unb64(kv.value),
    modRevision: rev(kv.mod_revision),
    createRevision: rev(kv.create_revision),
  };
}
