/**
 * HTTP/1.1 to etcd's JSON gateway over Node's own `http` (and, only when an endpoint needs it,
 * `https`) module: nothing to parse or compile at start, which is the point of this backend.
 *
 * Unary calls share a keep-alive pool; watch streams use their own connections so a process with
 * many watches never starves its calls. Every call is bounded by requestTimeoutMs (connecting by
 * dialTimeoutMs), fails over between endpoints when one cannot be reached, and retries only what is
 * safe: anything that never reached etcd, and reads. What went wrong is recorded raw (a Failure) and
 * classified by http-errors.ts, which loads on the first failure.
 */
import * as http from 'node:http';
import type * as https from 'node:https';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { DatastoreError } from '../../errors/index.js';
import type { AttemptError } from './http-errors.js';
import type { AuthenticateResponse } from './wire.js';

/** One etcd endpoint as the HTTP client needs it: host and port, or a unix socket path. */
export interface Endpoint {
  /** As configured; used in messages. */
  url: string;
  secure: boolean;
  host: string;
  port: number;
  socketPath?: string;
}

/**
 * Parses `http://h:p`, `https://h:p` and `unix:///path` (plain HTTP over a unix socket). A unix path
 * is taken verbatim: etcd names its socket file `name:port`, so the `:2379` is part of it.
 */
export function parseEndpoint(url: string): Endpoint {
  const unix = /^unix:(?:\/\/)?(.+)$/.exec(url);
  if (unix) return { url, secure: false, host: 'localhost', port: 0, socketPath: unix[1] };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`invalid etcd endpoint '${url}'`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(`invalid etcd endpoint '${url}': scheme must be http, https or unix`);
  }
  const secure = u.protocol === 'https:';
  // URL keeps the brackets of an IPv6 literal; the socket layer wants the bare address.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { url, secure, host, port: u.port ? Number(u.port) : secure ? 443 : 80 };
}

export interface TransportOptions {
  endpoints: string[];
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer };
  username?: string;
  password?: string;
  dialTimeoutMs: number;
  requestTimeoutMs: number;
}

/** What one request ran into, before classification. */
export type Failure =
  | { type: 'socket'; error: unknown; connected: boolean }
  | { type: 'status'; status: number; body: string; secure: boolean }
  | { type: 'timeout'; connected: boolean; url: string }
  | { type: 'ended'; url: string };

export class TransportFailure extends Error {
  constructor(readonly failure: Failure) {
    super(`etcd request failed (${failure.type})`);
    this.name = 'TransportFailure';
  }
}

export interface StreamHandlers {
  /** One newline-terminated message of the body. */
  onLine(line: string): void;
  /** The stream ended (by etcd, or a failure); not called after abort(). */
  onEnd(failure: Failure): void;
}

export interface Stream {
  readonly endpoint: Endpoint;
  abort(): void;
}

type Errors = typeof import('./http-errors.js');
let errorsModule: Promise<Errors> | undefined;
/** The failure classification and wording, loaded when first needed. */
export function loadErrors(): Promise<Errors> {
  errorsModule ??= import('./http-errors.js');
  return errorsModule;
}

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 500;
const API = '/v3';
const POOL = { keepAlive: true, maxSockets: 32, maxFreeSockets: 8, scheduling: 'lifo' } as const;

/** `https` costs a few ms to load (tls, crypto): only endpoints that use TLS pay for it. */
let httpsModule: typeof https | undefined;
function loadHttps(): typeof https {
  httpsModule ??= createRequire(import.meta.url)('node:https') as typeof https;
  return httpsModule;
}

interface Deadlines {
  op: string;
  /** The whole call. */
  deadline: number;
  /** Connecting (across retries and endpoints). */
  connect: number;
}

const closedError = (): DatastoreError => new DatastoreError('the etcd datastore client is closed');

export class HttpTransport {
  readonly endpoints: Endpoint[];
  /** The configured endpoints, for messages. */
  readonly where: string;
  readonly requestTimeoutMs: number;
  readonly dialTimeoutMs: number;
  private readonly pool: http.Agent;
  private readonly streams: http.Agent;
  private readonly auth: string | undefined; // the JSON body of /v3/auth/authenticate
  private current = 0;
  private token: Promise<string> | undefined;
  private closed = false;
  private readonly sleeps = new Map<NodeJS.Timeout, () => void>();

  constructor(opts: TransportOptions) {
    this.endpoints = opts.endpoints.map(parseEndpoint);
    this.where = opts.endpoints.join(',');
    this.requestTimeoutMs = opts.requestTimeoutMs;
    this.dialTimeoutMs = opts.dialTimeoutMs;
    const secure = this.endpoints.filter((e) => e.secure).length;
    if (secure > 0 && secure < this.endpoints.length) {
      throw new Error('etcd endpoints mix TLS and plain connections');
    }
    if (secure > 0) {
      const tls = opts.tls ?? {};
      const creds = {
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {}),
      };
      const { Agent } = loadHttps();
      this.pool = new Agent({ ...POOL, ...creds });
      this.streams = new Agent({ ...creds, keepAlive: false });
    } else {
      this.pool = new http.Agent(POOL);
      this.streams = new http.Agent({ keepAlive: false });
    }
    this.auth = opts.username
      ? JSON.stringify({ name: opts.username, password: opts.password ?? '' })
      : undefined;
  }

  /**
   * One gateway call (path under /v3), with retries and failover until the deadline. Writes are
   * retried only when the request cannot have reached etcd.
   */
  async call<T>(op: string, path: string, body: object, write: boolean): Promise<T> {
    const json = JSON.stringify(body);
    const d = this.deadlines(op);
    const text = await this.retrying(d, write, async (ep) => {
      const headers: Record<string, string> = this.auth ? { authorization: await this.authToken(d) } : {};
      return this.attempt(ep, path, json, headers, d);
    });
    return JSON.parse(text) as T;
  }

  /** The auth header value for a stream (undefined without auth), authenticating when needed. */
  async streamToken(op: string): Promise<string | undefined> {
    return this.auth ? this.authToken(this.deadlines(op)) : undefined;
  }

  /** The token was refused: the next call authenticates again. */
  dropToken(): void {
    this.token = undefined;
  }

  /** Moves on to the next endpoint, unless another caller already did. */
  skip(ep: Endpoint): void {
    const index = this.endpoints.indexOf(ep);
    if (this.current === index) this.current = (index + 1) % this.endpoints.length;
  }

  /** One request to one endpoint, no retries (a watch's liveness probe): whether it answered in time. */
  async ping(ep: Endpoint, path: string, body: object, timeoutMs: number): Promise<boolean> {
    try {
      const token = this.auth && this.token ? await this.token : undefined;
      const deadline = Date.now() + timeoutMs;
      const d = { op: 'probe', deadline, connect: deadline };
      await this.attempt(ep, path, JSON.stringify(body), token ? { authorization: token } : {}, d);
      return true;
    } catch (e) {
      // Any answer, even a refusal, shows the endpoint is alive.
      return e instanceof TransportFailure && e.failure.type === 'status';
    }
  }

  /**
   * Opens a streaming call (the watch) on the current endpoint. Connecting is bounded by the dial
   * timeout and the response headers by the request timeout; after that the stream may stay silent
   * indefinitely (the caller probes it).
   */
  stream(path: string, body: object, token: string | undefined, h: StreamHandlers): Stream {
    const ep = this.endpoints[this.current];
    const json = JSON.stringify(body);
    let done = false;
    let connected = false;
    const end = (f: Failure): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      h.onEnd(f);
    };
    const noAnswer = (): void => end({ type: 'timeout', connected, url: ep.url });
    let timer = setTimeout(noAnswer, this.dialTimeoutMs);
    const req = this.request(ep, this.streams, path, json, token ? { authorization: token } : {});
    req.on('socket', (s: Socket) =>
      onConnect(s, () => {
        connected = true;
        clearTimeout(timer);
        if (!done) timer = setTimeout(noAnswer, this.requestTimeoutMs);
      }),
    );
    req.on('error', (error) => end({ type: 'socket', error, connected }));
    req.on('response', (res) => {
      clearTimeout(timer);
      res.setEncoding('utf8');
      let buf = '';
      res.on('error', (error) => end({ type: 'socket', error, connected: true }));
      if (res.statusCode !== 200) {
        res.on('data', (c: string) => (buf += c));
        res.on('end', () =>
          end({ type: 'status', status: res.statusCode ?? 0, body: buf, secure: ep.secure }),
        );
        return;
      }
      res.on('data', (c: string) => {
        buf += c;
        let nl: number;
        while (!done && (nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) h.onLine(line);
        }
      });
      res.on('end', () => end({ type: 'ended', url: ep.url }));
    });
    req.end(json);
    return {
      endpoint: ep,
      abort: () => {
        done = true;
        clearTimeout(timer);
        req.destroy();
      },
    };
  }

  /** Ends every connection and pending pause; calls in flight fail with "client is closed". */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.destroy();
    this.streams.destroy();
    for (const [t, wake] of this.sleeps) {
      clearTimeout(t);
      wake();
    }
    this.sleeps.clear();
  }

  private deadlines(op: string): Deadlines {
    const start = Date.now();
    return {
      op,
      deadline: start + this.requestTimeoutMs,
      connect: start + Math.min(this.dialTimeoutMs, this.requestTimeoutMs),
    };
  }

  /**
   * Runs once() against the current endpoint until it succeeds, fails for good, or time is up.
   * Connection failures move to the next endpoint at once and pause only after a full round.
   */
  private async retrying(
    d: Deadlines,
    write: boolean,
    once: (ep: Endpoint) => Promise<string>,
  ): Promise<string> {
    const connectBound = d.connect - (d.deadline - this.requestTimeoutMs);
    let delay = FIRST_RETRY_MS;
    let tried = 0; // endpoints tried since the last pause
    let renewed = false;
    let notConnected: AttemptError | undefined; // why we are not connected, if that is where we are stuck
    for (;;) {
      if (this.closed) throw closedError();
      const ep = this.endpoints[this.current];
      let failure: unknown;
      try {
        return await once(ep);
      } catch (err) {
        if (this.closed) throw closedError();
        if (err instanceof DatastoreError) throw err; // authenticating failed: already worded
        failure = err;
      }
      const errors = await loadErrors();
      const e =
        failure instanceof TransportFailure
          ? errors.classify(failure.failure)
          : new errors.AttemptError('other', String(failure), failure);
      if (e.kind === 'token' && !renewed) {
        renewed = true; // tokens expire, and a restarted member forgets them: authenticate again
        this.token = undefined;
        continue;
      }
      if (e.kind === 'connect-timeout') {
        this.skip(ep);
        throw errors.timeoutError(this.where, connectBound, d.op, 'connect', notConnected ?? e);
      }
      if (e.kind === 'deadline') {
        this.skip(ep);
        throw errors.timeoutError(this.where, this.requestTimeoutMs, d.op, 'answer', e);
      }
      if (e.kind !== 'not-connected' && !(e.kind === 'unavailable' && !write)) {
        if (e.kind === 'unavailable') this.skip(ep);
        throw errors.datastoreError(this.where, d.op, e);
      }
      this.skip(ep);
      notConnected = e.kind === 'not-connected' ? e : undefined;
      const remaining = (notConnected ? d.connect : d.deadline) - Date.now();
      if (remaining <= 0) {
        if (notConnected) throw errors.timeoutError(this.where, connectBound, d.op, 'connect', notConnected);
        throw errors.timeoutError(this.where, this.requestTimeoutMs, d.op, 'answer', e);
      }
      // Another endpoint may answer at once; pause only after trying them all.
      if (++tried < this.endpoints.length) continue;
      tried = 0;
      await this.sleep(Math.min(delay, remaining));
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }
  }

  /** Shared by concurrent callers; a failure is not kept. */
  private authToken(d: Deadlines): Promise<string> {
    if (!this.token) {
      const body = this.auth as string;
      const p = this.retrying(d, false, (ep) => this.attempt(ep, '/auth/authenticate', body, {}, d)).then(
        async (text) => {
          const token = (JSON.parse(text) as AuthenticateResponse).token;
          if (token) return token;
          const errors = await loadErrors();
          const e = new errors.AttemptError('auth', 'etcd issued no auth token (is authentication enabled?)');
          throw errors.datastoreError(this.where, d.op, e);
        },
      );
      this.token = p;
      p.catch(() => {
        if (this.token === p) this.token = undefined;
      });
    }
    return this.token;
  }

  /** POSTs one JSON body to one endpoint and resolves the body of a 200 answer. */
  private attempt(
    ep: Endpoint,
    path: string,
    json: string,
    headers: Record<string, string>,
    d: Deadlines,
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      let connected = false;
      let settled = false;
      const settle = (f: Failure | undefined, body?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (f) {
          req.destroy();
          reject(new TransportFailure(f));
        } else {
          resolve(body as string);
        }
      };
      const onTimeout = (): void => settle({ type: 'timeout', connected, url: ep.url });
      // Each attempt may take the dial timeout to connect; retrying() bounds connecting overall.
      let timer = setTimeout(onTimeout, Math.max(1, Math.min(d.deadline - Date.now(), this.dialTimeoutMs)));
      const req = this.request(ep, this.pool, path, json, headers);
      req.on('socket', (s: Socket) =>
        onConnect(s, () => {
          connected = true;
          clearTimeout(timer);
          if (!settled) timer = setTimeout(onTimeout, Math.max(1, d.deadline - Date.now()));
        }),
      );
      req.on('error', (error) => settle({ type: 'socket', error, connected }));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (error) => settle({ type: 'socket', error, connected: true }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode === 200) settle(undefined, text);
          else settle({ type: 'status', status: res.statusCode ?? 0, body: text, secure: ep.secure });
        });
      });
      req.end(json);
    });
  }

  private request(
    ep: Endpoint,
    agent: http.Agent,
    path: string,
    json: string,
    headers: Record<string, string>,
  ): http.ClientRequest {
    const options: http.RequestOptions = {
      agent,
      method: 'POST',
      path: API + path,
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(json)),
        ...headers,
      },
      ...(ep.socketPath
        ? { socketPath: ep.socketPath, host: 'localhost' }
        : { host: ep.host, port: ep.port }),
    };
    return ep.secure ? loadHttps().request(options) : http.request(options);
  }

  /** A pause that close() cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.sleeps.delete(t);
        resolve();
      }, ms);
      this.sleeps.set(t, resolve);
    });
  }
}

/** Runs fn once the socket is connected (at once for a reused keep-alive socket). */
function onConnect(s: Socket, fn: () => void): void {
  if (s.connecting) s.once('connect', fn);
  else fn();
}
