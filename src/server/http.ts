/**
 * HTTP lifecycle of the service: listen on HOST:PORT (src/util/listen.ts) with the timeouts enforced
 * as configured, and close gracefully: stop accepting, answer every further response with
 * `Connection: close` so busy keep-alive connections end after their current request, let in-flight
 * requests finish up to a bound, then cut what is left.
 */
import http from 'node:http';
import { DEFAULT_MAX_CONNECTIONS } from '../../config/variables.js';
import { listenOn, type ListenOptions as BindOptions } from '../util/listen.js';

/** Default bound on how long in-flight requests may take to finish at shutdown. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 6000;
/** Default time a client has to send the request headers. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** Default time a client has to send the whole request. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Default idle time of a keep-alive connection. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/**
 * How often Node checks the headers and request timeouts. Node's default (30 s) lets a socket that
 * trickles its headers live up to 30 s past `headersTimeout`; 1 s keeps the bounds close to what is set.
 */
export const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

/** Where and how to listen. */
export interface ListenOptions extends BindOptions {
  /** @default DEFAULT_HEADERS_TIMEOUT_MS */
  headersTimeoutMs?: number;
  /** @default DEFAULT_REQUEST_TIMEOUT_MS */
  requestTimeoutMs?: number;
  /** @default DEFAULT_KEEP_ALIVE_TIMEOUT_MS */
  keepAliveTimeoutMs?: number;
  /** @default DEFAULT_MAX_CONNECTIONS */
  maxConnections?: number;
}

/** A listening server. */
export interface RunningServer {
  readonly server: http.Server;
  /** `http://host:port` as bound (port resolved when 0 was asked; `0.0.0.0` and `::` as loopback). */
  readonly url: string;
  /**
   * Stop accepting, answer what is in flight with `Connection: close`, wait for it up to `graceMs`,
   * then destroy remaining sockets.
   */
  close(graceMs?: number): Promise<void>;
}

/** Start `handler` on `host:port`. */
export async function listen(handler: http.RequestListener, options: ListenOptions): Promise<RunningServer> {
  let shuttingDown = false;
  const inFlight = new Set<http.ServerResponse>();
  const server = http.createServer({ connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS }, (req, res) => {
    // Once shutdown started, a keep-alive connection gets this answer and no further request.
    if (shuttingDown) res.setHeader('Connection', 'close');
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    handler(req, res);
  });
  // WeChat gives up after 5 s; a slow client must not hold a socket much longer than that.
  server.requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  server.headersTimeout = Math.min(options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, server.requestTimeout);
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const url = await listenOn(server, options);
  let closing: Promise<void> | undefined;
  return {
    server,
    url,
    close(graceMs = DEFAULT_SHUTDOWN_GRACE_MS) {
      closing ??= new Promise<void>((resolve) => {
        shuttingDown = true;
        for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
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
