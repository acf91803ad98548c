import net from 'node:net';

/**
 * A TCP proxy a test puts between the app and a shared service (Redis, PostgreSQL), so an
 * outage can be simulated without touching the service: close() refuses new connections and
 * cuts the live ones; open() listens again on the same port. stall() is the other kind of
 * outage: connections stay open (and new ones are accepted) but no byte passes either way, as
 * when a server hangs or a network path goes silent; resume() lets the held bytes through.
 */
export class TcpProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly pairs = new Set<Pair>();
  private stalled = false;
  private port = 0;
  /** Connections accepted since the proxy was created (to show a client came back). */
  accepted = 0;

  private constructor(private readonly target: { host: string; port: number }) {}

  static async start(targetUrl: string): Promise<TcpProxy> {
    const url = new URL(targetUrl);
    const proxy = new TcpProxy({ host: url.hostname, port: Number(url.port) });
    await proxy.open();
    return proxy;
  }

  get listening(): boolean {
    return Boolean(this.server?.listening);
  }

  /** The target URL with host and port replaced by the proxy's. */
  urlFor(targetUrl: string): string {
    const url = new URL(targetUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  async open(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((client) => {
      this.accepted += 1;
      const upstream = net.connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.setNoDelay(true);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      const pair = { client, upstream };
      this.pairs.add(pair);
      client.on('close', () => {
        this.pairs.delete(pair);
        upstream.destroy();
      });
      upstream.on('close', () => client.destroy());
      if (this.stalled) hold(pair);
      else forward(pair);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (typeof address === 'object' && address) this.port = address.port;
    this.server = server;
  }

  /** Keeps every connection (live and new) open but stops forwarding bytes in both directions. */
  stall(): void {
    if (this.stalled) return;
    this.stalled = true;
    for (const pair of this.pairs) hold(pair);
  }

  /** Forwards again, starting with the bytes held during the stall. */
  resume(): void {
    if (!this.stalled) return;
    this.stalled = false;
    for (const pair of this.pairs) forward(pair);
  }

  /** The outage: new connections are refused and every live one is cut at once. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.pairs.clear();
    this.stalled = false;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

type Pair = { client: net.Socket; upstream: net.Socket };

function forward({ client, upstream }: Pair): void {
  client.pipe(upstream);
  upstream.pipe(client);
}

/** Unpiped and paused: what arrives stays in the socket buffers until forward(). */
function hold({ client, upstream }: Pair): void {
  client.unpipe(upstream);
  upstream.unpipe(client);
  client.pause();
  upstream.pause();
}
