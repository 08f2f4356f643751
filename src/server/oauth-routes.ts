/**
 * The service's web-login routes (docs/h5.md): the library's {@link oauthLogin} pair mounted at
 * `OAUTH_LOGIN_PATH` and `OAUTH_CALLBACK_PATH`.
 *
 * What a login does:
 * - the handlers module's `onLogin(ctx, grant)` when it exports one (it sets its own session; it may
 *   answer itself, otherwise the user is sent to `returnTo`);
 * - otherwise the default: a signed session cookie holding the OpenID (./oauth-session.ts), then
 *   `returnTo`. A snapshot-page user (`is_snapshotuser`, no real OpenID) gets no session.
 *
 * A refused consent calls the module's `onDenied(ctx, returnTo)`, or by default redirects to
 * `returnTo` with `oauth=denied` added to its query, so the page can say so.
 *
 * The user's tokens are never logged nor answered: the default keeps the OpenID only. The callback,
 * which can cost a call to WeChat, is rate limited per client address like the JS-SDK routes.
 */
import type { Context } from 'koa';
import type Router from 'koa-router';
import type { Logger } from '../log/logger.js';
import { RejectionLog } from '../log/rejection-log.js';
import { oauthLogin, type OAuthLoginOptions } from '../oauth/login.js';
import type { OAuthApi, OAuthScope } from '../wechat/api/oauth.js';
import { writeSession } from './oauth-session.js';
import { AddressRateLimiter } from './rate-limit.js';

/** Callback requests allowed per client address per {@link OAUTH_RATE_WINDOW_MS}. */
export const OAUTH_CALLBACK_RATE_LIMIT = 120;
/** Window of {@link OAUTH_CALLBACK_RATE_LIMIT}, ms. */
export const OAUTH_RATE_WINDOW_MS = 60_000;

/** What a handlers module may export for web login (`export function onLogin(ctx, grant) {}`). */
export interface OAuthHooks {
  /** The user logged in: set your session. Replaces the default session cookie. */
  readonly onLogin?: OAuthLoginOptions['onLogin'];
  /** The user refused consent. Replaces the default redirect to `returnTo?oauth=denied`. */
  readonly onDenied?: OAuthLoginOptions['onDenied'];
}

/** Options of {@link mountOAuthRoutes}. */
export interface OAuthRouteOptions {
  wechat: { readonly oauth: OAuthApi };
  loginPath: string;
  callbackPath: string;
  scope: OAuthScope;
  /** Origin for redirect_uri. @default the request's protocol and host */
  publicOrigin?: string;
  /** Lifetime of the default session cookie, seconds. */
  sessionMaxAgeSeconds: number;
  hooks?: OAuthHooks;
  logger: Logger;
  now?: () => number;
  /** @default OAUTH_CALLBACK_RATE_LIMIT */
  callbackRateLimit?: number;
}

/** `returnTo` (a same-origin path, checked by the login route) with `oauth=denied` in its query. */
export function deniedTarget(returnTo: string): string {
  const u = new URL(returnTo, 'http://origin.invalid');
  u.searchParams.set('oauth', 'denied');
  const target = `${u.pathname}${u.search}${u.hash}`;
  // Never a scheme-relative `//host` (isSafeReturnTo refuses what would resolve to one; this is a second lock).
  return target.startsWith('//') ? `/${u.search}` : target;
}

/** Mount the login and callback routes on `router`. The app must have `keys` set. */
export function mountOAuthRoutes(router: Router, options: OAuthRouteOptions): void {
  const { logger, hooks = {} } = options;
  const defaultLogin: OAuthLoginOptions['onLogin'] = (ctx, grant) => {
    if (grant.isSnapshotUser) {
      logger.info({ event: 'oauth.snapshot_user' }, 'a login from a snapshot page (no real OpenID): no session set');
      return;
    }
    if (!writeSession(ctx, grant.openid, options.sessionMaxAgeSeconds, { now: options.now, secure: options.publicOrigin?.startsWith('https://') })) {
      logger.warn({ event: 'oauth.openid_refused', length: grant.openid.length }, 'an OpenID of an unexpected shape: no session set');
      return;
    }
    logger.info({ event: 'oauth.login', scope: grant.scope }, 'a user logged in');
  };
  const defaultDenied = (ctx: Context, returnTo: string): void => {
    logger.info({ event: 'oauth.denied' }, 'a user refused the login');
    ctx.redirect(deniedTarget(returnTo));
  };
  const flow = oauthLogin({
    wechat: options.wechat,
    callbackPath: options.callbackPath,
    scope: options.scope,
    ...(options.publicOrigin ? { publicOrigin: options.publicOrigin } : {}),
    onLogin: hooks.onLogin ?? defaultLogin,
    onDenied: hooks.onDenied ?? defaultDenied,
    logger,
  });
  const noStore = async (ctx: Context, next: () => Promise<unknown>) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  };
  const rejections = new RejectionLog(logger, { now: options.now });
  const limiter = new AddressRateLimiter({ limit: options.callbackRateLimit ?? OAUTH_CALLBACK_RATE_LIMIT, windowMs: OAUTH_RATE_WINDOW_MS, now: options.now });
  const limited = async (ctx: Context, next: () => Promise<unknown>) => {
    const client = ctx.ip || 'unknown';
    const waitMs = limiter.take(client);
    if (waitMs === undefined) return next();
    rejections.record('oauth.rate_limited', 'too many login callbacks from one address', { client });
    ctx.set('Retry-After', String(Math.ceil(waitMs / 1000)));
    ctx.status = 429;
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = 'too many login attempts from this address; try again shortly';
  };
  router.get(options.loginPath, noStore, flow.login);
  router.get(options.callbackPath, noStore, limited, flow.callback);
}
