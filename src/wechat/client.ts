/**
 * `Wechat`: the client of one Official Account. Wiring only: options (./options.ts) -> HTTP client ->
 * token fetcher and token manager (src/token) -> the API call with its one recovery (./request.ts) ->
 * the API areas (./api/), each mounted as a property.
 *
 *   const wechat = new Wechat({ appId, appSecret, store: new MongoTokenStore(connection) });
 *   wechat.start();                                   // refresh ahead of expiry in the background
 *   const { access_token } = await wechat.fetchAccessToken();
 *   await wechat.message.sendCustom({ touser, msgtype: 'text', text: { content: 'hi' } });
 *
 * Adding an API area (for example `api/qrcode.ts`):
 *   1. write `src/wechat/api/qrcode.ts` exporting `qrcodeApi(ctx: ApiContext): QrcodeApi`; it calls
 *      `ctx.request(method, path, opts)` (token, errcode and token recovery are handled there) and
 *      registers cleanup with `ctx.onClose` if it holds timers or caches;
 *   2. add `qrcode: qrcodeApi` to `API_AREAS` in `src/wechat/api/index.ts`;
 *   3. export its public types from `src/index.ts` and update the export snapshot test.
 * This file does not change: `wechat.qrcode` appears through {@link WechatApis}.
 *
 * The constructor validates and assigns only: no I/O, no timers (the tutorial pattern of a constructor
 * firing an unawaited fetch is exactly what this avoids).
 */
import { EventEmitter } from 'node:events';
import { InvalidOptionError } from '../errors.js';
import { bindStore } from '../token/store-adapter.js';
import type { RefreshedEvent, RefreshFailedEvent, SavedEvent, StoreErrorEvent } from '../token/events.js';
import { TokenManager, type TokenStatus } from '../token/token-manager.js';
import { credentialKey } from '../token/credential-key.js';
import { accessTokenOf, credentialOf, type AccessToken, type Credential, type CredentialFetcher } from '../token/types.js';
import { createApis, type ApiContext, type WechatApis } from './api/index.js';
import type { Menu, MenuInfo } from './api/menu.js';
import type { CustomMessage } from './api/message.js';
import { HttpClient } from './http-client.js';
import { resolveWechatOptions, type WechatOptions } from './options.js';
import { createApiCalls, type ApiCallEvent, type ApiDownload, type ApiMethod, type ApiRequest, type RequestOptions } from './request.js';
import { classifyTokenFailure, UpstreamTokenEndpoint, type TokenMode } from './token-endpoint.js';
import { TokenSourceClient } from './token-source-client.js';

/**
 * Events of {@link Wechat}: the token layer's names and payloads (src/token), plus `apiCall`.
 */
export interface WechatEvents {
  /** A token was taken (from upstream, the store, or the token source). */
  refreshed: [RefreshedEvent];
  /** A refresh failed; `error` is typed (WMP_ERR_TOKEN_PERMANENT, WMP_ERR_TOKEN_QUOTA, WMP_ERR_UPSTREAM...). */
  refreshFailed: [RefreshFailedEvent];
  /** A token was written to the store (`deferred`: after an earlier failure). */
  saved: [SavedEvent];
  /** The store failed; the manager carried on without it. */
  storeError: [StoreErrorEvent];
  /** A token-authenticated API call finished: errcode 0 on success, `'network'` when no JSON answer came back. */
  apiCall: [ApiCallEvent];
}

/** The API areas, mounted by the constructor (see {@link WechatApis}). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- the areas are assigned in the constructor from API_AREAS, so a new area needs no edit here
export interface Wechat extends WechatApis {}

/** The client of one Official Account. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class Wechat extends EventEmitter<WechatEvents> {
  /** The AppID. */
  readonly appId: string;
  /** Resolved API base URL (no trailing slash). */
  readonly apiBase: string;
  /** Resolved token mode. */
  readonly tokenMode: TokenMode;
  readonly #http: HttpClient;
  readonly #manager: TokenManager<AccessToken>;
  readonly #request: ApiRequest;
  readonly #download: ApiDownload;
  readonly #onClose: (() => Promise<void> | void)[] = [];

  constructor(options: WechatOptions) {
    super();
    const o = resolveWechatOptions(options);
    const store = bindStore(o.appId, o.store, { getAccessToken: o.getAccessToken, saveAccessToken: o.saveAccessToken });
    this.appId = o.appId;
    this.apiBase = o.apiBase;
    this.tokenMode = o.tokenMode;
    this.#http = new HttpClient({
      dispatcher: o.dispatcher,
      requestTimeoutMs: o.requestTimeoutMs,
      connectTimeoutMs: o.connectTimeoutMs,
      retry: o.retry,
      sleep: o.sleep,
      random: o.random,
    });
    let fetcher: CredentialFetcher;
    if (o.tokenSource !== undefined) {
      const client = new TokenSourceClient({ url: o.tokenSource, secret: o.tokenSourceSecret!, http: this.#http, now: o.now });
      fetcher = { source: 'tokenSource', fetch: async (ctx) => credentialOf(await client.fetch(ctx)), classify: classifyTokenFailure };
    } else {
      const endpoint = new UpstreamTokenEndpoint({ appId: o.appId, appSecret: o.appSecret, apiBase: o.apiBase, mode: o.tokenMode, http: this.#http, now: o.now });
      fetcher = { source: 'upstream', fetch: async (ctx) => credentialOf(await endpoint.fetch(ctx)), classify: classifyTokenFailure };
    }
    const managerOptions = {
      appId: o.appId,
      now: o.now,
      logger: o.logger,
      refreshMarginMs: o.refreshMarginMs,
      expirySkewMs: o.expirySkewMs,
      refreshJitterMs: o.refreshJitterMs,
      leaseTtlMs: o.leaseTtlMs,
      leaseWaitMs: o.leaseWaitMs,
      leasePollMs: o.leasePollMs,
      permanentErrorCooldownMs: o.permanentErrorCooldownMs,
      quotaCooldownMs: o.quotaCooldownMs,
      saveRetryBaseMs: o.saveRetryBaseMs,
      saveRetryMaxMs: o.saveRetryMaxMs,
      storeReadBudgetMs: o.storeReadBudgetMs,
      timers: o.timers,
      sleep: o.sleep,
      random: o.random,
    };
    // A central token service coordinates refreshes itself.
    this.#manager = new TokenManager<AccessToken>({ ...managerOptions, kind: 'access_token', fetcher, present: accessTokenOf, store, useLease: o.tokenSource === undefined });
    this.#forward(this.#manager);
    // Tickets are credentials of the same layer, under their own store key (src/token/credential-key.ts).
    // The tutorials' get/saveAccessToken functions hold one token only: tickets then stay in memory.
    const credential = <T>(kind: string, fetcher: CredentialFetcher, present: (c: Credential) => T): TokenManager<T> => {
      const m = new TokenManager<T>({ ...managerOptions, kind, fetcher, present, store: bindStore(credentialKey(o.appId, kind), o.store, {}), useLease: true });
      this.#forward(m);
      this.#onClose.push(() => m.close());
      return m;
    };
    const calls = createApiCalls({
      apiBase: o.apiBase,
      http: this.#http,
      tokens: { get: () => this.fetchAccessToken(), invalidate: (rejected) => this.invalidateAccessToken(rejected) },
      secrets: o.secrets,
      onCall: (e) => this.emit('apiCall', e),
    });
    this.#request = calls.request;
    this.#download = calls.download;
    const ctx: ApiContext = {
      appId: o.appId,
      apiBase: o.apiBase,
      request: this.#request,
      download: this.#download,
      http: this.#http,
      now: o.now,
      logger: o.logger,
      onClose: (fn) => void this.#onClose.push(fn),
      credential,
      appSecret: o.appSecret,
    };
    Object.assign(this, createApis(ctx));
  }

  /** The token layer's events, under the same names. */
  #forward(m: TokenManager<unknown>): void {
    m.on('refreshed', (e) => this.emit('refreshed', e));
    m.on('refreshFailed', (e) => this.emit('refreshFailed', e));
    m.on('saved', (e) => this.emit('saved', e));
    m.on('storeError', (e) => this.emit('storeError', e));
  }

  /** The AppID. @deprecated use {@link Wechat.appId}; kept for one release. */
  get appID(): string {
    return this.appId;
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

  /** Stop timers, release a held lease, close the API areas and the built-in HTTP dispatcher. */
  async close(): Promise<void> {
    await this.#manager.close();
    for (const fn of this.#onClose.splice(0)) await fn();
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
  request<T = unknown>(method: ApiMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    return this.#request<T>(method, path, opts);
  }

  /**
   * Download from a token-authenticated API: the bytes (a stream by default, or a Buffer with
   * `as: 'buffer'`), or the JSON body when the response's Content-Type says JSON; a JSON errcode
   * throws {@link WechatApiError}, with the same one token recovery as {@link Wechat.request}.
   */
  get download(): ApiDownload {
    return this.#download;
  }

  /** @deprecated use `wechat.domain.getApiDomainIp()`; kept for one release. */
  getApiDomainIp(): Promise<string[]> {
    return this.domain.getApiDomainIp();
  }

  /** @deprecated use `wechat.menu.get()`; kept for one release. */
  getMenu(): Promise<MenuInfo | null> {
    return this.menu.get();
  }

  /** @deprecated use `wechat.menu.create(menu)`; kept for one release. */
  createMenu(menu: Menu): Promise<void> {
    return this.menu.create(menu);
  }

  /** @deprecated use `wechat.message.sendCustom(message)`; kept for one release. */
  sendCustomMessage(message: CustomMessage): Promise<{ msgid?: string }> {
    return this.message.sendCustom(message);
  }
}
