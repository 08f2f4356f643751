/**
 * The service's error boundary: what a request that threw is answered, and what is logged of it.
 */
import type Koa from 'koa';
import { WechatMpError } from '../errors.js';
import type { Logger } from '../log/logger.js';

/**
 * Turns thrown errors into short JSON answers: a {@link WechatMpError} answers its `statusCode` (503 for
 * an upstream or store failure) with its code; anything unexpected is a 500 without details. Never a
 * stack or a secret.
 */
/** Longest request path an error line carries (paths come from the request). */
const MAX_LOGGED_PATH = 200;

export function errorBoundary(logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const e = err as Error & { status?: number; expose?: boolean };
      if (e.status && e.status < 500 && e.expose) {
        ctx.status = e.status;
        ctx.body = { error: e.message };
        return;
      }
      if (err instanceof WechatMpError) {
        // The registry (src/errors.ts) decides the status: 503 for an upstream or store failure.
        if (err.statusCode >= 500 && err.statusCode !== 503) {
          logger.error({ event: 'http.error', path: ctx.path.slice(0, MAX_LOGGED_PATH), code: err.code, err: { message: err.message, stack: err.stack } }, 'request failed');
        } else {
          logger.warn({ event: 'http.upstream_error', path: ctx.path.slice(0, MAX_LOGGED_PATH), code: err.code }, 'request failed: upstream or store unavailable');
        }
        ctx.status = err.statusCode;
        ctx.body = { error: err.code };
        return;
      }
      logger.error({ event: 'http.unexpected_error', path: ctx.path.slice(0, MAX_LOGGED_PATH), err: { name: e.name, message: e.message, stack: e.stack } }, 'unexpected error');
      ctx.status = 500;
      ctx.body = { error: 'internal error' };
    }
  };
}
