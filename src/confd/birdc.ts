/**
 * A small client for BIRD's control socket (what `birdc` speaks), for `calicoctl node status` and
 * readiness checks. The protocol is line based: every line starts with a four-digit code followed by
 * `-` (more lines follow) or a space (the reply's last line); lines starting with a space continue
 * the previous code. The server greets with `0001 BIRD <version> ready.`.
 */
import { connect, type Socket } from 'node:net';
import { BirdError } from './errors.js';

export interface BirdReplyLine {
  /** The line's code; continuation lines carry the code of the line they continue. */
  code: number;
  text: string;
}

export interface BirdReply {
  lines: BirdReplyLine[];
  /** Code of the last line: 0xxx success, 8xxx run-time error, 9xxx parse error. */
  code: number;
}

export interface BirdCommandOptions {
  /** Bound for connecting and for each reply (default 2000 ms, as calicoctl's read deadline). */
  timeoutMs?: number;
}

const LINE = /^(\d{4})([ -])(.*)$/;

/** Splits a reply's raw text into coded lines; `final` tells whether the last line closes the reply. */
export function parseReplyLines(raw: string): { lines: BirdReplyLine[]; final: boolean } {
  const lines: BirdReplyLine[] = [];
  let code = -1;
  let final = false;
  for (const line of raw.split('\n')) {
    if (line === '') continue;
    const m = LINE.exec(line);
    if (m) {
      code = Number(m[1]);
      final = m[2] === ' ';
      lines.push({ code, text: m[3] });
    } else if (line.startsWith(' ') && code >= 0) {
      lines.push({ code, text: line.slice(1) });
      final = false;
    } else {
      throw new BirdError('protocol', `unexpected output line from BIRD: ${JSON.stringify(line)}`);
    }
  }
  return { lines, final };
}

/** One connection to BIRD's control socket; commands run one at a time. */
export class BirdControl {
  private buffer = '';
  private waiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
      this.wake();
    });
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new BirdError('unreachable', 'BIRD closed the control connection')));
  }

  /** Connects and waits for BIRD's greeting. */
  static async connect(socketPath: string, opts: BirdCommandOptions = {}): Promise<BirdControl> {
    const timeoutMs = opts.timeoutMs ?? 2000;
    const socket = connect(socketPath);
    const ctl = new BirdControl(socket, timeoutMs);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      const hello = await ctl.readReply();
      if (hello.code !== 1) throw new BirdError('protocol', `unexpected BIRD greeting: ${describe(hello)}`);
      return ctl;
    } catch (e) {
      ctl.close();
      if (e instanceof BirdError) throw e;
      throw new BirdError('unreachable', `unable to connect to BIRD socket ${socketPath}: ${errText(e)}`, {
        cause: e,
        hint: 'is BIRD running, and is this the socket it was started with (bird -s)?',
      });
    }
  }

  /** Sends one command (e.g. `show protocols`) and returns its whole reply. */
  command(cmd: string): Promise<BirdReply> {
    const run = this.queue.then(async () => {
      if (this.failure) throw this.failure;
      this.socket.write(`${cmd}\n`);
      return this.readReply();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.socket.destroy();
  }

  private async readReply(): Promise<BirdReply> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const end = replyEnd(this.buffer);
      if (end >= 0) {
        const raw = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end);
        const { lines } = parseReplyLines(raw);
        return { lines, code: lines[lines.length - 1].code };
      }
      if (this.failure) throw this.failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new BirdError('timeout', `BIRD did not answer within ${this.timeoutMs} ms`);
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, left);
        this.waiter = {
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
          reject: (e) => {
            clearTimeout(t);
            reject(e);
          },
        };
      });
    }
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve();
  }

  private fail(e: Error): void {
    this.failure ??= e instanceof BirdError ? e : new BirdError('unreachable', errText(e), { cause: e });
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
  }
}

/** Offset just past the first complete reply in `buf` (its line with `dddd ` ends it), or -1. */
function replyEnd(buf: string): number {
  let start = 0;
  for (;;) {
    const nl = buf.indexOf('\n', start);
    if (nl < 0) return -1;
    if (/^\d{4} /.test(buf.slice(start, start + 5))) return nl + 1;
    start = nl + 1;
  }
}

/** Connects, runs one command, disconnects. */
export async function birdCommand(
  socketPath: string,
  cmd: string,
  opts: BirdCommandOptions = {},
): Promise<BirdReply> {
  const ctl = await BirdControl.connect(socketPath, opts);
  try {
    return await ctl.command(cmd);
  } finally {
    ctl.close();
  }
}

/** One row of `show protocols`. */
export interface BirdProtocol {
  name: string;
  proto: string;
  table: string;
  state: string;
  since: string;
  info: string;
}

const HEADER = ['name', 'proto', 'table', 'state', 'since', 'info'];

/**
 * Parses a `show protocols` reply: a `2002` header that must read `Name Proto Table State Since
 * Info`, then `1002` rows. Info is everything after Since (it may contain spaces).
 */
export function parseShowProtocols(reply: BirdReply): BirdProtocol[] {
  const out: BirdProtocol[] = [];
  for (const line of reply.lines) {
    if (line.code === 2002) {
      const fields = line.text.trim().split(/\s+/);
      if (fields.map((f) => f.toLowerCase()).join(' ') !== HEADER.join(' ')) {
        throw new BirdError('protocol', `unknown BIRD table output format: ${JSON.stringify(line.text)}`);
      }
    } else if (line.code === 1002) {
      const f = line.text.trim().split(/\s+/);
      if (f.length < 5) throw new BirdError('protocol', `unexpected output line from BIRD: ${line.text}`);
      out.push({
        name: f[0],
        proto: f[1],
        table: f[2],
        state: f[3],
        since: f[4],
        info: f.slice(5).join(' '),
      });
    } else if (line.code >= 8000) {
      throw new BirdError('protocol', `BIRD error ${line.code}: ${line.text}`);
    }
  }
  return out;
}

export async function showProtocols(
  socketPath: string,
  opts: BirdCommandOptions = {},
): Promise<BirdProtocol[]> {
  return parseShowProtocols(await birdCommand(socketPath, 'show protocols', opts));
}

export type BgpPeerType = 'node-to-node mesh' | 'global' | 'node specific';

export interface BgpPeerStatus {
  /** From the protocol name: `Mesh_10_0_0_2` → `10.0.0.2`, `Node_fd00__2` → `fd00::2`. */
  peerAddress: string;
  /** From a `_port_<n>` suffix. */
  port?: number;
  family: 4 | 6;
  peerType: BgpPeerType;
  state: string;
  since: string;
  info: string;
}

const PEER_NAME = /^(Global|Node|Mesh)_(.+?)(?:_port_(\d+))?$/;
const PEER_TYPES: Record<string, BgpPeerType> = {
  Mesh: 'node-to-node mesh',
  Global: 'global',
  Node: 'node specific',
};

/** The BGP sessions confd created (Mesh_/Global_/Node_), as `calicoctl node status` lists them. */
export function bgpPeerStatus(protocols: readonly BirdProtocol[]): BgpPeerStatus[] {
  const out: BgpPeerStatus[] = [];
  for (const p of protocols) {
    const m = p.proto === 'BGP' ? PEER_NAME.exec(p.name) : null;
    if (!m) continue;
    const v4 = /^\d+_\d+_\d+_\d+$/.test(m[2]);
    out.push({
      peerAddress: m[2].replace(/_/g, v4 ? '.' : ':'),
      port: m[3] ? Number(m[3]) : undefined,
      family: v4 ? 4 : 6,
      peerType: PEER_TYPES[m[1]],
      state: p.state,
      since: p.since,
      info: p.info,
    });
  }
  return out;
}

function describe(r: BirdReply): string {
  return r.lines.map((l) => `${l.code} ${l.text}`).join(' / ');
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
