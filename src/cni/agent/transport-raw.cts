/**
 * One request/answer exchange over a unix socket using Node's libuv pipe handle directly.
 *
 * Why not node:net: loading it and building a net.Socket (streams, event emitters) costs ~7 ms
 * of CPU per plugin exec on these machines, where the whole thin plugin should cost about
 * `node -e 0` (measured: net round trip +9.6 ms CPU over reading stdin, this one +2.1 ms).
 * The handle classes come from process.binding's public allowlist (pipe_wrap, stream_wrap);
 * when they are missing or look different (another Node version) rawAvailable() says so and the
 * caller uses transport-net.cts instead.
 */
import { getSystemErrorName } from 'node:util';
import type { RoundTrip } from './transport.cjs';

interface Req {
  oncomplete: (status: number) => void;
  handle?: unknown;
}
interface PipeHandle {
  connect(req: Req, path: string): number;
  writeBuffer(req: Req, data: Buffer): number;
  shutdown(req: Req): number;
  readStart(): number;
  close(cb?: () => void): void;
  onread: (buf: ArrayBuffer | undefined) => void;
}
interface PipeWrap {
  Pipe: new (type: number) => PipeHandle;
  PipeConnectWrap: new () => Req;
  constants: { SOCKET: number };
}
interface StreamWrap {
  WriteWrap: new () => Req & { async?: boolean };
  ShutdownWrap: new () => Req;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
}

type Binding = (name: string) => unknown;

let bindings: { pipe: PipeWrap; stream: StreamWrap } | null | undefined;

function load(): { pipe: PipeWrap; stream: StreamWrap } | null {
  if (bindings !== undefined) return bindings;
  bindings = null;
  try {
    const binding = (process as unknown as { binding?: Binding }).binding;
    if (typeof binding !== 'function') return null;
    const pipe = binding('pipe_wrap') as PipeWrap;
    const stream = binding('stream_wrap') as StreamWrap;
    const ok =
      typeof pipe?.Pipe === 'function' &&
      typeof pipe.PipeConnectWrap === 'function' &&
      typeof pipe.constants?.SOCKET === 'number' &&
      typeof stream?.WriteWrap === 'function' &&
      typeof stream.ShutdownWrap === 'function' &&
      stream.streamBaseState instanceof Int32Array &&
      typeof stream.kReadBytesOrError === 'number' &&
      typeof stream.kArrayBufferOffset === 'number';
    if (ok) bindings = { pipe, stream };
  } catch {
    bindings = null;
  }
  return bindings;
}

export function rawAvailable(): boolean {
  return load() !== null;
}

/** Connect errors meaning "no agent here" (the request was never delivered). */
const NO_AGENT = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTSOCK', 'EPERM']);

/** Sends `payload`, half-closes, and collects everything the agent writes until it closes. */
export function rawRoundTrip(path: string, payload: Buffer, timeoutMs: number): Promise<RoundTrip> {
  const b = load();
  if (!b) return Promise.resolve({ kind: 'failed', why: 'raw pipe bindings unavailable' });
  const { pipe, stream } = b;
  return new Promise((resolve) => {
    const handle = new pipe.Pipe(pipe.constants.SOCKET);
    const chunks: Buffer[] = [];
    let done = false;
    // Requests are referenced until completion so the GC cannot take them mid-flight.
    const reqs: Req[] = [];
    const finish = (r: RoundTrip): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      handle.close();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ kind: 'failed', why: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    const errname = (status: number): string => {
      try {
        return getSystemErrorName(status);
      } catch {
        return `errno ${status}`;
      }
    };
    const connectReq = new pipe.PipeConnectWrap();
    reqs.push(connectReq);
    connectReq.oncomplete = (status: number) => {
      if (status < 0) {
        const name = errname(status);
        return finish(
          NO_AGENT.has(name) ? { kind: 'no-agent' } : { kind: 'failed', why: `connect: ${name}` },
        );
      }
      handle.onread = (buf) => {
        const n = stream.streamBaseState[stream.kReadBytesOrError];
        if (n > 0 && buf) {
          chunks.push(Buffer.from(buf, stream.streamBaseState[stream.kArrayBufferOffset], n));
        } else if (n < 0) {
          const name = errname(n);
          finish(
            name === 'EOF' ? { kind: 'data', data: Buffer.concat(chunks) } : { kind: 'failed', why: name },
          );
        }
      };
      const w = new stream.WriteWrap();
      w.handle = handle;
      w.oncomplete = (st: number) => {
        if (st < 0) finish({ kind: 'failed', why: `write: ${errname(st)}` });
      };
      const sh = new stream.ShutdownWrap();
      sh.handle = handle;
      sh.oncomplete = () => undefined;
      reqs.push(w, sh);
      let err = handle.writeBuffer(w, payload);
      if (err === 0) err = handle.shutdown(sh);
      if (err === 0) err = handle.readStart();
      if (err < 0) finish({ kind: 'failed', why: errname(err) });
    };
    const err = handle.connect(connectReq, path);
    if (err < 0) {
      const name = errname(err);
      finish(NO_AGENT.has(name) ? { kind: 'no-agent' } : { kind: 'failed', why: `connect: ${name}` });
    }
  });
}
