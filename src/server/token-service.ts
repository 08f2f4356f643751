/**
 * The central token service ("中控服务器", which WeChat recommends): other services of the account
 * get the access_token here instead of calling WeChat's token API, so only this deployment spends
 * token quota and refreshes happen in one place.
 *
 * GET  /internal/access-token             -> {"access_token", "expires_at" (ms since epoch), "expires_in" (s left)}
 * POST /internal/access-token/invalidate  {"access_token": "<the token WeChat rejected>"}
 *      -> compare-and-invalidate: refreshes only if that token is still the current one.
 * Both need `Authorization: Bearer <TOKEN_SERVICE_SECRET>` (constant-time check); wrong secrets are
 * rate limited per client address.
 */
import type Koa from 'koa';
import type Router from 'koa-router';
import getRawBody from 'raw-body';
import { safeEqual } from '../util/safe-equal.js';
import type { Logger } from '../log/logger.js';

/** The token operations the routes need (the `Wechat` class provides them). */
export interface TokenProvider {
  fetchAccessToken(): Promise<{ access_token: string; expires_at: number }>;
  invalidateAccessToken(rejected: string): Promise<{ access_token: string; expires_at: number }>;
}

/** Failed attempts allowed per client per window before 429. */
export const AUTH_FAILURE_LIMIT = 5;
/** Window of {@link AUTH_FAILURE_LIMIT}, ms. */
export const AUTH_FAILURE_WINDOW_MS = 60_000;
const MAX_TRACKED_CLIENTS = 10_000;

/** Mount the token routes on `router`. Call only when a secret is configured. */
export function mountTokenService(
  router: Router,
  options: { secret: string; tokens: TokenProvider; logger: Logger; now?: () => number },
): void {
  const now = options.now ?? Date.now;
  const failures = new Map<string, { count: number; resetAt: number }>();

  const authorize: Koa.Middleware = async (ctx, next) => {
    const client = ctx.ip || 'unknown';
    const t = now();
    const entry = failures.get(client);
    if (entry && entry.resetAt <= t) failures.delete(client);
    const current = failures.get(client);
    if (current && current.count >= AUTH_FAILURE_LIMIT) {
      ctx.set('Retry-After', String(Math.ceil((current.resetAt - t) / 1000)));
      ctx.status = 429;
      ctx.body = { error: 'too many failed authentication attempts' };
      return;
    }
    const header = ctx.get('authorization');
    const provided = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!safeEqual(provided, options.secret)) {
      // Evict the oldest entry (Map keeps insertion order) rather than clearing every counter,
      // which would let a flood of addresses reset the limit of the one being attacked from.
      if (!failures.has(client) && failures.size >= MAX_TRACKED_CLIENTS) failures.delete(failures.keys().next().value as string);
      const e = failures.get(client) ?? { count: 0, resetAt: t + AUTH_FAILURE_WINDOW_MS };
      e.count++;
      failures.set(client, e);
      options.logger.warn({ event: 'token_service.auth_failed', client }, 'token service: bad or missing bearer secret');
      ctx.set('WWW-Authenticate', 'Bearer');
      ctx.status = 401;
      ctx.body = { error: 'unauthorized' };
      return;
    }
    await next();
  };

  router.get('/internal/access-token', authorize, async (ctx) => {
    const token = await options.tokens.fetchAccessToken();
    ctx.set('Cache-Control', 'no-store');
    ctx.body = tokenBody(token);
  });

  router.post('/internal/access-token/invalidate', authorize, async (ctx) => {
    const body = await readJson(ctx, 4096);
    const rejected = body && typeof body === 'object' ? (body as Record<string, unknown>).access_token : undefined;
    if (typeof rejected !== 'string' || rejected.length === 0 || rejected.length > 2048) {
      ctx.status = 400;
      ctx.body = { error: 'body must be {"access_token": "<the rejected token>"}' };
      return;
    }
    const token = await options.tokens.invalidateAccessToken(rejected);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = tokenBody(token);
  });

  // `expires_in` (whole seconds left, rounded down) lets a client whose clock differs from ours
  // compute the expiry on its own clock; `expires_at` is kept for readers that want the instant.
  function tokenBody(token: { access_token: string; expires_at: number }): { access_token: string; expires_at: number; expires_in: number } {
    return { access_token: token.access_token, expires_at: token.expires_at, expires_in: Math.max(0, Math.floor((token.expires_at - now()) / 1000)) };
  }
}

async function readJson(ctx: Koa.Context, limit: number): Promise<unknown> {
  // raw-body throws a 413 HttpError (expose: true) past the limit.
  const text = await getRawBody(ctx.req, { limit, encoding: 'utf8' });
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
