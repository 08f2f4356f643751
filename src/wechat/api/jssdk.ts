/**
 * The JS-SDK (docs/protocol.md section 7): `wechat.jssdk.config({ url, jsApiList })` for a page's
 * `wx.config`, `wechat.jssdk.cardExt(...)` for `wx.addCard`. The jsapi and wx_card tickets are
 * credentials of the token layer (memory -> shared store -> getticket, one leased refresh across
 * instances, refresh ahead, cooldowns); getticket goes through the client's API call, so a 40001/42001
 * there recovers the access_token once (compare-and-invalidate) and retries once.
 * With a ticket in memory, `config()` costs one SHA-1 and no I/O: a URL already in the form a browser
 * serializes is checked by one regular expression instead of a `URL` parse, the ticket is read from
 * memory without a promise hop, and nonces come from a pooled random buffer.
 */
import { createHash, hash, randomFillSync } from 'node:crypto';
import { InvalidOptionError } from '../../errors.js';
import type { TokenManager } from '../../token/token-manager.js';
import type { CredentialFetcher, FailureClass } from '../../token/types.js';
import { WechatApiError } from '../errors.js';
import type { ApiContext } from './context.js';

/** Ticket types of getticket. */
export type TicketType = 'jsapi' | 'wx_card';

/** Input of {@link JssdkApi.config}. */
export interface JssdkConfigInput {
  /** The page's full URL (absolute http or https); a `#fragment` is dropped before signing. */
  url: string;
  /** JS-SDK functions the page will call, e.g. `['updateAppMessageShareData']`. */
  jsApiList: readonly string[];
  /** Open tags, e.g. `['wx-open-launch-weapp']`. @default [] */
  openTagList?: readonly string[];
  /** Passed through to `wx.config` (alerts every call in WeChat). */
  debug?: boolean;
}

/** What a page passes to `wx.config`. */
export interface JssdkConfig {
  readonly appId: string;
  /** Seconds since the epoch; the one signed. */
  readonly timestamp: number;
  readonly nonceStr: string;
  /** Lower-case hex SHA-1 of `jsapi_ticket=..&noncestr=..&timestamp=..&url=..`. */
  readonly signature: string;
  readonly jsApiList: readonly string[];
  readonly openTagList: readonly string[];
  readonly debug?: boolean;
}

/** Input of {@link JssdkApi.cardExt}. */
export interface CardExtInput {
  cardId: string;
  /** The card's code, for cards with custom codes. */
  code?: string;
  /** The only user who may take the card. */
  openid?: string;
  /** Passed through unsigned. */
  outerStr?: string;
  /** Passed through unsigned (seconds). */
  fixedBeginTimestamp?: number;
}

/** One entry of `wx.addCard({ cardList: [...] })`. */
export interface CardExt {
  readonly cardId: string;
  /** The JSON string `wx.addCard` expects in `cardExt`. */
  readonly cardExt: string;
}

/** What {@link JssdkApi.checkReport} found about a signature a page reports as rejected. */
export type ReportCheck =
  /** We issued it with the ticket we hold now: that ticket is stale, invalidate it. */
  | 'current'
  /** Not a signature of our current ticket (forged, old, or another URL): ignore. */
  | 'unknown';

/** The JS-SDK area of one client. */
export interface JssdkApi {
  /** The `wx.config` of a page. @throws {InvalidOptionError} for a bad URL or list. */
  config(input: JssdkConfigInput): Promise<JssdkConfig>;
  /** The `cardExt` of `wx.addCard` (wx_card ticket). */
  cardExt(input: CardExtInput): Promise<CardExt>;
  /** The current ticket of `type` (memory -> store -> getticket). */
  ticket(type: TicketType): Promise<string>;
  /**
   * A page reported `config:invalid signature` for this config: recompute it with the ticket held now.
   * `'current'` means our current ticket was refused (use {@link JssdkApi.invalidateTicket}).
   */
  checkReport(report: { url: string; nonceStr: string; timestamp: number | string; signature: string }): Promise<ReportCheck>;
  /**
   * The ticket `rejected` was refused: compare-and-invalidate it (in memory and in the store) and get
   * the replacement through one leased refresh. At most once per ticket: a second report of the same
   * ticket resolves to the current one without any call. Resolves true when this call invalidated it.
   */
  invalidateTicket(type: TicketType, rejected: string): Promise<boolean>;
}

/** errcodes of getticket that retrying cannot fix. */
const PERMANENT = new Set([40013, 40125, 40164, 48001, 50001, 61004]);
const QUOTA = new Set([45009, 45011]);
const MAX_URL = 4096;
const API_NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
const REMEMBERED_REJECTIONS = 64;

/** How a getticket failure affects the next try. */
export function classifyTicketFailure(err: unknown): FailureClass {
  if (err instanceof WechatApiError) return QUOTA.has(err.errcode) ? 'quota' : PERMANENT.has(err.errcode) ? 'permanent' : 'transient';
  return 'transient';
}

/** The `wx.config` signature (docs/protocol.md section 7). */
export function jsapiSignature(ticket: string, nonceStr: string, timestamp: number | string, url: string): string {
  // One-shot hash: no Hash object per call.
  return hash('sha1', `jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`, 'hex');
}

/** The cardExt signature: the values sorted as strings and concatenated (docs/protocol.md section 7). */
export function cardSignature(values: readonly string[]): string {
  return createHash('sha1').update([...values].sort().join('')).digest('hex');
}

/**
 * An absolute http(s) URL that `new URL(url).href` returns unchanged: lower-case scheme and host name
 * (the last label starts with a letter, so no IPv4 parsing; no `xn--` label, so no IDNA), no port, no
 * user info, a path that starts with `/` and holds only characters the URL parser leaves as they are,
 * and likewise an optional query. Dot segments are ruled out separately ({@link DOT_SEGMENT}).
 */
const CANONICAL = /^https?:\/\/(?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*)?$/;
/** A `.` or `..` path segment (also spelled `%2e`), which the URL parser would resolve. */
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?:[/?]|$)/i;

/** `url` without its fragment when it is already in canonical form (see {@link CANONICAL}), else undefined. */
function canonicalWithoutFragment(url: string): string | undefined {
  const hashAt = url.indexOf('#');
  const base = hashAt < 0 ? url : url.slice(0, hashAt);
  if (!CANONICAL.test(base) || DOT_SEGMENT.test(base) || base.includes('xn--')) return undefined;
  return base;
}

/**
 * The URL a page's `wx.config` is checked against: absolute http(s), serialized as the browser's
 * `location.href` is, without the fragment. A URL already in that form is returned after one regular
 * expression; any other goes through the WHATWG parser. @throws {InvalidOptionError}
 */
export function signedUrl(url: unknown): string {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL) throw new InvalidOptionError('url', `the page URL (1 to ${MAX_URL} characters)`);
  const fast = canonicalWithoutFragment(url);
  if (fast !== undefined) return fast;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidOptionError('url', 'an absolute http(s) URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidOptionError('url', 'an absolute http(s) URL');
  u.hash = '';
  return u.href;
}

const NO_NAMES: readonly string[] = Object.freeze([]);

function apiList(name: string, v: unknown): readonly string[] {
  if (v === undefined) return NO_NAMES;
  if (!Array.isArray(v) || v.length > 200) throw new InvalidOptionError(name, 'an array of up to 200 JS-SDK names');
  const out = (v as unknown[]).slice();
  for (const x of out) if (typeof x !== 'string' || !API_NAME.test(x)) throw new InvalidOptionError(name, 'an array of up to 200 JS-SDK names');
  return Object.freeze(out as string[]);
}

// Nonces come from a pool of crypto random bytes refilled 512 nonces at a time (one syscall, not one per call).
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function nonce(): string {
  if (poolAt + 8 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += 8;
  return pool.toString('hex', poolAt - 8, poolAt);
}

function ticketFetcher(ctx: ApiContext, type: TicketType): CredentialFetcher {
  return {
    source: 'upstream',
    async fetch() {
      const res = await ctx.request<{ ticket?: unknown; expires_in?: unknown }>('GET', '/cgi-bin/ticket/getticket', { query: { type } });
      if (typeof res.ticket !== 'string' || res.ticket.length === 0 || typeof res.expires_in !== 'number' || !(res.expires_in > 0)) {
        throw new WechatApiError('/cgi-bin/ticket/getticket', -1, 'answer without ticket or expires_in');
      }
      return { value: res.ticket, expiresAt: ctx.now() + res.expires_in * 1000 };
    },
    classify: classifyTicketFailure,
  };
}

/** The JS-SDK area of one client. */
export function jssdkApi(ctx: ApiContext): JssdkApi {
  const managers = new Map<TicketType, TokenManager<string>>();
  const rejected: string[] = [];
  const manager = (type: TicketType): TokenManager<string> => {
    let m = managers.get(type);
    if (!m) {
      m = ctx.credential(`${type}_ticket`, ticketFetcher(ctx, type), (c) => c.value);
      managers.set(type, m);
    }
    return m;
  };
  const ticket = (type: TicketType): Promise<string> => {
    if (type !== 'jsapi' && type !== 'wx_card') return Promise.reject(new InvalidOptionError('type', "'jsapi' or 'wx_card'"));
    return manager(type).get();
  };
  return {
    ticket,
    async config(input) {
      if (typeof input !== 'object' || input === null) throw new InvalidOptionError('input', '{ url, jsApiList }');
      const url = signedUrl(input.url);
      const jsApiList = apiList('jsApiList', input.jsApiList);
      const openTagList = apiList('openTagList', input.openTagList);
      // A ticket in memory is used at once; otherwise (none yet, or due for refresh) the manager's get().
      const t = manager('jsapi').peek() ?? (await ticket('jsapi'));
      const timestamp = Math.floor(ctx.now() / 1000);
      const nonceStr = nonce();
      const signature = jsapiSignature(t, nonceStr, timestamp, url);
      const out = { appId: ctx.appId, timestamp, nonceStr, signature, jsApiList, openTagList };
      return Object.freeze(input.debug === undefined ? out : { ...out, debug: input.debug === true });
    },
    async cardExt(input) {
      if (typeof input?.cardId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(input.cardId)) throw new InvalidOptionError('cardId', 'a card_id');
      for (const k of ['code', 'openid', 'outerStr'] as const) {
        const v = input[k];
        if (v !== undefined && (typeof v !== 'string' || v.length === 0 || v.length > 128)) throw new InvalidOptionError(k, 'a string of 1 to 128 characters');
      }
      const t = await ticket('wx_card');
      const timestamp = String(Math.floor(ctx.now() / 1000));
      const nonceStr = nonce();
      const signed = [t, timestamp, input.cardId, nonceStr, ...(input.code ? [input.code] : []), ...(input.openid ? [input.openid] : [])];
      const ext = {
        ...(input.code ? { code: input.code } : {}),
        ...(input.openid ? { openid: input.openid } : {}),
        timestamp,
        nonce_str: nonceStr,
        ...(input.fixedBeginTimestamp !== undefined ? { fixed_begintimestamp: input.fixedBeginTimestamp } : {}),
        ...(input.outerStr ? { outer_str: input.outerStr } : {}),
        signature: cardSignature(signed),
      };
      return Object.freeze({ cardId: input.cardId, cardExt: JSON.stringify(ext) });
    },
    async checkReport(report) {
      let url: string;
      try {
        url = signedUrl(report.url);
      } catch {
        return 'unknown';
      }
      if (typeof report.nonceStr !== 'string' || typeof report.signature !== 'string' || report.nonceStr.length > 64 || report.signature.length !== 40) return 'unknown';
      const t = await ticket('jsapi');
      return jsapiSignature(t, report.nonceStr, String(report.timestamp), url) === report.signature.toLowerCase() ? 'current' : 'unknown';
    },
    async invalidateTicket(type, value) {
      if (typeof value !== 'string' || value.length === 0) throw new InvalidOptionError('rejected', 'the rejected ticket');
      if (rejected.includes(value)) return false;
      rejected.push(value);
      if (rejected.length > REMEMBERED_REJECTIONS) rejected.shift();
      await manager(type).invalidate(value);
      return true;
    },
  };
}
