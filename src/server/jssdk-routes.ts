/**
 * The JS-SDK routes for pages opened in WeChat (docs/h5.md):
 *
 * GET  <configPath>?url=<page URL>&jsApiList=a,b  -> the `wx.config` of that page (`wechat.jssdk.config()`)
 * POST <reportPath> {"url","nonceStr","timestamp","signature"} -> 202: a page's `config:invalid signature`
 *
 * Only pages whose origin is in the allowed list get a config; a browser's `Origin` header, when
 * sent, must be in it too, and CORS headers are sent for exactly those origins. Both routes are
 * rate limited per client address. A report acts only when the signature recomputes with the
 * current ticket (so anyone can call it without burning getticket quota), and then invalidates that
 * ticket at most once per interval; every answer is 202 or 400 and never carries the ticket.
 */
import type Koa from 'koa';
import type Router from 'koa-router';
import { InvalidOptionError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { RejectionLog } from '../log/rejection-log.js';
import { DEFAULT_REPORT_INTERVAL_SECONDS } from '../../config/variables.js';
import { jsapiSignature, signedUrl, type JssdkApi } from '../wechat/api/jssdk.js';
import { AddressRateLimiter } from './rate-limit.js';
import { readJson } from './token-service.js';

/** Longest page URL accepted, characters. */
export const MAX_PAGE_URL = 2048;
/** Most JS-SDK names in one `jsApiList`. */
export const MAX_JS_API_NAMES = 64;
/** Largest report body, bytes. */
export const MAX_REPORT_BYTES = 8192;
/** Requests allowed per client address per {@link JSSDK_RATE_WINDOW_MS}. */
export const JSSDK_RATE_LIMIT = 120;
/** Window of {@link JSSDK_RATE_LIMIT}, ms. */
export const JSSDK_RATE_WINDOW_MS = 60_000;
const LOGGED_URL = 256;

/** Options of {@link mountJssdkRoutes}. */
export interface JssdkRouteOptions {
  jssdk: Pick<JssdkApi, 'config' | 'checkReport' | 'ticket' | 'invalidateTicket'>;
  /** Origins (`https://host[:port]`) of the pages allowed to get a config. */
  allowedOrigins: readonly string[];
  configPath: string;
  reportPath: string;
  /** @default DEFAULT_REPORT_INTERVAL_SECONDS */
  reportIntervalSeconds?: number;
  logger: Logger;
  now?: () => number;
  /** @default a {@link RejectionLog} on `logger` */
  rejections?: RejectionLog;
  /** @default JSSDK_RATE_LIMIT */
  rateLimit?: number;
}

/** Parse `JSSDK_ALLOWED_ORIGINS` (comma list) into serialized origins. @throws {InvalidOptionError} */
export function parseOrigins(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      let u: URL;
      try {
        u = new URL(s);
      } catch {
        throw new InvalidOptionError('JSSDK_ALLOWED_ORIGINS', 'a comma list of http(s) origins');
      }
      if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin !== s.replace(/\/$/, '').toLowerCase()) {
        throw new InvalidOptionError('JSSDK_ALLOWED_ORIGINS', 'a comma list of http(s) origins (scheme, host and port only)');
      }
      return u.origin;
    });
}

/** Mount the JS-SDK routes on `router`. */
export function mountJssdkRoutes(router: Router, options: JssdkRouteOptions): void {
  const now = options.now ?? Date.now;
  const allowed = new Set(options.allowedOrigins);
  const intervalMs = (options.reportIntervalSeconds ?? DEFAULT_REPORT_INTERVAL_SECONDS) * 1000;
  const rejections = options.rejections ?? new RejectionLog(options.logger, { now });
  const limiter = new AddressRateLimiter({ limit: options.rateLimit ?? JSSDK_RATE_LIMIT, windowMs: JSSDK_RATE_WINDOW_MS, now });
  let lastInvalidatedAt = -Infinity;

  const fail = (ctx: Koa.Context, status: number, error: string): void => {
    ctx.status = status;
    ctx.body = { error };
  };

  // CORS for exactly the allowed origins; a browser request from any other origin is refused.
  const cors =
    (methods: string): Koa.Middleware =>
    async (ctx, next) => {
      ctx.vary('Origin');
      const origin = ctx.get('origin');
      if (origin && !allowed.has(origin)) {
        rejections.record('jssdk.origin_refused', 'request from an origin not in JSSDK_ALLOWED_ORIGINS', { origin: origin.slice(0, LOGGED_URL) });
        fail(ctx, 403, 'origin not allowed');
        return;
      }
      if (origin) ctx.set('Access-Control-Allow-Origin', origin);
      if (ctx.method === 'OPTIONS') {
        ctx.set('Access-Control-Allow-Methods', methods);
        ctx.set('Access-Control-Allow-Headers', 'Content-Type');
        ctx.set('Access-Control-Max-Age', '600');
        ctx.status = 204;
        return;
      }
      await next();
    };

  const limited: Koa.Middleware = async (ctx, next) => {
    const client = ctx.ip || 'unknown';
    const waitMs = limiter.take(client);
    if (waitMs !== undefined) {
      rejections.record('jssdk.rate_limited', 'too many JS-SDK requests from one address', { client });
      ctx.set('Retry-After', String(Math.ceil(waitMs / 1000)));
      fail(ctx, 429, 'too many requests');
      return;
    }
    await next();
  };

  const configCors = cors('GET, OPTIONS');
  router.options(options.configPath, configCors);
  router.get(options.configPath, configCors, limited, async (ctx) => {
    const url = ctx.query.url;
    if (typeof url !== 'string' || url.length === 0 || url.length > MAX_PAGE_URL) {
      fail(ctx, 400, `url: the page URL (1 to ${MAX_PAGE_URL} characters), once`);
      return;
    }
    let origin: string;
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError('scheme');
      origin = u.origin;
    } catch {
      fail(ctx, 400, 'url: an absolute http(s) URL');
      return;
    }
    if (!allowed.has(origin)) {
      rejections.record('jssdk.page_refused', 'config asked for a page outside JSSDK_ALLOWED_ORIGINS', { origin: origin.slice(0, LOGGED_URL) });
      fail(ctx, 403, 'page origin not allowed');
      return;
    }
    const names = ctx.query.jsApiList;
    if (names !== undefined && (typeof names !== 'string' || names.length > MAX_JS_API_NAMES * 65)) {
      fail(ctx, 400, `jsApiList: one comma list of up to ${MAX_JS_API_NAMES} names`);
      return;
    }
    const jsApiList = names ? names.split(',').filter((s) => s.length > 0) : [];
    if (jsApiList.length > MAX_JS_API_NAMES) {
      fail(ctx, 400, `jsApiList: one comma list of up to ${MAX_JS_API_NAMES} names`);
      return;
    }
    try {
      const config = await options.jssdk.config({ url, jsApiList });
      ctx.set('Cache-Control', 'no-store');
      ctx.body = config;
    } catch (err) {
      if (err instanceof InvalidOptionError) {
        fail(ctx, 400, err.message);
        return;
      }
      throw err;
    }
  });

  const reportCors = cors('POST, OPTIONS');
  router.options(options.reportPath, reportCors);
  router.post(options.reportPath, reportCors, limited, async (ctx) => {
    const body = await readJson(ctx, MAX_REPORT_BYTES);
    const r = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
    const { url, nonceStr, timestamp, signature } = r;
    if (
      typeof url !== 'string' ||
      url.length === 0 ||
      url.length > MAX_PAGE_URL ||
      typeof nonceStr !== 'string' ||
      nonceStr.length > 64 ||
      (typeof timestamp !== 'number' && typeof timestamp !== 'string') ||
      String(timestamp).length > 16 ||
      typeof signature !== 'string' ||
      signature.length > 64
    ) {
      fail(ctx, 400, 'body must be {"url", "nonceStr", "timestamp", "signature"} of the config the page used');
      return;
    }
    ctx.status = 202;
    ctx.body = { accepted: true };
    const loggedUrl = url.slice(0, LOGGED_URL);
    const check = await options.jssdk.checkReport({ url, nonceStr, timestamp, signature });
    if (check !== 'current') {
      rejections.record('jssdk.report_ignored', 'invalid-signature report not signed with the current ticket', { url: loggedUrl });
      return;
    }
    const t = now();
    if (t - lastInvalidatedAt < intervalMs) {
      rejections.record('jssdk.report_limited', 'invalid-signature report inside the minimum interval; ticket kept', { url: loggedUrl });
      return;
    }
    lastInvalidatedAt = t;
    const ticket = await options.jssdk.ticket('jsapi');
    // The ticket may have been replaced since the check: invalidate only the one the page was signed with.
    if (jsapiSignature(ticket, nonceStr, String(timestamp), signedUrl(url)) !== signature.toLowerCase()) return;
    const invalidated = await options.jssdk.invalidateTicket('jsapi', ticket);
    options.logger.warn({ event: 'jssdk.ticket_reported', url: loggedUrl, invalidated }, 'a page reported config:invalid signature for the current jsapi_ticket; replaced it');
  });
}
