/**
 * MongoDB connection (Mongoose) for the service: bounded timeouts, logged state changes, and an
 * initial connection that keeps retrying in the background instead of crashing the process.
 *
 * Tutorials throw inside `connection.on('error')`, which kills the process on the first network
 * blip. Here every event is only logged; the driver reconnects by itself once connected, and the
 * first connection is retried with capped backoff until it succeeds or `close()` is called.
 */
import mongoose from 'mongoose';
import { ConnectionString } from 'mongodb-connection-string-url';
import { noopLogger, type Logger } from '../log/logger.js';
import { backoffMs } from '../util/backoff.js';

/** Default time to find a server before an operation fails (fail fast; callers fall back to memory). */
export const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 3000;
/** Default TCP connect timeout. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** Default socket inactivity timeout. */
export const DEFAULT_SOCKET_TIMEOUT_MS = 20_000;
/** First wait between attempts of the first connection (doubles per failure). */
const INITIAL_RETRY_BASE_DELAY_MS = 500;
/** Longest wait between attempts of the first connection. */
export const MAX_INITIAL_RETRY_DELAY_MS = 10_000;

/** Options of {@link openMongo}. */
export interface OpenMongoOptions {
  /** @default noopLogger */
  logger?: Logger;
  /** @default DEFAULT_SERVER_SELECTION_TIMEOUT_MS */
  serverSelectionTimeoutMS?: number;
  /** @default DEFAULT_CONNECT_TIMEOUT_MS */
  connectTimeoutMS?: number;
  /** @default DEFAULT_SOCKET_TIMEOUT_MS */
  socketTimeoutMS?: number;
  /** @default 10 */
  maxPoolSize?: number;
}

/** A managed Mongoose connection. */
export interface MongoHandle {
  /** The connection; models are created on it (`connection.model(...)`). */
  readonly connection: mongoose.Connection;
  /** Resolves once the first connection succeeded; never rejects (failures are retried and logged). */
  readonly ready: Promise<void>;
  /** True while the driver has a usable connection. */
  isConnected(): boolean;
  /** Stops retrying and closes the connection. */
  close(): Promise<void>;
}

/**
 * Hosts and database of a MongoDB URI, without credentials or options, for logs. Parsed with the
 * driver's own connection-string parser: a URI it cannot read (for example a password holding an
 * unescaped `/`, `@` or `:`) gives `[unparseable uri]` rather than a guess that could keep part of
 * the password.
 */
export function describeMongoUri(uri: string): string {
  let parsed: ConnectionString;
  try {
    parsed = new ConnectionString(uri);
  } catch {
    return UNPARSEABLE_URI;
  }
  // In doubt, say nothing: an `@` anywhere but once, right before the hosts, means part of a
  // credential may have been read as a host, a database name or an option; so does a database name
  // holding a character MongoDB forbids in one.
  const ats = uri.split('@').length - 1;
  const authority = uri.slice(uri.indexOf('://') + 3).split('/')[0] ?? '';
  const credentialsWhereExpected = parsed.username === '' ? ats === 0 : ats === 1 && authority.includes('@');
  const db = parsed.pathname === '/' ? '' : parsed.pathname;
  if (!credentialsWhereExpected || !/^(\/[^/\\. "$*<>:|?@]+)?$/.test(db)) return UNPARSEABLE_URI;
  return `${parsed.hosts.join(',')}${db}`;
}

/** What {@link describeMongoUri} logs for a URI it cannot parse. */
export const UNPARSEABLE_URI = '[unparseable uri]';

/**
 * Open a connection to `uri`. Does not throw for network failures: `ready` resolves on the first
 * success, and each failed attempt is logged with backoff.
 */
export function openMongo(uri: string, options: OpenMongoOptions = {}): MongoHandle {
  const logger = options.logger ?? noopLogger;
  const where = describeMongoUri(uri);
  const connection = mongoose.createConnection();
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let wakeRetry: (() => void) | undefined;

  connection.on('disconnected', () => {
    if (!closed) logger.warn({ event: 'mongo.disconnected', mongo: where }, 'MongoDB disconnected; the driver will reconnect');
  });
  connection.on('reconnected', () => logger.info({ event: 'mongo.reconnected', mongo: where }, 'MongoDB reconnected'));
  connection.on('error', (err: Error) => logger.error({ event: 'mongo.error', mongo: where, err: { name: err.name, message: err.message } }, 'MongoDB error'));

  const ready = (async () => {
    for (let attempt = 1; !closed; attempt++) {
      try {
        await connection.openUri(uri, {
          serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? DEFAULT_SERVER_SELECTION_TIMEOUT_MS,
          connectTimeoutMS: options.connectTimeoutMS ?? DEFAULT_CONNECT_TIMEOUT_MS,
          socketTimeoutMS: options.socketTimeoutMS ?? DEFAULT_SOCKET_TIMEOUT_MS,
          maxPoolSize: options.maxPoolSize ?? 10,
        });
        logger.info({ event: 'mongo.connected', mongo: where, attempt }, 'MongoDB connected');
        return;
      } catch (err) {
        if (closed) return;
        const delay = backoffMs(attempt, { baseMs: INITIAL_RETRY_BASE_DELAY_MS, maxMs: MAX_INITIAL_RETRY_DELAY_MS, jitter: false });
        logger.error(
          { event: 'mongo.connect_failed', mongo: where, attempt, retryInMs: delay, err: { name: (err as Error).name, message: (err as Error).message } },
          'MongoDB connection failed; retrying',
        );
        await new Promise<void>((resolve) => {
          wakeRetry = resolve;
          retryTimer = setTimeout(resolve, delay);
        });
      }
    }
  })();

  return {
    connection,
    ready,
    isConnected: () => connection.readyState === 1,
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      wakeRetry?.();
      await connection.close(true).catch((err: Error) => logger.warn({ event: 'mongo.close_failed', err: { message: err.message } }, 'MongoDB close failed'));
    },
  };
}
