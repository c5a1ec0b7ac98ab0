import * as net from 'node:net';

/**
 * A TCP proxy to a local port whose connections can be cut (and new ones refused), or stalled:
 * connections stay open but nothing is forwarded either way, like a path that died without a reset.
 */
export class FaultProxy {
  private readonly sockets = new Set<net.Socket>();
  private accepting = true;
  private stalled = false;
  private constructor(
    private readonly server: net.Server,
    readonly url: string,
  ) {}

  static async start(targetPort: number): Promise<FaultProxy> {
    const server = net.createServer();
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const { port } = server.address() as net.AddressInfo;
    const proxy = new FaultProxy(server, `http://127.0.0.1:${port}`);
    server.on('connection', (client) => {
      if (!proxy.accepting) return void client.destroy();
      const upstream = net.connect(targetPort, '127.0.0.1');
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ]) {
        proxy.sockets.add(a);
        a.on('data', (chunk: Buffer) => {
          if (!proxy.stalled) b.write(chunk);
        });
        a.on('error', () => b.destroy());
        a.on('close', () => {
          proxy.sockets.delete(a);
          b.destroy();
        });
      }
    });
    return proxy;
  }

  cut(): void {
    this.accepting = false;
    for (const s of this.sockets) s.destroy();
  }

  heal(): void {
    this.accepting = true;
    this.stalled = false;
  }

  stall(): void {
    this.stalled = true;
  }

  close(): void {
    this.cut();
    this.server.close();
  }
}
