/**
 * Web login for Koa (docs/protocol.md section 8): a login route and a callback route.
 *
 * - `login` (GET `?returnTo=/path`) makes a random `state`, keeps it with `returnTo` in a signed,
 *   HttpOnly, SameSite=Lax cookie that lives `maxAgeMs` (Koa's `ctx.cookies` with `app.keys`), and
 *   redirects to WeChat's authorize page.
 * - `callback` refuses a missing state, or one this browser did not start (403 with the reason),
 *   exchanges the code once, calls `onLogin(ctx, grant)`, then redirects to `returnTo`. `returnTo` is a
 *   same-origin relative path only (`/x`; never `//host`, `/\host` or an absolute URL: 400).
 *   No code (the user refused) calls `onDenied`. A code that comes back again after this browser
 *   completed the login (back button, double redirect: WeChat's 40163) redirects to `returnTo`.
 */
import { randomBytes } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { InvalidOptionError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { noopLogger } from '../log/logger.js';
import { WechatApiError } from '../wechat/errors.js';
import type { OAuthApi, OAuthGrant, OAuthScope } from '../wechat/api/oauth.js';

/** Options of {@link oauthLogin}. */
export interface OAuthLoginOptions {
  /** The client (`wechat.oauth` is used). */
  wechat: { readonly oauth: OAuthApi };
  /** Path of the callback route, on this origin. */
  callbackPath: string;
  /** @default 'snsapi_base' */
  scope?: OAuthScope;
  /** The user logged in: set your session here. May set a response; otherwise `returnTo` follows. */
  onLogin(ctx: Context, grant: OAuthGrant): void | Promise<void>;
  /** The user refused consent. @default 403 "login refused" */
  onDenied?(ctx: Context, returnTo: string): void | Promise<void>;
  /** Where to go when the login route got no `returnTo`. @default '/' */
  defaultReturnTo?: string;
  /** Lifetime of the state cookie, ms. @default 600000 (10 minutes; WeChat's code lives 5) */
  maxAgeMs?: number;
  /** The origin WeChat redirects back to (behind a proxy without `app.proxy`). @default the request's protocol and host */
  publicOrigin?: string;
  /** @default 'wmp_oauth' */
  cookieName?: string;
  /** @default noopLogger */
  logger?: Logger;
}

/** The two routes of {@link oauthLogin}. */
export interface OAuthLogin {
  readonly login: Middleware;
  readonly callback: Middleware;
}

interface Pending {
  /** returnTo */
  r: string;
  /** completed */
  d?: 1;
}

const STATE_RE = /^[a-f0-9]{32}$/;
const MAX_RETURN_TO = 1024;
/**
 * Most state cookies one browser keeps: each login attempt adds one (about 1.4 KB with a long
 * returnTo), and a reload loop would otherwise push the Cookie header past Node's 16 KB limit.
 */
export const MAX_PENDING_LOGINS = 4;

/**
 * True for a same-origin relative path: `/x...`, printable ASCII without a backslash, never `//host`,
 * and not one that dot segments turn into `//host` once resolved (`/.//evil.example`, `/%2e//evil.example`).
 */
export function isSafeReturnTo(v: unknown): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_RETURN_TO) return false;
  if (!/^\/(?!\/)[\x21-\x5b\x5d-\x7e]*$/.test(v)) return false;
  const probe = new URL(v, 'http://origin.invalid');
  return probe.origin === 'http://origin.invalid' && !probe.pathname.startsWith('//');
}

function refuse(ctx: Context, status: number, reason: string): void {
  ctx.status = status;
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = reason;
}

/** Build the login and callback routes. @throws {InvalidOptionError} */
export function oauthLogin(options: OAuthLoginOptions): OAuthLogin {
  const o = options;
  if (!o || typeof o.wechat?.oauth?.authorizeUrl !== 'function') throw new InvalidOptionError('wechat', 'a Wechat client');
  if (typeof o.onLogin !== 'function') throw new InvalidOptionError('onLogin', 'a function (ctx, grant)');
  if (!isSafeReturnTo(o.callbackPath)) throw new InvalidOptionError('callbackPath', 'a path such as /oauth/callback');
  const defaultReturnTo = o.defaultReturnTo ?? '/';
  if (!isSafeReturnTo(defaultReturnTo)) throw new InvalidOptionError('defaultReturnTo', 'a same-origin path');
  const maxAge = o.maxAgeMs ?? 600_000;
  if (!Number.isInteger(maxAge) || maxAge < 60_000 || maxAge > 3_600_000) throw new InvalidOptionError('maxAgeMs', 'an integer from 60000 to 3600000');
  const scope = o.scope ?? 'snsapi_base';
  const cookieName = o.cookieName ?? 'wmp_oauth';
  if (!/^[A-Za-z0-9_]{1,32}$/.test(cookieName)) throw new InvalidOptionError('cookieName', '1 to 32 characters of [A-Za-z0-9_]');
  const logger = o.logger ?? noopLogger;
  const inflight = new Map<string, Promise<void>>();

  const name = (state: string) => `${cookieName}_${state}`;
  const keysMissing = (ctx: Context) => !ctx.app.keys;
  // Behind a TLS-terminating proxy Koa may not see https; the public origin says what the browser uses.
  const publicHttps = o.publicOrigin?.startsWith('https://') ?? false;
  const write = (ctx: Context, state: string, p: Pending) => {
    if (publicHttps) ctx.cookies.secure = true;
    ctx.cookies.set(name(state), Buffer.from(JSON.stringify(p)).toString('base64url'), {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      secure: ctx.secure || publicHttps,
      maxAge,
      path: '/',
      overwrite: true,
    });
  };
  const clear = (ctx: Context, state: string) => ctx.cookies.set(name(state), null, { signed: true, path: '/' });
  /** States of this flow the browser still holds cookies for (from the Cookie header, bounded). */
  const pendingStates = (ctx: Context): string[] => {
    const header = ctx.get('Cookie').slice(0, 16_384);
    const re = new RegExp(`(?:^|;\\s*)${cookieName}_([a-f0-9]{32})=`, 'g');
    return [...header.matchAll(re)].map((m) => m[1]!);
  };
  const read = (ctx: Context, state: string): Pending | undefined => {
    const raw = ctx.cookies.get(name(state), { signed: true });
    if (!raw) return undefined;
    try {
      const p = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Pending;
      return isSafeReturnTo(p.r) ? p : undefined;
    } catch {
      return undefined;
    }
  };

  const login: Middleware = async (ctx) => {
    if (keysMissing(ctx)) return refuse(ctx, 500, 'the login route needs app.keys (signed cookies)');
    const asked = ctx.query.returnTo;
    const returnTo = asked === undefined ? defaultReturnTo : asked;
    if (!isSafeReturnTo(returnTo)) return refuse(ctx, 400, 'returnTo must be a path on this site, such as /account');
    // Too many logins started and not finished in this browser: forget them rather than grow its cookies.
    const pending = pendingStates(ctx);
    if (pending.length >= MAX_PENDING_LOGINS) for (const s of pending) clear(ctx, s);
    const state = randomBytes(16).toString('hex');
    write(ctx, state, { r: returnTo });
    const origin = o.publicOrigin ?? `${ctx.protocol}://${ctx.host}`;
    ctx.redirect(o.wechat.oauth.authorizeUrl({ redirectUri: `${origin}${o.callbackPath}`, scope, state }));
  };

  const callback: Middleware = async (ctx) => {
    if (keysMissing(ctx)) return refuse(ctx, 500, 'the callback route needs app.keys (signed cookies)');
    const state = ctx.query.state;
    if (typeof state !== 'string' || state.length === 0) return refuse(ctx, 403, 'login refused: the state parameter is missing');
    if (!STATE_RE.test(state)) return refuse(ctx, 403, 'login refused: the state was not issued by this site');
    const pending = read(ctx, state);
    if (!pending) return refuse(ctx, 403, 'login refused: the state does not belong to this browser (or the login took too long); start again');
    const code = ctx.query.code;
    if (code === undefined) {
      clear(ctx, state);
      if (o.onDenied) return void (await o.onDenied(ctx, pending.r));
      return refuse(ctx, 403, 'login refused: consent was not given');
    }
    if (typeof code !== 'string' || code.length === 0) return refuse(ctx, 400, 'login refused: the code parameter is malformed');
    // This browser already completed this login (back button, double redirect): no second exchange.
    if (pending.d) return ctx.redirect(pending.r);
    const running = inflight.get(state);
    if (running) {
      await running.catch(() => {});
      return ctx.redirect(pending.r);
    }
    const work = (async () => {
      let grant: OAuthGrant;
      try {
        grant = await o.wechat.oauth.exchangeCode(code);
      } catch (err) {
        if (err instanceof WechatApiError && (err.errcode === 40163 || err.errcode === 40029)) {
          logger.warn({ event: 'oauth.code_refused', errcode: err.errcode }, 'a login code was refused');
          refuse(ctx, 400, `login refused: the code was ${err.errcode === 40163 ? 'already used' : 'invalid or expired'}; start again`);
          return;
        }
        throw err;
      }
      write(ctx, state, { r: pending.r, d: 1 });
      await o.onLogin(ctx, grant);
      if (ctx.body === undefined && ctx.status === 404) ctx.redirect(pending.r);
    })();
    inflight.set(state, work);
    try {
      await work;
    } finally {
      inflight.delete(state);
    }
  };

  return Object.freeze({ login, callback });
}
