/**
 * A tiny HTTP listener for the health and metrics endpoints: GET/HEAD only, bounded request time,
 * and a close() that also ends kept-alive connections (a probe client must not hold shutdown).
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

export type HttpHandler = (path: string) => HttpAnswer | Promise<HttpAnswer>;

export interface Listening {
  /** The port actually bound (useful when 0 asked for a free one). */
  port: number;
  host: string;
  close(): Promise<void>;
}

/** host '' = every interface. Rejects with the bind error (EADDRINUSE, ...). */
export async function listenHttp(host: string, port: number, handler: HttpHandler): Promise<Listening> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    Promise.resolve()
      .then(() => handler(path))
      .then(
        (a) => {
          res.writeHead(a.status, {
            'content-type': a.contentType,
            'content-length': Buffer.byteLength(a.body),
          });
          res.end(req.method === 'HEAD' ? undefined : a.body);
        },
        (e: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`${e instanceof Error ? e.message : String(e)}\n`);
        },
      );
  });
  server.requestTimeout = 10_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const onListening = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (host === '') server.listen(port, onListening);
    else server.listen(port, host, onListening);
  });
  const addr = server.address() as AddressInfo;
  return {
    port: addr.port,
    host: addr.address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
