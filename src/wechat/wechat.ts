/**
 * `Wechat`: the client of one Official Account. It owns the access_token (through the token manager)
 * and calls token-authenticated APIs with it.
 *
 *   const wechat = new Wechat({ appID, appSecret, store: new MongoTokenStore(connection) });
 *   wechat.start();                                   // refresh ahead of expiry in the background
 *   const { access_token } = await wechat.fetchAccessToken();
 *   await wechat.sendCustomMessage({ touser, msgtype: 'text', text: { content: 'hi' } });
 *
 * The constructor validates and assigns only: no I/O, no timers (the tutorial pattern of a constructor
 * firing an unawaited fetch is exactly what this avoids).
 */
import { EventEmitter } from 'node:events';
import type { Dispatcher } from 'undici';
import { InvalidOptionError } from '../errors.js';
import { maskSecrets, noopLogger, type Logger } from '../log/logger.js';
import { bindStore } from '../token/store-adapter.js';
import {
  TokenManager,
  DEFAULT_REFRESH_MARGIN_SECONDS,
  DEFAULT_EXPIRY_SKEW_SECONDS,
  DEFAULT_REFRESH_JITTER_SECONDS,
  DEFAULT_LEASE_TTL_MS,
  DEFAULT_LEASE_WAIT_MS,
  DEFAULT_LEASE_POLL_MS,
  DEFAULT_PERMANENT_ERROR_COOLDOWN_SECONDS,
  DEFAULT_QUOTA_COOLDOWN_SECONDS,
  DEFAULT_SAVE_RETRY_BASE_MS,
  type RefreshFailedEvent,
  type StoreErrorEvent,
  type Timers,
  type TokenFetcher,
  type TokenRefreshedEvent,
  type TokenSavedEvent,
  type TokenStatus,
} from '../token/token-manager.js';
import { APPID_PATTERN, type AccessToken, type StoredToken, type TokenStore } from '../token/types.js';
import { HttpClient, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RETRY_ATTEMPTS, DEFAULT_RETRY_MAX_DELAY_MS, type RetryPolicy } from './http-client.js';
import { STABLE_ROTATION_WINDOW_SECONDS, UpstreamTokenEndpoint, type TokenMode } from './token-endpoint.js';
import { TokenSourceClient } from './token-source-client.js';
import { WechatApiError } from './errors.js';

export type { AccessToken, StoredToken, TokenStore } from '../token/types.js';
export type { TokenRefreshedEvent, RefreshFailedEvent, TokenSavedEvent, StoreErrorEvent, TokenStatus, Timers } from '../token/token-manager.js';
export type { TokenMode } from './token-endpoint.js';

/** Default WeChat API base URL. */
export const DEFAULT_WECHAT_API_BASE = 'https://api.weixin.qq.com';
/** Default token endpoint. */
export const DEFAULT_TOKEN_MODE: TokenMode = 'stable';
/** Time allowed for one token-store operation when sizing the default lease, ms (MongoDB server selection is 3 s). */
export const STORE_OPERATION_ALLOWANCE_MS = 3000;
/** Largest `expirySkewSeconds`: below stable_token's 300 s rotation window, with a minute to spare. */
export const MAX_EXPIRY_SKEW_SECONDS = 240;
/** errcodes that mean "this access_token is not (or no longer) valid": recover once, then give up. */
export const TOKEN_REJECTED_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001]);

/** Options of {@link Wechat}. Durations in seconds unless the name says ms. */
export interface WechatOptions {
  /** The AppID. */
  appID: string;
  /** The AppSecret. Not needed (may be empty) when `tokenSource` is set. Never logged. */
  appSecret: string;
  /** @default 'https://api.weixin.qq.com' */
  apiBase?: string;
  /** `stable` uses POST /cgi-bin/stable_token, `classic` GET /cgi-bin/token. @default 'stable' */
  tokenMode?: TokenMode;
  /** Where tokens are shared (MongoTokenStore, FileTokenStore, MemoryTokenStore or your own). @default none: this process only */
  store?: TokenStore;
  /** Seed-style store read (with `saveAccessToken`), instead of `store`. */
  getAccessToken?: () => Promise<StoredToken | null> | StoredToken | null;
  /** Seed-style store write (with `getAccessToken`), instead of `store`. */
  saveAccessToken?: (token: StoredToken) => Promise<void> | void;
  /** undici dispatcher for every HTTP call. @default a keep-alive Agent created on first use, closed by close() */
  dispatcher?: Dispatcher;
  /** Clock, ms since epoch. @default Date.now */
  now?: () => number;
  /** @default noopLogger */
  logger?: Logger;
  /**
   * Refresh this long before expiry. In `stable` mode at most 300 is used: stable_token only issues a
   * new token in the last 5 minutes, so an earlier refresh would just return the same one.
   * @default 300
   */
  refreshMarginSeconds?: number;
  /** A token this close to expiry is never handed out; at most {@link MAX_EXPIRY_SKEW_SECONDS}. @default DEFAULT_EXPIRY_SKEW_SECONDS (30) */
  expirySkewSeconds?: number;
  /** Random delay added to the background refresh time (spreads instances). @default DEFAULT_REFRESH_JITTER_SECONDS (60) */
  refreshJitterSeconds?: number;
  /**
   * URL of a central token service (another instance's GET /internal/access-token, Bearer auth). When set,
   * tokens come from there, and a rejected token is reported to `${tokenSource}/invalidate`
   * (POST {"access_token": "..."}).
   */
  tokenSource?: string;
  /** Bearer secret of `tokenSource` (required with it). Never logged. */
  tokenSourceSecret?: string;
  /** Bound on one HTTP request, ms. @default DEFAULT_REQUEST_TIMEOUT_MS (5000) */
  requestTimeoutMs?: number;
  /** Connect timeout of the built-in dispatcher, ms. @default DEFAULT_CONNECT_TIMEOUT_MS (3000) */
  connectTimeoutMs?: number;
  /** Retries of transient failures. @default { attempts: 3, baseDelayMs: 200, maxDelayMs: 2000 } */
  retry?: RetryPolicy;
  /**
   * Lifetime of an unreleased refresh lease, ms.
   * @default the larger of DEFAULT_LEASE_TTL_MS (30000) and the longest refresh the timeout and retry settings allow (30000 with the defaults)
   */
  leaseTtlMs?: number;
  /** How long a caller waits while another instance holds the lease, ms. @default DEFAULT_LEASE_WAIT_MS (35000) */
  leaseWaitMs?: number;
  /** Store re-read interval while waiting, ms. @default DEFAULT_LEASE_POLL_MS (100) */
  leasePollMs?: number;
  /** Pause of token requests after a permanent error. @default DEFAULT_PERMANENT_ERROR_COOLDOWN_SECONDS (60) */
  permanentErrorCooldownSeconds?: number;
  /** Pause of token requests after 45009. @default DEFAULT_QUOTA_COOLDOWN_SECONDS (600) */
  quotaCooldownSeconds?: number;
  /** First delay before retrying a failed store save, ms. @default DEFAULT_SAVE_RETRY_BASE_MS (1000) */
  saveRetryBaseMs?: number;
  /** Timers of the background refresher and save retries (tests pass fakes). @default global timers */
  timers?: Timers;
  /** Waits between HTTP retries and lease polls (tests may shorten them). @default setTimeout-based */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
}

/** Events of {@link Wechat}. */
export interface WechatEvents {
  /** A token was taken (from upstream, the store, or the token source). */
  tokenRefreshed: [TokenRefreshedEvent];
  /** A refresh failed; `error` is typed (WMP_ERR_TOKEN_PERMANENT, WMP_ERR_TOKEN_QUOTA, WMP_ERR_UPSTREAM...). */
  refreshFailed: [RefreshFailedEvent];
  /** A token was written to the store (`deferred`: after an earlier failure). */
  tokenSaved: [TokenSavedEvent];
  /** The store failed; the manager carried on without it. */
  storeError: [StoreErrorEvent];
  /** A token-authenticated API call finished: errcode 0 on success, `'network'` when no JSON answer came back. */
  apiCall: [ApiCallEvent];
}

/** Payload of the `apiCall` event (for metrics such as calls by endpoint and errcode). */
export interface ApiCallEvent {
  /** API path, e.g. `/cgi-bin/menu/get`. */
  endpoint: string;
  errcode: number | 'network';
}

/** One custom-menu button. */
export interface MenuButton {
  name: string;
  type?: string;
  key?: string;
  url?: string;
  media_id?: string;
  article_id?: string;
  appid?: string;
  pagepath?: string;
  sub_button?: MenuButton[];
}

/** A custom menu. */
export interface Menu {
  button: MenuButton[];
}

/** Answer of `menu/get`. */
export interface MenuInfo {
  menu: Menu & { menuid?: string };
  conditionalmenu?: unknown[];
}

/** A customer-service message (`message/custom/send`). */
export interface CustomMessage {
  touser: string;
  msgtype: string;
  [key: string]: unknown;
}

/** Options of {@link Wechat.request}. */
export interface RequestOptions {
  query?: Record<string, string>;
  body?: unknown;
  /** Retry transient failures. @default true for GET, false for POST (a POST may not be idempotent) */
  retry?: boolean;
}

const PATH_PATTERN = /^\/[A-Za-z0-9_\-/.]*$/;

function checkNumber(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidOptionError(name, `a number from ${min} to ${max}`);
  }
}

function checkFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw new InvalidOptionError(name, 'a function');
}

function checkUrl(name: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new InvalidOptionError(name, 'an absolute http(s) URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidOptionError(name, 'an absolute http(s) URL');
  return value.replace(/\/+$/, '');
}

/** The client of one Official Account. */
export class Wechat extends EventEmitter<WechatEvents> {
  /** The AppID. */
  readonly appID: string;
  /** Resolved API base URL (no trailing slash). */
  readonly apiBase: string;
  /** Resolved token mode. */
  readonly tokenMode: TokenMode;
  readonly #secrets: string[];
  readonly #http: HttpClient;
  readonly #manager: TokenManager;

  constructor(options: WechatOptions) {
    super();
    if (!options || typeof options !== 'object') throw new InvalidOptionError('options', 'an object');
    const o = options;
    if (typeof o.appID !== 'string' || !APPID_PATTERN.test(o.appID)) throw new InvalidOptionError('appID', 'the AppID (letters, digits, "_" or "-")');
    const tokenSource = o.tokenSource === undefined ? undefined : checkUrl('tokenSource', o.tokenSource);
    if (tokenSource !== undefined && (typeof o.tokenSourceSecret !== 'string' || o.tokenSourceSecret.length === 0)) {
      throw new InvalidOptionError('tokenSourceSecret', 'the bearer secret of tokenSource');
    }
    if (tokenSource === undefined && (typeof o.appSecret !== 'string' || o.appSecret.length === 0)) {
      throw new InvalidOptionError('appSecret', 'the AppSecret (a non-empty string)');
    }
    const apiBase = checkUrl('apiBase', o.apiBase ?? DEFAULT_WECHAT_API_BASE);
    const tokenMode = o.tokenMode ?? DEFAULT_TOKEN_MODE;
    if (tokenMode !== 'stable' && tokenMode !== 'classic') throw new InvalidOptionError('tokenMode', '"stable" or "classic"');
    checkNumber('refreshMarginSeconds', o.refreshMarginSeconds, 0, 3600);
    // stable_token hands out a token with as little as 300 s left: a skew that large would refuse it.
    checkNumber('expirySkewSeconds', o.expirySkewSeconds, 0, MAX_EXPIRY_SKEW_SECONDS);
    checkNumber('refreshJitterSeconds', o.refreshJitterSeconds, 0, 3600);
    checkNumber('requestTimeoutMs', o.requestTimeoutMs, 1, 120_000);
    checkNumber('connectTimeoutMs', o.connectTimeoutMs, 1, 120_000);
    checkNumber('retry.attempts', o.retry?.attempts, 1, 10);
    checkNumber('retry.baseDelayMs', o.retry?.baseDelayMs, 0.001, 60_000);
    checkNumber('retry.maxDelayMs', o.retry?.maxDelayMs, 0.001, 600_000);
    checkNumber('leaseTtlMs', o.leaseTtlMs, 1, 3_600_000);
    checkNumber('leaseWaitMs', o.leaseWaitMs, 1, 3_600_000);
    checkNumber('leasePollMs', o.leasePollMs, 1, 60_000);
    checkNumber('permanentErrorCooldownSeconds', o.permanentErrorCooldownSeconds, 0, 86_400);
    checkNumber('quotaCooldownSeconds', o.quotaCooldownSeconds, 0, 86_400);
    checkNumber('saveRetryBaseMs', o.saveRetryBaseMs, 1, 3_600_000);
    checkFunction('now', o.now);
    checkFunction('sleep', o.sleep);
    checkFunction('random', o.random);
    if (o.timers !== undefined && (typeof o.timers?.setTimeout !== 'function' || typeof o.timers?.clearTimeout !== 'function')) {
      throw new InvalidOptionError('timers', '{ setTimeout, clearTimeout }');
    }
    if (o.logger !== undefined && (typeof o.logger?.warn !== 'function' || typeof o.logger?.error !== 'function')) {
      throw new InvalidOptionError('logger', 'a Logger ({ error, warn, info, debug })');
    }
    if (o.dispatcher !== undefined && typeof (o.dispatcher as Partial<Dispatcher>)?.dispatch !== 'function') {
      throw new InvalidOptionError('dispatcher', 'an undici Dispatcher');
    }
    const store = bindStore(o.appID, o.store, { getAccessToken: o.getAccessToken, saveAccessToken: o.saveAccessToken });

    this.appID = o.appID;
    this.apiBase = apiBase;
    this.tokenMode = tokenMode;
    this.#secrets = [o.appSecret, o.tokenSourceSecret].filter((s): s is string => typeof s === 'string' && s.length > 0);
    const now = o.now ?? Date.now;
    const logger = o.logger ?? noopLogger;
    this.#http = new HttpClient({
      dispatcher: o.dispatcher,
      requestTimeoutMs: o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      connectTimeoutMs: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      retry: o.retry,
      sleep: o.sleep,
      random: o.random,
    });
    let fetcher: TokenFetcher;
    if (tokenSource !== undefined) {
      const client = new TokenSourceClient({ url: tokenSource, secret: o.tokenSourceSecret!, http: this.#http, now });
      fetcher = { source: 'tokenSource', fetch: (ctx) => client.fetch(ctx) };
    } else {
      const endpoint = new UpstreamTokenEndpoint({ appId: o.appID, appSecret: o.appSecret, apiBase, mode: tokenMode, http: this.#http, now });
      fetcher = { source: 'upstream', fetch: (ctx) => endpoint.fetch(ctx) };
    }
    // The lease must outlive the longest refresh its holder can make, or a waiting instance takes it
    // over mid-fetch and calls WeChat too: a retried normal call, a single forced call (stable mode),
    // and two store operations (invalidate, save) bounded by the driver's server selection timeout.
    const requestMs = o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const attempts = o.retry?.attempts ?? DEFAULT_RETRY_ATTEMPTS;
    const worstRefreshMs = attempts * requestMs + (attempts - 1) * (o.retry?.maxDelayMs ?? DEFAULT_RETRY_MAX_DELAY_MS) + requestMs + 2 * STORE_OPERATION_ALLOWANCE_MS;
    const leaseTtlMs = o.leaseTtlMs ?? Math.max(DEFAULT_LEASE_TTL_MS, worstRefreshMs);
    let marginSeconds = o.refreshMarginSeconds ?? DEFAULT_REFRESH_MARGIN_SECONDS;
    if (tokenSource === undefined && tokenMode === 'stable') marginSeconds = Math.min(marginSeconds, STABLE_ROTATION_WINDOW_SECONDS);
    this.#manager = new TokenManager({
      appid: o.appID,
      fetcher,
      store,
      // A central token service coordinates refreshes itself.
      useLease: tokenSource === undefined,
      now,
      logger,
      refreshMarginMs: marginSeconds * 1000,
      expirySkewMs: (o.expirySkewSeconds ?? DEFAULT_EXPIRY_SKEW_SECONDS) * 1000,
      refreshJitterMs: (o.refreshJitterSeconds ?? DEFAULT_REFRESH_JITTER_SECONDS) * 1000,
      leaseTtlMs,
      leaseWaitMs: o.leaseWaitMs ?? Math.max(DEFAULT_LEASE_WAIT_MS, leaseTtlMs + 5000),
      leasePollMs: o.leasePollMs ?? DEFAULT_LEASE_POLL_MS,
      permanentErrorCooldownMs: (o.permanentErrorCooldownSeconds ?? DEFAULT_PERMANENT_ERROR_COOLDOWN_SECONDS) * 1000,
      quotaCooldownMs: (o.quotaCooldownSeconds ?? DEFAULT_QUOTA_COOLDOWN_SECONDS) * 1000,
      saveRetryBaseMs: o.saveRetryBaseMs ?? DEFAULT_SAVE_RETRY_BASE_MS,
      timers: o.timers,
      sleep: o.sleep,
      random: o.random,
      hooks: {
        refreshed: (e) => this.emit('tokenRefreshed', e),
        refreshFailed: (e) => this.emit('refreshFailed', e),
        saved: (e) => this.emit('tokenSaved', e),
        storeError: (e) => this.emit('storeError', e),
      },
    });
  }

  /** A valid access_token: memory -> store -> upstream. A valid token in memory costs no I/O. */
  fetchAccessToken(): Promise<AccessToken> {
    return this.#manager.get();
  }

  /**
   * Report that WeChat rejected `rejected`. Compare-and-invalidate, then one single-flight, leased
   * refresh; resolves to the replacement (or to the current token if `rejected` was already replaced).
   */
  invalidateAccessToken(rejected: string): Promise<AccessToken> {
    if (typeof rejected !== 'string' || rejected.length === 0) return Promise.reject(new InvalidOptionError('rejected', 'the rejected access_token'));
    return this.#manager.invalidate(rejected);
  }

  /** Start the background refresh-ahead (timer with jitter, unref'd). */
  start(): void {
    this.#manager.start();
  }

  /** Stop timers, release a held lease, close the built-in HTTP dispatcher. */
  async close(): Promise<void> {
    await this.#manager.close();
    await this.#http.close();
  }

  /** Token state for `/readyz` and metrics. */
  status(): TokenStatus {
    return this.#manager.status();
  }

  /**
   * Call a token-authenticated API: adds `access_token`, returns the parsed JSON (64-bit integers as
   * strings). A non-zero errcode throws {@link WechatApiError}. On 40001/40014/42001 the token is
   * invalidated (compare-and-invalidate), refreshed, and the call retried exactly once.
   */
  async request<T = unknown>(method: 'GET' | 'POST', path: string, opts: RequestOptions = {}): Promise<T> {
    if (method !== 'GET' && method !== 'POST') throw new InvalidOptionError('method', '"GET" or "POST"');
    if (typeof path !== 'string' || !PATH_PATTERN.test(path)) throw new InvalidOptionError('path', 'an API path such as "/cgi-bin/menu/get" (query through opts.query)');
    const token = await this.fetchAccessToken();
    try {
      return await this.#call<T>(method, path, token.access_token, opts);
    } catch (err) {
      if (!(err instanceof WechatApiError) || !TOKEN_REJECTED_ERRCODES.has(err.errcode)) throw err;
      const fresh = await this.invalidateAccessToken(token.access_token);
      // The same token again would be refused again: report the original rejection instead.
      if (fresh.access_token === token.access_token) throw err;
      // Exactly one retry: a second rejection is the caller's error, never a loop.
      return await this.#call<T>(method, path, fresh.access_token, opts);
    }
  }

  /** `GET /cgi-bin/get_api_domain_ip`: the IPs of WeChat's API servers. */
  async getApiDomainIp(): Promise<string[]> {
    const res = await this.request<{ ip_list?: unknown }>('GET', '/cgi-bin/get_api_domain_ip');
    return Array.isArray(res.ip_list) ? res.ip_list.filter((x): x is string => typeof x === 'string') : [];
  }

  /** `GET /cgi-bin/menu/get`; null when the account has no menu (46003). */
  async getMenu(): Promise<MenuInfo | null> {
    try {
      return await this.request<MenuInfo>('GET', '/cgi-bin/menu/get');
    } catch (err) {
      if (err instanceof WechatApiError && err.errcode === 46003) return null;
      throw err;
    }
  }

  /** `POST /cgi-bin/menu/create`. Retried on transient failures (creating the same menu twice is harmless). */
  async createMenu(menu: Menu): Promise<void> {
    if (!menu || !Array.isArray(menu.button) || menu.button.length === 0 || menu.button.length > 3) {
      throw new InvalidOptionError('menu', '{ button: [1 to 3 buttons] }');
    }
    await this.request('POST', '/cgi-bin/menu/create', { body: menu, retry: true });
  }

  /** `POST /cgi-bin/message/custom/send`. Not retried on transient failures (the user could get it twice). `msgid` is a string (it exceeds 2^53). */
  async sendCustomMessage(message: CustomMessage): Promise<{ msgid?: string }> {
    if (!message || typeof message.touser !== 'string' || message.touser.length === 0 || typeof message.msgtype !== 'string' || message.msgtype.length === 0) {
      throw new InvalidOptionError('message', '{ touser, msgtype, ... }');
    }
    const res = await this.request<{ msgid?: unknown }>('POST', '/cgi-bin/message/custom/send', { body: message });
    return res.msgid === undefined || res.msgid === null ? {} : { msgid: String(res.msgid) };
  }

  async #call<T>(method: 'GET' | 'POST', path: string, accessToken: string, opts: RequestOptions): Promise<T> {
    let json: Record<string, unknown>;
    try {
      ({ json } = await this.#http.call({
        method,
        url: `${this.apiBase}${path}`,
        endpoint: path,
        query: { ...opts.query, access_token: accessToken },
        body: method === 'POST' ? (opts.body ?? {}) : undefined,
        retry: opts.retry ?? method === 'GET',
      }));
    } catch (err) {
      this.emit('apiCall', { endpoint: path, errcode: 'network' });
      throw err;
    }
    const errcode = json.errcode;
    this.emit('apiCall', { endpoint: path, errcode: typeof errcode === 'number' ? errcode : 0 });
    if (typeof errcode === 'number' && errcode !== 0) {
      const errmsg = maskSecrets(typeof json.errmsg === 'string' ? json.errmsg : '', [...this.#secrets, accessToken]);
      throw new WechatApiError(path, errcode, errmsg);
    }
    return json as T;
  }
}
