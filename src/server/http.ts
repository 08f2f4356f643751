/**
 * HTTP lifecycle of the service: listen on HOST:PORT (src/util/listen.ts) and close gracefully (stop
 * accepting, let in-flight requests finish up to a bound, then cut what is left).
 */
import http from 'node:http';
import { listenOn, type ListenOptions } from '../util/listen.js';

export type { ListenOptions } from '../util/listen.js';

/** Default bound on how long in-flight requests may take to finish at shutdown. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 8000;

/** A listening server. */
export interface RunningServer {
  readonly server: http.Server;
  /** `http://host:port` as bound (port resolved when 0 was asked; `0.0.0.0` and `::` as loopback). */
  readonly url: string;
  /** Stop accepting, wait for in-flight requests up to `graceMs`, then destroy remaining sockets. */
  close(graceMs?: number): Promise<void>;
}

/** Start `handler` on `host:port`. */
export async function listen(handler: http.RequestListener, options: ListenOptions): Promise<RunningServer> {
  const server = http.createServer(handler);
  // WeChat gives up after 5 s; a slow client must not hold a socket much longer than that.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  const url = await listenOn(server, options);
  let closing: Promise<void> | undefined;
  return {
    server,
    url,
    close(graceMs = DEFAULT_SHUTDOWN_GRACE_MS) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        // Idle keep-alive sockets would otherwise hold close() open until they time out.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
