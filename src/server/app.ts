/**
 * The service's Koa application. It only composes: the token store and `Wechat` client
 * (src/token, src/wechat), the webhook (src/webhook), metrics, health and the central token
 * routes. Reading order for one webhook request: this file's router -> `webhook()` middleware
 * (src/webhook/middleware.ts) -> the handler registry (src/webhook/registry.ts).
 */
import Koa from 'koa';
import Router from 'koa-router';
import type mongoose from 'mongoose';
import type { Dispatcher } from 'undici';
import type { AppConfig } from '../../config/index.js';
import { InvalidOptionError } from '../errors.js';
import { noopLogger, type Logger } from '../log/logger.js';
import { ServiceMetrics, BoundedLabel, KNOWN_MSG_TYPES } from '../metrics/metrics.js';
import { Wechat } from '../wechat/client.js';
import { customMessageOf } from '../wechat/api/message.js';
import { MemoryTokenStore } from '../token/memory-token-store.js';
import { FileTokenStore } from '../token/file-token-store.js';
import { MongoTokenStore } from '../token/mongo-token-store.js';
import { BreakerTokenStore } from '../token/breaker-store.js';
import type { TokenStore } from '../token/types.js';
import { exampleHandlers } from '../webhook/examples.js';
import { webhook, MemoryDedupeStore, MongoDedupeStore, HandlerRegistry, type HandlerMap, type DedupeStore, type WebhookObserver, type WebhookOptions } from '../webhook/index.js';
import { mountHealth, type ReadinessCheck } from './health.js';
import { mountTokenService } from './token-service.js';
import { mountJssdkRoutes, parseOrigins } from './jssdk-routes.js';
import { mountOAuthRoutes, type OAuthHooks } from './oauth-routes.js';
import { errorBoundary } from './error-boundary.js';
import { requestLog } from './request-log.js';

/** Default bound on waiting for late replies at shutdown, ms. */
export const DEFAULT_LATE_REPLY_DRAIN_MS = 10_000;

/** What the app needs besides the config. All optional except `mongo` when a store is `mongo`. */
export interface AppDeps {
  /** @default noopLogger */
  logger?: Logger;
  /** An open Mongoose connection; required when `TOKEN_STORE` or `DEDUPE_STORE` is `mongo`. */
  mongo?: mongoose.Connection;
  /** HTTP dispatcher for WeChat API calls (tests pass one). @default undici's global dispatcher */
  dispatcher?: Dispatcher;
  /** Clock, ms since the epoch. @default Date.now */
  now?: () => number;
  /** Use this token store instead of the one `TOKEN_STORE` names. */
  tokenStore?: TokenStore;
  /** Use this dedupe store instead of the one `DEDUPE_STORE` names. */
  dedupeStore?: DedupeStore;
  /** Collect process metrics (CPU, memory, event loop) in `/metrics`. @default true */
  processMetrics?: boolean;
  /** Web-login hooks (a handlers module's `onLogin`/`onDenied`); without them the default session cookie. */
  oauth?: OAuthHooks;
  /** Mount more routes on the service's router, after its own (the sandbox's demo page uses it). */
  routes?: (router: Router) => void;
}

/** The Koa app plus what it composed, so callers can start and stop it. */
export interface WechatApp extends Koa {
  /** The access_token client (call `start()` to begin background refresh). */
  readonly wechat: Wechat;
  readonly metrics: ServiceMetrics;
  /**
   * Waits (up to `graceMs`) for handlers that missed the reply deadline and their late replies, then
   * stops the token refresher and releases its lease. Does not close the injected Mongo connection.
   */
  close(graceMs?: number): Promise<void>;
}

function buildTokenStore(config: AppConfig, deps: AppDeps, logger: Logger, now: () => number): TokenStore {
  if (deps.tokenStore) return deps.tokenStore;
  switch (config.tokenStore) {
    case 'memory':
      return new MemoryTokenStore();
    case 'file':
      return new FileTokenStore({ dir: config.dataDir });
    case 'mongo':
      if (!deps.mongo) throw new InvalidOptionError('mongo', 'a Mongoose connection when TOKEN_STORE=mongo');
      // Skipped while MongoDB is down, so an outage costs a refresh at most one operation timeout.
      return new BreakerTokenStore(new MongoTokenStore(deps.mongo), { connection: deps.mongo, logger, now });
  }
}

function buildDedupeStore(config: AppConfig, deps: AppDeps, metrics: ServiceMetrics, logger: Logger): DedupeStore {
  if (deps.dedupeStore) return deps.dedupeStore;
  if (config.webhook.dedupeStore === 'mongo') {
    if (!deps.mongo) throw new InvalidOptionError('mongo', 'a Mongoose connection when DEDUPE_STORE=mongo');
    return new MongoDedupeStore(deps.mongo, {
      maxReplyBytes: config.webhook.dedupeMaxReplyBytes,
      onOversize: (bytes) => logger.warn({ event: 'webhook.dedupe_reply_not_stored', bytes, maxBytes: config.webhook.dedupeMaxReplyBytes }, 'reply too large to keep for retries; a retry of this delivery gets "success"'),
    });
  }
  return new MemoryDedupeStore({
    maxEntries: config.webhook.dedupeMaxEntries,
    maxBytes: config.webhook.dedupeMaxBytes,
    onEarlyEviction: (count) => {
      metrics.dedupeEarlyEvictions.inc(count);
      // At most once per generation of the store (about every 15 s at the sized peak).
      logger.warn({ event: 'webhook.dedupe_early_eviction', count }, 'memory dedupe store forgot deliveries before WeChat stops retrying them; use DEDUPE_STORE=mongo or more memory');
    },
  });
}

/**
 * Build the service app from a validated config (no I/O; `app.wechat.start()` begins the token
 * refresher). `handlers` defaults to the bundled examples.
 */
export function createApp(config: AppConfig, handlers?: HandlerMap | HandlerRegistry, deps: AppDeps = {}): WechatApp {
  const logger = deps.logger ?? noopLogger;
  const now = deps.now ?? Date.now;
  const store = buildTokenStore(config, deps, logger, now);
  const wechat = new Wechat({
    appId: config.wechat.appId,
    appSecret: config.wechat.appSecret,
    apiBase: config.wechat.apiBase,
    tokenMode: config.wechat.tokenMode,
    refreshMarginSeconds: config.wechat.refreshMarginSeconds,
    tokenSource: config.wechat.tokenSource,
    tokenSourceSecret: config.wechat.tokenSourceSecret,
    store,
    dispatcher: deps.dispatcher,
    now,
    logger,
  });
  const metrics = new ServiceMetrics({
    collectProcessMetrics: deps.processMetrics ?? true,
    tokens: {
      fetchedAt: () => wechat.status().fetchedAt,
      expiresAt: () => wechat.status().expiresAt,
      now,
    },
  });
  // Label values that come from input (a push's MsgType, an upstream errcode) are bounded so a flood
  // of made-up values cannot grow /metrics without end.
  const msgTypes = new BoundedLabel(KNOWN_MSG_TYPES);
  const endpoints = new BoundedLabel([], { learn: 200 });
  const errcodes = new BoundedLabel(['0', 'network'], { learn: 100 });
  const causes = new BoundedLabel([], { learn: 100 });
  wechat.on('refreshed', (e) => {
    metrics.tokenRefreshes.inc({ source: e.source });
    metrics.tokenRefreshDuration.observe(e.durationMs / 1000);
  });
  wechat.on('refreshFailed', (e) => {
    metrics.tokenRefreshFailures.inc({ cause: causes.of(e.error.code) });
  });
  wechat.on('apiCall', (e) => {
    metrics.apiCalls.inc({ endpoint: endpoints.of(e.endpoint), errcode: errcodes.of(String(e.errcode)) });
  });

  const observer: WebhookObserver = {
    onRequest: (e) => metrics.webhookRequests.inc({ outcome: e.outcome, msg_type: msgTypes.of(e.msgType ?? 'none') }),
    onHandler: (e) => metrics.handlerDuration.observe({ msg_type: msgTypes.of(e.msgType), ok: String(e.ok) }, e.durationMs / 1000),
    onDedupeHit: () => metrics.dedupeHits.inc(),
    onDeadline: () => metrics.deadlineFallbacks.inc(),
    onLateReply: (e) => metrics.lateReplies.inc({ result: e.ok ? 'sent' : 'failed' }),
  };

  const app = new Koa() as Koa & Partial<WechatApp>;
  // Off by default: with it, X-Forwarded-For picks the client address, which a direct client can forge.
  app.proxy = config.server.trustProxy;
  app.maxIpsCount = 1;
  // Errors are logged by our own middleware below; Koa's default stderr dump would print stacks.
  app.silent = true;

  const router = new Router();
  const webhookPath = config.server.webhookPath;
  const knownRoutes = [
    '/healthz',
    '/readyz',
    '/metrics',
    '/internal/access-token',
    '/internal/access-token/invalidate',
    config.jssdk.configPath,
    config.jssdk.reportPath,
    config.oauth.loginPath,
    config.oauth.callbackPath,
  ];
  const routeOf = (p: string): string =>
    p === webhookPath ? webhookPath : knownRoutes.includes(p) ? p : 'other';
  app.use(requestLog(logger, metrics, routeOf));
  app.use(errorBoundary(logger));

  const webhookOptions: WebhookOptions = {
    token: config.wechat.token,
    appId: config.wechat.appId,
    encodingAESKey: config.wechat.encodingAESKey,
    previousEncodingAESKey: config.wechat.previousEncodingAESKey,
    mode: config.wechat.messageMode,
    timestampWindowSeconds: config.webhook.timestampWindowSeconds,
    bodyLimitBytes: config.webhook.bodyLimitBytes,
    replyDeadlineMs: config.webhook.replyDeadlineMs,
    dedupe: buildDedupeStore(config, deps, metrics, logger),
    dedupeTtlSeconds: config.webhook.dedupeTtlSeconds,
    sender: async (openId, late) => {
      const message = customMessageOf(openId, late);
      if (message) await wechat.message.sendCustom(message);
    },
    logger,
    now,
    observer,
  };
  const resolvedHandlers = handlers ?? exampleHandlers();
  const webhookMiddleware = resolvedHandlers instanceof HandlerRegistry ? webhook(webhookOptions, resolvedHandlers) : webhook(webhookOptions, resolvedHandlers);
  router.all(webhookPath, webhookMiddleware);

  const checks: Record<string, ReadinessCheck> = {
    token: () => {
      const s = wechat.status();
      if (s.hasToken && s.expiresAt !== undefined && s.expiresAt > now()) return undefined;
      return s.lastError ? `no usable access_token: last refresh failed with ${s.lastError.code}${s.lastError.errcode !== undefined ? ` (errcode ${s.lastError.errcode})` : ''}` : 'no access_token yet';
    },
  };
  if (deps.mongo && (config.tokenStore === 'mongo' || config.webhook.dedupeStore === 'mongo')) {
    const conn = deps.mongo;
    checks.mongo = async () => {
      if (conn.readyState !== 1 || !conn.db) return 'MongoDB is not connected';
      await conn.db.admin().ping();
      return undefined;
    };
  }
  mountHealth(router, checks);
  router.get('/metrics', async (ctx) => {
    ctx.set('Content-Type', metrics.contentType);
    ctx.body = await metrics.render();
  });
  if (config.tokenService.secret) {
    mountTokenService(router, { secret: config.tokenService.secret, tokens: wechat, logger, now, invalidateMinIntervalMs: config.tokenService.invalidateIntervalSeconds * 1000 });
  }

  if (config.jssdk.allowedOrigins) {
    mountJssdkRoutes(router, {
      jssdk: wechat.jssdk,
      allowedOrigins: parseOrigins(config.jssdk.allowedOrigins),
      configPath: config.jssdk.configPath,
      reportPath: config.jssdk.reportPath,
      reportIntervalSeconds: config.jssdk.reportIntervalSeconds,
      logger,
      now,
    });
  }

  if (config.oauth.cookieKeys) {
    // Signs the login's state cookie and the default session cookie; the first key signs, all verify.
    app.keys = config.oauth.cookieKeys.split(',');
    mountOAuthRoutes(router, {
      wechat,
      loginPath: config.oauth.loginPath,
      callbackPath: config.oauth.callbackPath,
      scope: config.oauth.scope,
      publicOrigin: config.oauth.publicUrl,
      sessionMaxAgeSeconds: config.oauth.sessionMaxAgeSeconds,
      hooks: deps.oauth,
      logger,
      now,
    });
  }
  deps.routes?.(router);

  app.use(router.routes());
  app.use(router.allowedMethods());

  return Object.assign(app, {
    wechat,
    metrics,
    async close(graceMs: number = DEFAULT_LATE_REPLY_DRAIN_MS) {
      // Late replies go out through the token client, so they finish (bounded) before it closes.
      await webhookMiddleware.drain(graceMs);
      await wechat.close();
    },
  }) as WechatApp;
}
