/**
 * Options of {@link Wechat}: their types, their defaults (exported constants), and
 * {@link resolveWechatOptions}, which checks them (src/util/validate.ts) and returns the frozen,
 * complete set the client wires from. No I/O here.
 */
import type { Dispatcher } from 'undici';
import { InvalidOptionError } from '../errors.js';
import { noopLogger, type Logger } from '../log/logger.js';
import {
  DEFAULT_REFRESH_MARGIN_SECONDS,
  DEFAULT_REFRESH_JITTER_SECONDS,
  DEFAULT_LEASE_TTL_MS,
  DEFAULT_LEASE_WAIT_MS,
  DEFAULT_LEASE_POLL_MS,
  DEFAULT_PERMANENT_ERROR_COOLDOWN_SECONDS,
  DEFAULT_QUOTA_COOLDOWN_SECONDS,
  DEFAULT_SAVE_RETRY_BASE_MS,
} from '../token/options.js';
import { APPID_PATTERN, type TokenStore } from '../token/types.js';
import { DEFAULT_EXPIRY_SKEW_SECONDS } from '../token/validity.js';
import type { SeedStoreFunctions } from '../token/store-adapter.js';
import type { Timers } from '../util/timeout.js';
import { checkFunction, checkHttpUrl, checkNumber, checkObject, checkOneOf, checkString } from '../util/validate.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RETRY_ATTEMPTS, DEFAULT_RETRY_MAX_DELAY_MS, type RetryPolicy } from './http-client.js';
import { STABLE_ROTATION_WINDOW_SECONDS, type TokenMode } from './token-endpoint.js';

/** Default WeChat API base URL. */
export const DEFAULT_WECHAT_API_BASE = 'https://api.weixin.qq.com';
/** Default token endpoint. */
export const DEFAULT_TOKEN_MODE: TokenMode = 'stable';
/** Time allowed for one token-store operation when sizing the default lease, ms (MongoDB server selection is 3 s). */
export const STORE_OPERATION_ALLOWANCE_MS = 3000;
/** Largest `expirySkewSeconds`: below stable_token's 300 s rotation window, with a minute to spare. */
export const MAX_EXPIRY_SKEW_SECONDS = 240;

/** Options of {@link Wechat}. Durations in seconds unless the name says ms. */
export interface WechatOptions {
  /** The AppID. */
  appId?: string;
  /** The AppID, as the tutorials spell it; the same as `appId` (give one of the two). */
  appID?: string;
  /** The AppSecret. Not needed (may be empty) when `tokenSource` is set. Never logged. */
  appSecret: string;
  /** @default DEFAULT_WECHAT_API_BASE ('https://api.weixin.qq.com') */
  apiBase?: string;
  /** `stable` uses POST /cgi-bin/stable_token, `classic` GET /cgi-bin/token. @default 'stable' */
  tokenMode?: TokenMode;
  /** Where tokens are shared (MongoTokenStore, FileTokenStore, MemoryTokenStore or your own). @default none: this process only */
  store?: TokenStore;
  /**
   * Seed-style store read (with `saveAccessToken`), instead of `store`: the stored token of `appId`,
   * or null. `Token.getAccessToken` fits as is.
   */
  getAccessToken?: SeedStoreFunctions['getAccessToken'];
  /**
   * Seed-style store write (with `getAccessToken`), instead of `store`: `data` is the token with its
   * `appid`. `Token.saveAccessToken` fits as is; what it resolves to is ignored.
   */
  saveAccessToken?: SeedStoreFunctions['saveAccessToken'];
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
  /** Longest delay between retries of a failed store save, ms. @default DEFAULT_SAVE_RETRY_MAX_MS (30000) */
  saveRetryMaxMs?: number;
  /**
   * Budget of a token-store read while no usable token is in memory, ms; past it the token comes from
   * WeChat without the store. 0 waits for the store. @default DEFAULT_STORE_READ_BUDGET_MS (1000)
   */
  storeReadBudgetMs?: number;
  /** Timers of the background refresher and save retries (tests pass fakes). @default global timers */
  timers?: Timers;
  /** Waits between HTTP retries and lease polls (tests may shorten them). @default setTimeout-based */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
}

/** The checked options with every default filled in, frozen. */
export interface ResolvedWechatOptions {
  readonly appId: string;
  readonly appSecret: string;
  readonly apiBase: string;
  readonly tokenMode: TokenMode;
  readonly tokenSource: string | undefined;
  readonly tokenSourceSecret: string | undefined;
  readonly store: TokenStore | undefined;
  readonly getAccessToken: WechatOptions['getAccessToken'];
  readonly saveAccessToken: WechatOptions['saveAccessToken'];
  readonly dispatcher: Dispatcher | undefined;
  readonly now: () => number;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly retry: RetryPolicy | undefined;
  readonly refreshMarginMs: number;
  readonly expirySkewMs: number;
  readonly refreshJitterMs: number;
  readonly leaseTtlMs: number;
  readonly leaseWaitMs: number;
  readonly leasePollMs: number;
  readonly permanentErrorCooldownMs: number;
  readonly quotaCooldownMs: number;
  readonly saveRetryBaseMs: number;
  readonly saveRetryMaxMs: number | undefined;
  readonly storeReadBudgetMs: number | undefined;
  readonly timers: Timers | undefined;
  readonly sleep: ((ms: number) => Promise<void>) | undefined;
  readonly random: (() => number) | undefined;
  /** Values masked out of every error message (AppSecret, token-service secret). */
  readonly secrets: readonly string[];
}

const url = (name: string, value: unknown): string | undefined => checkHttpUrl(name, value) && (value as string).replace(/\/+$/, '');

/** The AppID under whichever spelling was given (`appId` wins), with the name to report it by. */
function appIdOf(o: WechatOptions): { name: 'appId' | 'appID'; value: unknown } {
  return o.appId !== undefined || o.appID === undefined ? { name: 'appId', value: o.appId } : { name: 'appID', value: o.appID };
}

/**
 * Check `options` and fill in the defaults.
 * @throws {InvalidOptionError} naming the first bad option.
 */
export function resolveWechatOptions(options: WechatOptions): ResolvedWechatOptions {
  if (!options || typeof options !== 'object') throw new InvalidOptionError('options', 'an object');
  const o = options;
  const id = appIdOf(o);
  if (o.appId !== undefined && o.appID !== undefined && o.appId !== o.appID) throw new InvalidOptionError('appID', 'the same AppID as appId (give one of the two)');
  const appId = checkString(id.name, id.value, 'the AppID (letters, digits, "_" or "-")', APPID_PATTERN);
  if (appId === undefined) throw new InvalidOptionError(id.name, 'the AppID (letters, digits, "_" or "-")');
  const tokenSource = url('tokenSource', o.tokenSource);
  if (tokenSource !== undefined && (typeof o.tokenSourceSecret !== 'string' || o.tokenSourceSecret.length === 0)) {
    throw new InvalidOptionError('tokenSourceSecret', 'the bearer secret of tokenSource');
  }
  if (tokenSource === undefined && (typeof o.appSecret !== 'string' || o.appSecret.length === 0)) {
    throw new InvalidOptionError('appSecret', 'the AppSecret (a non-empty string)');
  }
  const apiBase = url('apiBase', o.apiBase ?? DEFAULT_WECHAT_API_BASE) as string;
  const tokenMode = checkOneOf('tokenMode', o.tokenMode, ['stable', 'classic'] as const) ?? DEFAULT_TOKEN_MODE;
  const refreshMarginSeconds = checkNumber('refreshMarginSeconds', o.refreshMarginSeconds, { min: 0, max: 3600 });
  // stable_token hands out a token with as little as 300 s left: a skew that large would refuse it.
  const expirySkewSeconds = checkNumber('expirySkewSeconds', o.expirySkewSeconds, { min: 0, max: MAX_EXPIRY_SKEW_SECONDS });
  const refreshJitterSeconds = checkNumber('refreshJitterSeconds', o.refreshJitterSeconds, { min: 0, max: 3600 });
  const requestTimeoutMs = checkNumber('requestTimeoutMs', o.requestTimeoutMs, { min: 1, max: 120_000 }) ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const connectTimeoutMs = checkNumber('connectTimeoutMs', o.connectTimeoutMs, { min: 1, max: 120_000 }) ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const attempts = checkNumber('retry.attempts', o.retry?.attempts, { min: 1, max: 10 }) ?? DEFAULT_RETRY_ATTEMPTS;
  checkNumber('retry.baseDelayMs', o.retry?.baseDelayMs, { min: 0.001, max: 60_000 });
  const maxDelayMs = checkNumber('retry.maxDelayMs', o.retry?.maxDelayMs, { min: 0.001, max: 600_000 }) ?? DEFAULT_RETRY_MAX_DELAY_MS;
  const leaseTtl = checkNumber('leaseTtlMs', o.leaseTtlMs, { min: 1, max: 3_600_000 });
  const leaseWait = checkNumber('leaseWaitMs', o.leaseWaitMs, { min: 1, max: 3_600_000 });
  const leasePollMs = checkNumber('leasePollMs', o.leasePollMs, { min: 1, max: 60_000 }) ?? DEFAULT_LEASE_POLL_MS;
  const permanentCooldown = checkNumber('permanentErrorCooldownSeconds', o.permanentErrorCooldownSeconds, { min: 0, max: 86_400 }) ?? DEFAULT_PERMANENT_ERROR_COOLDOWN_SECONDS;
  const quotaCooldown = checkNumber('quotaCooldownSeconds', o.quotaCooldownSeconds, { min: 0, max: 86_400 }) ?? DEFAULT_QUOTA_COOLDOWN_SECONDS;
  const saveRetryBaseMs = checkNumber('saveRetryBaseMs', o.saveRetryBaseMs, { min: 1, max: 3_600_000 }) ?? DEFAULT_SAVE_RETRY_BASE_MS;
  const saveRetryMaxMs = checkNumber('saveRetryMaxMs', o.saveRetryMaxMs, { min: 1, max: 3_600_000 });
  const storeReadBudgetMs = checkNumber('storeReadBudgetMs', o.storeReadBudgetMs, { min: 0, max: 60_000 });
  const now = checkFunction('now', o.now) ?? Date.now;
  const sleep = checkFunction('sleep', o.sleep);
  const random = checkFunction('random', o.random);
  const timers = checkObject('timers', o.timers, '{ setTimeout, clearTimeout }');
  if (timers !== undefined && (typeof timers.setTimeout !== 'function' || typeof timers.clearTimeout !== 'function')) {
    throw new InvalidOptionError('timers', '{ setTimeout, clearTimeout }');
  }
  const logger = checkObject('logger', o.logger, 'a Logger ({ error, warn, info, debug })');
  if (logger !== undefined && (typeof logger.warn !== 'function' || typeof logger.error !== 'function')) {
    throw new InvalidOptionError('logger', 'a Logger ({ error, warn, info, debug })');
  }
  if (o.dispatcher !== undefined && typeof (o.dispatcher as Partial<Dispatcher> | null)?.dispatch !== 'function') {
    throw new InvalidOptionError('dispatcher', 'an undici Dispatcher');
  }

  // The lease must outlive the longest refresh its holder can make, or a waiting instance takes it
  // over mid-fetch and calls WeChat too: a retried normal call, a single forced call (stable mode),
  // and two store operations (invalidate, save) bounded by the driver's server selection timeout.
  const worstRefreshMs = attempts * requestTimeoutMs + (attempts - 1) * maxDelayMs + requestTimeoutMs + 2 * STORE_OPERATION_ALLOWANCE_MS;
  const leaseTtlMs = leaseTtl ?? Math.max(DEFAULT_LEASE_TTL_MS, worstRefreshMs);
  let marginSeconds = refreshMarginSeconds ?? DEFAULT_REFRESH_MARGIN_SECONDS;
  if (tokenSource === undefined && tokenMode === 'stable') marginSeconds = Math.min(marginSeconds, STABLE_ROTATION_WINDOW_SECONDS);

  return Object.freeze({
    appId,
    appSecret: o.appSecret,
    apiBase,
    tokenMode,
    tokenSource,
    tokenSourceSecret: o.tokenSourceSecret,
    store: o.store,
    getAccessToken: o.getAccessToken,
    saveAccessToken: o.saveAccessToken,
    dispatcher: o.dispatcher,
    now,
    logger: logger ?? noopLogger,
    requestTimeoutMs,
    connectTimeoutMs,
    retry: o.retry,
    refreshMarginMs: marginSeconds * 1000,
    expirySkewMs: (expirySkewSeconds ?? DEFAULT_EXPIRY_SKEW_SECONDS) * 1000,
    refreshJitterMs: (refreshJitterSeconds ?? DEFAULT_REFRESH_JITTER_SECONDS) * 1000,
    leaseTtlMs,
    leaseWaitMs: leaseWait ?? Math.max(DEFAULT_LEASE_WAIT_MS, leaseTtlMs + 5000),
    leasePollMs,
    permanentErrorCooldownMs: permanentCooldown * 1000,
    quotaCooldownMs: quotaCooldown * 1000,
    saveRetryBaseMs,
    saveRetryMaxMs,
    storeReadBudgetMs,
    timers,
    sleep,
    random,
    secrets: Object.freeze([o.appSecret, o.tokenSourceSecret].filter((s): s is string => typeof s === 'string' && s.length > 0)),
  });
}
