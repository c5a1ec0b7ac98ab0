/** The same exchange as transport-raw.cts over node:net: the portable fallback. */
import type { RoundTrip } from './transport.cjs';

const NO_AGENT = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTSOCK', 'EPERM']);

export function netRoundTrip(path: string, payload: Buffer, timeoutMs: number): Promise<RoundTrip> {
  // Loaded on use only: node:net is what the raw transport exists to avoid.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const net = require('node:net') as typeof import('node:net');
  return new Promise((resolve) => {
    const sock = net.connect(path);
    const chunks: Buffer[] = [];
    let connected = false;
    let done = false;
    const finish = (r: RoundTrip): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ kind: 'failed', why: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    sock.on('connect', () => {
      connected = true;
      sock.end(payload);
    });
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => finish({ kind: 'data', data: Buffer.concat(chunks) }));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (!connected && NO_AGENT.has(e.code ?? '')) finish({ kind: 'no-agent' });
      else finish({ kind: 'failed', why: e.code ?? e.message });
    });
    sock.on('close', () => finish({ kind: 'failed', why: 'connection closed' }));
  });
}
