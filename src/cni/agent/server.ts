/**
 * calico-cni-agent's server: accepts one framed request per connection on a root-only unix socket
 * and answers with what the plugin would have printed and its exit status.
 *
 * A request, once received, always runs to its end: a client that disconnects does not abort it
 * (runCni's ADD either completes or rolls back; an abort in the middle would be a new failure
 * mode). Only the request timeout aborts, through the AbortSignal runCni honours.
 */
import { chmodSync } from 'node:fs';
import * as net from 'node:net';
import { Limiter } from './limiter.js';
import {
  encodeFrame,
  failure,
  FrameReader,
  isAgentRequest,
  ownNetns,
  type AgentRequest,
  type AgentResponse,
} from './protocol.cjs';
import { prepareSocketPath, socketFileId, unlinkIfOurs, type SocketFileId } from './socket-file.js';

export type RequestHandler = (req: AgentRequest, signal: AbortSignal) => Promise<AgentResponse>;

export interface AgentServerOptions {
  socketPath: string;
  handle: RequestHandler;
  /** Whole-request budget, queueing included (default 80 s: inside CNI's usual 90 s IPAM budget). */
  requestTimeoutMs?: number;
  /** After the timeout aborts a request, how long it may take to roll back before we answer anyway. */
  abortGraceMs?: number;
  /** A connection must deliver its request frame within this (default 10 s). */
  readTimeoutMs?: number;
  /** Requests running at once; more wait in order (default 16). */
  maxConcurrent?: number;
  /** The namespace pods are wired into (default: this process's); requests from others are refused. */
  netns?: string;
  /** Called when the server stops, after in-flight requests ended: close cached clients here. */
  onStop?: () => Promise<void>;
  log?: (line: string) => void;
}

interface Defaults {
  requestTimeoutMs: number;
  abortGraceMs: number;
  readTimeoutMs: number;
  maxConcurrent: number;
}

const DEFAULTS: Defaults = {
  requestTimeoutMs: 80_000,
  abortGraceMs: 10_000,
  readTimeoutMs: 10_000,
  maxConcurrent: 16,
};

export class CniAgentServer {
  private readonly server: net.Server;
  private readonly limiter: Limiter;
  /** Everything stop() waits for: handler runs and the answers being written. */
  private readonly inflight = new Set<Promise<unknown>>();
  /** Handler runs only (queued or running): what `pending` counts. */
  private readonly handling = new Set<Promise<unknown>>();
  private readonly idle = new Set<net.Socket>();
  private readonly cfg: Defaults;
  private fileId: SocketFileId | undefined;
  private readonly netns: string | undefined;
  private stopping: Promise<void> | undefined;
  private served = 0;

  private constructor(private readonly opts: AgentServerOptions) {
    this.cfg = {
      requestTimeoutMs: opts.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      abortGraceMs: opts.abortGraceMs ?? DEFAULTS.abortGraceMs,
      readTimeoutMs: opts.readTimeoutMs ?? DEFAULTS.readTimeoutMs,
      maxConcurrent: opts.maxConcurrent ?? DEFAULTS.maxConcurrent,
    };
    this.limiter = new Limiter(this.cfg.maxConcurrent);
    this.netns = opts.netns ?? ownNetns();
    // Half-open: the plugin half-closes after its request and still reads the answer.
    this.server = net.createServer({ allowHalfOpen: true }, (s) => this.accept(s));
  }

  /** Removes a stale socket file, binds with mode 0600 and resolves once listening. */
  static async start(opts: AgentServerOptions): Promise<CniAgentServer> {
    const srv = new CniAgentServer(opts);
    await prepareSocketPath(opts.socketPath);
    // The umask covers the window between bind() and chmod(): the socket is never group/world-usable.
    const old = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        srv.server.once('error', reject);
        srv.server.listen(opts.socketPath, () => {
          srv.server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(old);
    }
    chmodSync(opts.socketPath, 0o600);
    srv.fileId = socketFileId(opts.socketPath);
    srv.server.on('error', (e) => srv.log(`server error: ${e.message}`));
    return srv;
  }

  get socketPath(): string {
    return this.opts.socketPath;
  }

  /** Requests received and not yet finished (running or queued). */
  get pending(): number {
    return this.handling.size;
  }

  get requestsServed(): number {
    return this.served;
  }

  /**
   * Stops accepting, removes the socket file (new plugin runs fall back to in-process at once),
   * lets received requests finish (up to `drainMs`), then runs onStop. Idempotent. A request that
   * arrives on an already-open connection meanwhile is refused, so its plugin runs it in-process.
   */
  stop(drainMs = this.cfg.requestTimeoutMs + this.cfg.abortGraceMs): Promise<void> {
    this.stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      unlinkIfOurs(this.opts.socketPath, this.fileId);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inflight]),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs))),
      ]);
      clearTimeout(timer);
      for (const s of this.idle) s.destroy();
      if (this.handling.size > 0) this.log(`stopping with ${this.handling.size} request(s) still running`);
      await closed;
      await this.opts.onStop?.();
    })();
    return this.stopping;
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  private accept(sock: net.Socket): void {
    if (this.stopping) {
      sock.destroy();
      return;
    }
    this.idle.add(sock);
    const reader = new FrameReader();
    let received = false;
    sock.setTimeout(this.cfg.readTimeoutMs, () => {
      if (!received) sock.destroy();
    });
    // EPIPE/ECONNRESET from a client that went away: its request (if any) still runs to the end.
    sock.on('error', () => undefined);
    sock.on('close', () => this.idle.delete(sock));
    sock.on('end', () => {
      if (!received) sock.destroy();
    });
    sock.on('data', (chunk: Buffer) => {
      if (received) return;
      let msg: unknown;
      try {
        msg = reader.push(chunk);
      } catch (e) {
        this.log(`dropped a connection: ${(e as Error).message}`);
        sock.destroy();
        return;
      }
      if (msg === undefined) return;
      received = true;
      this.idle.delete(sock);
      sock.setTimeout(0);
      if (!isAgentRequest(msg)) {
        this.log('dropped a connection: not an agent request');
        sock.destroy();
        return;
      }
      const refusal = this.refusal(msg);
      if (refusal) {
        this.log(`refused ${msg.plugin} ${msg.command} ${refusal}`);
        sock.end(encodeFrame({ stdout: '', exitCode: 1, refused: refusal } satisfies AgentResponse));
        return;
      }
      this.track(
        this.run(msg).then((resp) => {
          if (!sock.destroyed && sock.writable) sock.end(encodeFrame(resp));
        }),
      );
    });
  }

  /** Why this request must run in its plugin instead, if it must. */
  private refusal(req: AgentRequest): string | undefined {
    // Running it here would wire the pod into our namespace instead of the plugin's host.
    if (req.netns && this.netns && req.netns !== this.netns) {
      return `from network namespace ${req.netns} (ours: ${this.netns})`;
    }
    if (this.stopping) return 'while stopping';
    return undefined;
  }

  private track(p: Promise<unknown>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Runs one request under the limiter and the timeout; never rejects. */
  private async run(req: AgentRequest): Promise<AgentResponse> {
    const t0 = performance.now();
    const ac = new AbortController();
    const timeoutMsg = `calico-cni-agent: ${req.command} timed out after ${this.cfg.requestTimeoutMs} ms`;
    let abortTimer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<AgentResponse>((resolve) => {
      abortTimer = setTimeout(() => {
        ac.abort(new Error(timeoutMsg));
        graceTimer = setTimeout(() => resolve(failure(req, timeoutMsg)), this.cfg.abortGraceMs);
      }, this.cfg.requestTimeoutMs);
    });
    const work = this.limiter
      .run(() => this.opts.handle(req, ac.signal), ac.signal)
      .catch((e: unknown): AgentResponse =>
        failure(
          req,
          ac.signal.aborted ? timeoutMsg : `calico-cni-agent: ${(e as Error).message ?? String(e)}`,
        ),
      );
    // A request still running after the grace period stays tracked until it ends (stop() waits).
    this.track(work);
    this.handling.add(work);
    void work.finally(() => this.handling.delete(work));
    const resp = await Promise.race([work, gaveUp]);
    clearTimeout(abortTimer);
    clearTimeout(graceTimer);
    this.served++;
    this.log(
      `${req.plugin} ${req.command} ${req.env.CNI_CONTAINERID ?? ''} -> ${resp.exitCode} in ${(performance.now() - t0).toFixed(1)} ms`,
    );
    return resp;
  }
}
