/**
 * The service's Koa application: composes routes; knows nothing about how tokens or messages work.
 */
import Koa from 'koa';
import Router from 'koa-router';
import type { AppConfig } from '../../config/index.js';
import { noopLogger, type Logger } from '../log/logger.js';

/** What the app needs besides the config. */
export interface AppDeps {
  /** @default noopLogger */
  logger?: Logger;
}

/** Build the Koa app (no I/O; call `app.callback()` or `listen`). */
export function createApp(config: AppConfig, deps: AppDeps = {}): Koa {
  const logger = deps.logger ?? noopLogger;
  const app = new Koa();
  app.proxy = true;
  app.silent = true;
  app.on('error', (err: Error & { status?: number; expose?: boolean }) => {
    if ((err.status ?? 500) >= 500) logger.error({ event: 'http.error', err: { name: err.name, message: err.message } }, 'request failed');
  });

  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  // Placeholder until the webhook lands: WeChat sees a clear "not ready" instead of a 404.
  router.all(config.server.webhookPath, (ctx) => {
    ctx.status = 503;
    ctx.body = 'webhook not configured yet';
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
