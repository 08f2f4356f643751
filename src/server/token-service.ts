/**
 * The central token service ("中控服务器", which WeChat recommends): other services of the account
 * get the access_token here instead of calling WeChat's token API, so only this deployment spends
 * token quota and refreshes happen in one place.
 *
 * GET  /internal/access-token             -> {"access_token", "expires_at" (ms since epoch), "expires_in" (s left)}
 * POST /internal/access-token/invalidate  {"access_token": "<the token WeChat rejected>"}
 *      -> compare-and-invalidate: refreshes only if that token is still the current one.
 * Both need `Authorization: Bearer <TOKEN_SERVICE_SECRET>` (constant-time check, scheme case-insensitive
 * as RFC 7235 says). Only wrong secrets are rate limited per client address: the right secret always
 * passes, so a sibling with a stale secret behind the same proxy cannot lock out the healthy ones.
 * Forced refreshes are limited even with the right secret (each one spends token quota): one per
 * {@link INVALIDATE_MIN_INTERVAL_MS}; a later report of the token just replaced is answered with it.
 */
import type Koa from 'koa';
import type Router from 'koa-router';
import getRawBody from 'raw-body';
import { INVALIDATE_MIN_INTERVAL_MS } from '../../config/variables.js';
import { safeEqual } from '../util/safe-equal.js';
import type { Logger } from '../log/logger.js';
import { RejectionLog } from '../log/rejection-log.js';
import { AddressRateLimiter } from './rate-limit.js';

/** The token operations the routes need (the `Wechat` class provides them). */
export interface TokenProvider {
  fetchAccessToken(): Promise<{ access_token: string; expires_at: number }>;
  invalidateAccessToken(rejected: string): Promise<{ access_token: string; expires_at: number }>;
}

/** Failed attempts allowed per client per window before 429. */
export const AUTH_FAILURE_LIMIT = 5;
/** Window of {@link AUTH_FAILURE_LIMIT}, ms. */
export const AUTH_FAILURE_WINDOW_MS = 60_000;

/** Mount the token routes on `router`. Call only when a secret is configured. */
export function mountTokenService(
  router: Router,
  options: {
    secret: string;
    tokens: TokenProvider;
    logger: Logger;
    now?: () => number;
    /** @default INVALIDATE_MIN_INTERVAL_MS */
    invalidateMinIntervalMs?: number;
    /** Where rejections are logged (aggregated per reason). @default a {@link RejectionLog} on `logger` */
    rejections?: RejectionLog;
  },
): void {
  const now = options.now ?? Date.now;
  const minIntervalMs = options.invalidateMinIntervalMs ?? INVALIDATE_MIN_INTERVAL_MS;
  const rejections = options.rejections ?? new RejectionLog(options.logger, { now });
  const failures = new AddressRateLimiter({ limit: AUTH_FAILURE_LIMIT, windowMs: AUTH_FAILURE_WINDOW_MS, now });
  let lastForcedAt = -Infinity;
  let forcing: Promise<{ access_token: string; expires_at: number }> | undefined;

  const authorize: Koa.Middleware = async (ctx, next) => {
    // The secret is checked first: the right one passes whatever the address's failure count.
    if (safeEqual(bearerOf(ctx.get('authorization')), options.secret)) {
      await next();
      return;
    }
    const client = ctx.ip || 'unknown';
    const blockedMs = failures.blockedFor(client);
    if (blockedMs !== undefined) {
      rejections.record('token_service.auth_limited', 'too many failed bearer secrets from one address', { client });
      ctx.set('Retry-After', String(Math.ceil(blockedMs / 1000)));
      ctx.status = 429;
      ctx.body = { error: 'too many failed authentication attempts' };
      return;
    }
    failures.hit(client);
    rejections.record('token_service.auth_failed', 'bad or missing bearer secret', { client });
    ctx.set('WWW-Authenticate', 'Bearer');
    ctx.status = 401;
    ctx.body = { error: 'unauthorized' };
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
    const token = await forcedRefresh(rejected);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = tokenBody(token);
  });

  // Compare first: a token that is not the current one needs no refresh and counts for nothing.
  // The current one is replaced at most once per interval; a report inside it (a consumer that
  // was handed the token just replaced, or a flood of reports) is answered with the current token.
  async function forcedRefresh(rejected: string): Promise<{ access_token: string; expires_at: number }> {
    const current = await options.tokens.fetchAccessToken();
    if (current.access_token !== rejected) return current;
    const t = now();
    if (t - lastForcedAt < minIntervalMs) {
      rejections.record('token_service.invalidate_limited', 'forced refresh inside the minimum interval; answered with the current token', {
        retryInMs: Math.max(0, Math.ceil(lastForcedAt + minIntervalMs - t)),
      });
      // Reports racing the refresh get its result, not the token it replaces.
      await forcing?.catch(() => undefined);
      return options.tokens.fetchAccessToken();
    }
    lastForcedAt = t;
    forcing = options.tokens.invalidateAccessToken(rejected);
    return forcing;
  }

  // `expires_in` (whole seconds left, rounded down) lets a client whose clock differs from ours
  // compute the expiry on its own clock; `expires_at` is kept for readers that want the instant.
  function tokenBody(token: { access_token: string; expires_at: number }): { access_token: string; expires_at: number; expires_in: number } {
    return { access_token: token.access_token, expires_at: token.expires_at, expires_in: Math.max(0, Math.floor((token.expires_at - now()) / 1000)) };
  }
}

/** The credentials of a `Bearer` Authorization header (scheme case-insensitive), else `''`. */
function bearerOf(header: string): string {
  const m = /^bearer +(\S+) *$/i.exec(header);
  return m?.[1] ?? '';
}

/** The JSON body, at most `limit` bytes (413 past it); undefined when it does not parse. */
export async function readJson(ctx: Koa.Context, limit: number): Promise<unknown> {
  // raw-body throws a 413 HttpError (expose: true) past the limit.
  const text = await getRawBody(ctx.req, { limit, encoding: 'utf8' });
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
