/**
 * The running service: opens MongoDB when configured, loads handlers, builds the app, starts the
 * token refresher, listens, and shuts everything down in order. Used by `src/main.ts` and the sandbox.
 */
import type { Dispatcher } from 'undici';
import type { AppConfig } from '../../config/index.js';
import { createLogger, type Logger } from '../log/logger.js';
import { openMongo, describeMongoUri, type MongoHandle } from '../db/mongo.js';
import type { HandlerMap, HandlerRegistry } from '../webhook/index.js';
import { createApp, type AppDeps, type WechatApp } from './app.js';
import type { OAuthHooks } from './oauth-routes.js';
import { listen, DEFAULT_SHUTDOWN_GRACE_MS, type RunningServer } from './http.js';
import { loadHandlersModule } from './handlers-module.js';
import { TIMED_OUT, withTimeout } from '../util/timeout.js';
import { redactConfig } from '../../config/index.js';

/** Part of the budget kept for the token refresher's close and MongoDB's. */
const CLOSE_RESERVE_MS = 1_000;

/** How long start-up waits for MongoDB before serving anyway (stores fall back and retry). */
export const MONGO_STARTUP_WAIT_MS = 10_000;

/** Options of {@link startService}. */
export interface StartServiceOptions {
  /** @default a pino logger at `LOG_LEVEL`, pretty in a development terminal */
  logger?: Logger;
  /** Handlers; default: `WECHAT_HANDLERS`, else the bundled examples. */
  handlers?: HandlerMap | HandlerRegistry;
  dispatcher?: Dispatcher;
  /** Bound on in-flight requests at shutdown. @default DEFAULT_SHUTDOWN_GRACE_MS */
  shutdownGraceMs?: number;
  /** Bound on the whole shutdown, ms. @default `SHUTDOWN_BUDGET_MS` of the config */
  shutdownBudgetMs?: number;
  /** The setting named when the port is taken (the sandbox's `--port`). @default 'PORT' */
  portSetting?: string;
  /** Web-login hooks; default: the `onLogin`/`onDenied` of `WECHAT_HANDLERS`, else the session cookie. */
  oauth?: OAuthHooks;
  /** Mount more routes on the service's router (see {@link AppDeps.routes}). */
  routes?: AppDeps['routes'];
}

/** A started service. */
export interface RunningService {
  readonly url: string;
  readonly app: WechatApp;
  readonly server: RunningServer;
  readonly logger: Logger;
  /** Stop accepting, finish in-flight requests, stop the refresher, release the lease, close MongoDB. */
  close(): Promise<void>;
}

/** Start the service described by `config`. */
export async function startService(config: AppConfig, options: StartServiceOptions = {}): Promise<RunningService> {
  const logger =
    options.logger ??
    createLogger({ level: config.log.level, pretty: Boolean(process.stdout.isTTY) && config.env === 'development' });
  const needsMongo = config.mongo.uri !== undefined && (config.tokenStore === 'mongo' || config.webhook.dedupeStore === 'mongo');
  let mongo: MongoHandle | undefined;
  if (needsMongo && config.mongo.uri) {
    mongo = openMongo(config.mongo.uri, { logger });
    const connected = await withTimeout(mongo.ready, MONGO_STARTUP_WAIT_MS);
    if (connected === TIMED_OUT) logger.warn({ event: 'mongo.not_ready', waitedMs: MONGO_STARTUP_WAIT_MS }, 'serving before MongoDB is reachable; stores will retry');
  }
  const loaded = config.handlersModule ? await loadHandlersModule(config.handlersModule) : undefined;
  const handlers = options.handlers ?? loaded?.handlers;
  const oauth = options.oauth ?? loaded?.oauth;
  const app = createApp(config, handlers, { logger, mongo: mongo?.connection, dispatcher: options.dispatcher, oauth, routes: options.routes });
  app.wechat.start();
  let server: RunningServer;
  try {
    server = await listen(app.callback(), { host: config.server.host, port: config.server.port, portSetting: options.portSetting, maxConnections: config.server.maxConnections });
  } catch (err) {
    await app.close();
    await mongo?.close();
    throw err;
  }
  logger.info(
    {
      event: 'service.started',
      url: server.url,
      webhookPath: config.server.webhookPath,
      messageMode: config.wechat.messageMode,
      tokenStore: config.tokenStore,
      dedupeStore: config.webhook.dedupeStore,
      handlers: config.handlersModule ?? (options.handlers ? 'in code' : 'bundled examples'),
      webLogin: config.oauth.cookieKeys ? { loginPath: config.oauth.loginPath, callbackPath: config.oauth.callbackPath, onLogin: oauth?.onLogin ? 'custom' : 'session cookie' } : undefined,
      mongo: config.mongo.uri ? describeMongoUri(config.mongo.uri) : undefined,
      config: redactConfig(config),
    },
    'wechat-mp-server started',
  );
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    app,
    server,
    logger,
    close() {
      closing ??= (async () => {
        const budgetMs = options.shutdownBudgetMs ?? config.server.shutdownBudgetMs;
        logger.info({ event: 'service.stopping', budgetMs }, 'shutting down: no new connections, finishing in-flight requests');
        const deadline = Date.now() + budgetMs;
        const left = () => Math.max(0, deadline - CLOSE_RESERVE_MS - Date.now());
        await server.close(Math.min(options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS, left()));
        // Late replies get what the HTTP drain left of the budget.
        await app.close(left());
        await mongo?.close();
        logger.info({ event: 'service.stopped' }, 'stopped');
      })();
      return closing;
    },
  };
}
