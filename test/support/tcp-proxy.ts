/**
 * Loopback TCP pieces for database-fault tests:
 * - {@link startTcpProxy}: forwards to a real server and can be made to hang (connections stay open,
 *   nothing is forwarded either way: a MongoDB that accepts and never answers), to cut every
 *   connection and refuse new ones (a blip), and to resume;
 * - {@link startHangingListener}: accepts TCP connections and never sends a byte.
 * `proxiedUri` points a MongoDB URI at the proxy. Every socket is destroyed by `close()`.
 */
import net from 'node:net';

/** What the proxy does with traffic. */
export type ProxyMode = 'pass' | 'hang' | 'cut';

/** A running proxy. */
export interface TcpProxy {
  readonly port: number;
  readonly mode: ProxyMode;
  /** Keep every connection (and accept new ones) but forward nothing until {@link resume}. */
  hang(): void;
  /** Destroy every connection and refuse new ones until {@link resume}. */
  cut(): void;
  /** Forward again (what a hang held back is delivered). */
  resume(): void;
  close(): Promise<void>;
}

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
}

/** Start a proxy on 127.0.0.1 (free port) to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = 'pass';
  const pairs = new Set<Pair>();
  const destroy = (p: Pair) => {
    p.client.destroy();
    p.upstream.destroy();
    pairs.delete(p);
  };
  const server = net.createServer((client) => {
    if (mode === 'cut') {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => client.write(d));
    for (const s of [client, upstream]) {
      s.on('error', () => destroy(pair));
      s.on('close', () => destroy(pair));
    }
    if (mode === 'hang') {
      client.pause();
      upstream.pause();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get mode() {
      return mode;
    },
    hang() {
      mode = 'hang';
      for (const p of pairs) {
        p.client.pause();
        p.upstream.pause();
      }
    },
    cut() {
      mode = 'cut';
      for (const p of [...pairs]) destroy(p);
    },
    resume() {
      mode = 'pass';
      for (const p of pairs) {
        p.client.resume();
        p.upstream.resume();
      }
    },
    async close() {
      for (const p of [...pairs]) destroy(p);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A listener that accepts connections and never answers. */
export async function startHangingListener(): Promise<{ port: number; accepted: () => number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => s.destroy());
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `uri` (mongodb://host:port/...) pointed at 127.0.0.1:`port`, everything else kept. */
export function proxiedUri(uri: string, port: number): string {
  const u = new URL(uri);
  u.host = `127.0.0.1:${port}`;
  return u.toString();
}

/** Host and port of a single-host mongodb:// URI. */
export function hostOf(uri: string): { host: string; port: number } {
  const u = new URL(uri);
  return { host: u.hostname, port: Number(u.port || 27017) };
}
