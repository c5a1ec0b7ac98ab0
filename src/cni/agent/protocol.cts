/**
 * The wire protocol between the thin CNI plugin and calico-cni-agent: one request and one
 * response per connection, each a frame of a 4-byte big-endian length and UTF-8 JSON.
 *
 * CommonJS on purpose: the plugin's thin path must not start Node's ESM loader (it costs ~10 ms
 * per exec on these machines, a third of Node's whole start-up), and only built-ins are loaded.
 */
import { readlinkSync } from 'node:fs';

export const PROTOCOL_VERSION = 1;
export const DEFAULT_AGENT_SOCKET = '/var/run/calico/cni-agent.sock';
/** Environment variable naming the agent's socket (plugin and agent read the same name). */
export const AGENT_SOCKET_ENV = 'CALICO_CNI_AGENT_SOCKET';
/** Set to `false`/`0` in the plugin's environment to skip the agent (always in-process). */
export const AGENT_ENABLED_ENV = 'CALICO_CNI_AGENT';
/** A netconf is a few kB; prevResult and logs stay far below this. Larger frames are refused. */
export const MAX_FRAME_BYTES = 8 << 20;

export type PluginName = 'calico' | 'calico-ipam';

/** The dispatcher's CniRequest (src/cni/types.ts) plus the protocol version. */
export interface AgentRequest {
  v: number;
  plugin: PluginName;
  /** CNI_COMMAND, as the plugin read it. */
  command: string;
  /** The plugin's whole environment (CNI_* and the datastore/Felix settings runCni reads). */
  env: Record<string, string>;
  /** The network configuration the runtime wrote to the plugin's stdin. */
  stdin: string;
  /**
   * The plugin's network namespace (`net:[<inode>]`). The agent wires pods into its own namespace,
   * so it refuses requests from another one: a socket path is reachable across namespaces.
   */
  netns?: string;
}

/** The dispatcher's CniResponse: what the plugin prints and its exit status. */
export interface AgentResponse {
  stdout: string;
  exitCode: number;
  stderr?: string;
  /** Set when the agent did not run the request (another network namespace): run it in-process. */
  refused?: string;
}

/** Network-configuration key naming the agent's socket (for runtimes that do not pass our env). */
export const AGENT_SOCKET_NETCONF_KEY = 'cni_agent_socket';

/**
 * The socket path: the environment wins (an operator's override), then the network
 * configuration's `cni_agent_socket` (what an installation sets: runtimes such as podman run
 * some plugin calls from helper processes with their own environment), then the default.
 */
export function agentSocketPath(env: NodeJS.ProcessEnv, stdin?: string): string {
  const p = env[AGENT_SOCKET_ENV];
  if (p && p.length > 0) return p;
  if (stdin) {
    try {
      const v = (JSON.parse(stdin) as Record<string, unknown>)[AGENT_SOCKET_NETCONF_KEY];
      if (typeof v === 'string' && v.length > 0) return v;
    } catch {
      // bad stdin: the plugin reports it (in-process or in the agent)
    }
  }
  return DEFAULT_AGENT_SOCKET;
}

export function agentDisabled(env: NodeJS.ProcessEnv): boolean {
  const v = (env[AGENT_ENABLED_ENV] ?? '').toLowerCase();
  return v === 'false' || v === '0' || v === 'off' || v === 'no';
}

export function encodeFrame(msg: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(msg), 'utf8');
  if (body.length > MAX_FRAME_BYTES)
    throw new Error(`frame of ${body.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

/**
 * Collects chunks until one whole frame arrived. `push` returns the parsed message once complete;
 * it throws on an oversized frame or bad JSON, and ignores bytes after the frame.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private have = 0;
  private want = -1;

  push(chunk: Buffer): unknown {
    this.chunks.push(chunk);
    this.have += chunk.length;
    if (this.want < 0 && this.have >= 4) {
      this.want = this.joined().readUInt32BE(0);
      if (this.want > MAX_FRAME_BYTES)
        throw new Error(`frame of ${this.want} bytes exceeds ${MAX_FRAME_BYTES}`);
    }
    if (this.want < 0 || this.have < 4 + this.want) return undefined;
    const all = this.joined();
    return JSON.parse(all.subarray(4, 4 + this.want).toString('utf8')) as unknown;
  }

  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }
}

export function isAgentRequest(x: unknown): x is AgentRequest {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  if (r.v !== PROTOCOL_VERSION) return false;
  if (r.plugin !== 'calico' && r.plugin !== 'calico-ipam') return false;
  if (typeof r.command !== 'string' || typeof r.stdin !== 'string') return false;
  if (r.netns !== undefined && typeof r.netns !== 'string') return false;
  if (typeof r.env !== 'object' || r.env === null) return false;
  return Object.values(r.env).every((v) => typeof v === 'string');
}

export function isAgentResponse(x: unknown): x is AgentResponse {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return (
    (r.refused === undefined || typeof r.refused === 'string') &&
    Number.isInteger(r.exitCode) &&
    typeof r.stdout === 'string' &&
    (r.stderr === undefined || typeof r.stderr === 'string')
  );
}

/** A CNI error answer (code 999, "internal") in the request's cniVersion. */
export function failure(req: Pick<AgentRequest, 'stdin'>, msg: string): AgentResponse {
  let cniVersion = '1.0.0';
  try {
    const v = (JSON.parse(req.stdin) as { cniVersion?: unknown }).cniVersion;
    if (typeof v === 'string' && v !== '') cniVersion = v;
  } catch {
    // the plugin reports bad stdin itself; the error still needs a version
  }
  return { exitCode: 1, stdout: JSON.stringify({ cniVersion, code: 999, msg }) };
}

/** This process's network namespace as the kernel names it, e.g. `net:[4026531840]`. */
export function ownNetns(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/net');
  } catch {
    return undefined;
  }
}
