/**
 * Options of the {@link TokenManager}: their types, their defaults (exported constants), and
 * {@link resolveTokenManagerOptions}, which checks them and returns the frozen, complete set.
 */
import { InvalidOptionError } from '../errors.js';
import { noopLogger, type Logger } from '../log/logger.js';
import { systemTimers, type Timers } from '../util/timeout.js';
import { checkBoolean, checkFunction, checkNumber, checkObject, checkString, required } from '../util/validate.js';
import type { BoundStore } from './store-adapter.js';
import type { Credential, CredentialFetcher } from './types.js';
import { DEFAULT_EXPIRY_SKEW_SECONDS } from './validity.js';

/** Default margin before expiry at which a refresh starts, seconds. */
export const DEFAULT_REFRESH_MARGIN_SECONDS = 300;
/** Largest random delay added to the background refresh time, spreading instances apart, seconds. */
export const DEFAULT_REFRESH_JITTER_SECONDS = 60;
/** Default lifetime of a refresh lease whose holder never releases it, ms. */
export const DEFAULT_LEASE_TTL_MS = 30_000;
/** Default time a caller waits while another instance holds the lease, ms (longer than the TTL, so a crashed holder's lease expires within it). */
export const DEFAULT_LEASE_WAIT_MS = 35_000;
/** Default interval of store re-reads while waiting for the lease holder, ms. */
export const DEFAULT_LEASE_POLL_MS = 100;
/** Default longest wait of `close()` for an in-flight refresh before releasing the lease, ms. */
export const DEFAULT_CLOSE_WAIT_MS = 2000;
/** Default pause of fetches after a permanent error, seconds. */
export const DEFAULT_PERMANENT_ERROR_COOLDOWN_SECONDS = 60;
/** Default pause of fetches after the issuer's quota ran out, seconds. */
export const DEFAULT_QUOTA_COOLDOWN_SECONDS = 600;
/** First delay of the background refresher after a failure, ms (doubles per failure, with jitter). */
export const DEFAULT_BACKGROUND_RETRY_BASE_MS = 5000;
/** Cap of the background refresher's delay after failures, ms. */
export const DEFAULT_BACKGROUND_RETRY_MAX_MS = 300_000;
/** First delay before retrying a failed save, ms (doubles per failure). */
export const DEFAULT_SAVE_RETRY_BASE_MS = 1000;
/** Cap of the delay before retrying a failed save, ms. */
export const DEFAULT_SAVE_RETRY_MAX_MS = 30_000;
/**
 * Longest a caller with nothing usable in memory waits for the store's read before refreshing from
 * the issuer without the store, ms (a hanging MongoDB otherwise costs its whole operation timeout).
 */
export const DEFAULT_STORE_READ_BUDGET_MS = 1000;

/** Options of {@link TokenManager}, managing one credential of one app. */
export interface TokenManagerOptions<T = Credential> {
  /** The AppID the credential belongs to (named in events and logs). */
  appId: string;
  /** What is managed, for events and logs. @default 'access_token' */
  kind?: string;
  /** Where new credentials come from, and how their failures are classified. */
  fetcher: CredentialFetcher;
  /**
   * What `get()` hands out for a credential: called once per credential the manager takes, so the hot
   * path allocates nothing. @default the frozen {@link Credential} itself
   */
  present?: (credential: Credential) => T;
  /** Where credentials are shared between instances. @default none: this process only */
  store?: BoundStore;
  /** Use the store's lease (off when a central token service does the coordinating). @default true */
  useLease?: boolean;
  /** Clock, ms since epoch. */
  now: () => number;
  /** @default noopLogger */
  logger?: Logger;
  /** Refresh this long before expiry, ms (never less than the skew). @default DEFAULT_REFRESH_MARGIN_SECONDS * 1000 */
  refreshMarginMs?: number;
  /** Never hand out a credential this close to expiry, ms. @default DEFAULT_EXPIRY_SKEW_SECONDS * 1000 */
  expirySkewMs?: number;
  /** Largest random delay of a background refresh inside the margin, ms. @default DEFAULT_REFRESH_JITTER_SECONDS * 1000 */
  refreshJitterMs?: number;
  /** @default DEFAULT_LEASE_TTL_MS */
  leaseTtlMs?: number;
  /** @default DEFAULT_LEASE_WAIT_MS */
  leaseWaitMs?: number;
  /** @default DEFAULT_LEASE_POLL_MS */
  leasePollMs?: number;
  /** @default DEFAULT_CLOSE_WAIT_MS */
  closeWaitMs?: number;
  /** @default DEFAULT_PERMANENT_ERROR_COOLDOWN_SECONDS * 1000 */
  permanentErrorCooldownMs?: number;
  /** @default DEFAULT_QUOTA_COOLDOWN_SECONDS * 1000 */
  quotaCooldownMs?: number;
  /** @default DEFAULT_BACKGROUND_RETRY_BASE_MS */
  backgroundRetryBaseMs?: number;
  /** @default DEFAULT_BACKGROUND_RETRY_MAX_MS */
  backgroundRetryMaxMs?: number;
  /** @default DEFAULT_SAVE_RETRY_BASE_MS */
  saveRetryBaseMs?: number;
  /** @default DEFAULT_SAVE_RETRY_MAX_MS */
  saveRetryMaxMs?: number;
  /**
   * Budget of the store read when a caller has nothing usable in memory, ms: past it the refresh goes
   * to the issuer without the store (no lease, no compare-and-invalidate, the save deferred), so one
   * refresh per instance during a hanging store. 0 waits for the store. @default DEFAULT_STORE_READ_BUDGET_MS
   */
  storeReadBudgetMs?: number;
  /** Timers of the background refresher, the save retries and the close wait. @default global setTimeout/clearTimeout */
  timers?: Timers;
  /** Waits between store re-reads while another instance holds the lease. @default a global-setTimeout sleep */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /** Lease owner id. @default `${hostname}:${pid}:${random}` */
  ownerId?: string;
}

/** The checked, complete options. */
export interface ResolvedTokenManagerOptions<T> {
  readonly appId: string;
  readonly kind: string;
  readonly fetcher: CredentialFetcher;
  readonly present: (credential: Credential) => T;
  readonly store: BoundStore | undefined;
  readonly useLease: boolean;
  readonly now: () => number;
  readonly logger: Logger;
  readonly marginMs: number;
  readonly skewMs: number;
  readonly jitterMs: number;
  readonly leaseTtlMs: number;
  readonly leaseWaitMs: number;
  readonly leasePollMs: number;
  readonly closeWaitMs: number;
  readonly permanentCooldownMs: number;
  readonly quotaCooldownMs: number;
  readonly backgroundRetryBaseMs: number;
  readonly backgroundRetryMaxMs: number;
  readonly saveRetryBaseMs: number;
  readonly saveRetryMaxMs: number;
  readonly storeReadBudgetMs: number;
  readonly timers: Timers;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly ownerId: string | undefined;
}

const sleepOn = (timers: Timers) => (ms: number) => new Promise<void>((resolve) => timers.setTimeout(resolve, ms));
const ms = (name: string, value: unknown) => checkNumber(name, value, { min: 0, unit: 'ms' });
const positiveMs = (name: string, value: unknown) => checkNumber(name, value, { min: 1, unit: 'ms' });

/** Check `o` and fill in the defaults. @throws {InvalidOptionError} naming the bad option. */
export function resolveTokenManagerOptions<T>(o: TokenManagerOptions<T>): ResolvedTokenManagerOptions<T> {
  required('options', checkObject('options', o), 'an object');
  const appId = required('appId', checkString('appId', o.appId), 'the AppID');
  const fetcher = required('fetcher', checkObject('fetcher', o.fetcher), 'a fetcher { source, fetch, classify }');
  if (typeof fetcher.fetch !== 'function' || typeof fetcher.classify !== 'function') throw new InvalidOptionError('fetcher', 'a fetcher { source, fetch, classify }');
  const timers = checkObject('timers', o.timers, '{ setTimeout, clearTimeout }') ?? systemTimers;
  if (typeof timers.setTimeout !== 'function' || typeof timers.clearTimeout !== 'function') throw new InvalidOptionError('timers', '{ setTimeout, clearTimeout }');
  const skewMs = ms('expirySkewMs', o.expirySkewMs) ?? DEFAULT_EXPIRY_SKEW_SECONDS * 1000;
  // Never hand out a credential inside the skew, whatever margin was asked for.
  const marginMs = Math.max(ms('refreshMarginMs', o.refreshMarginMs) ?? DEFAULT_REFRESH_MARGIN_SECONDS * 1000, skewMs);
  // Jitter only delays the refresh within the margin, never past the skew.
  const jitterMs = Math.min(ms('refreshJitterMs', o.refreshJitterMs) ?? DEFAULT_REFRESH_JITTER_SECONDS * 1000, marginMs - skewMs);
  return Object.freeze({
    appId,
    kind: checkString('kind', o.kind) ?? 'access_token',
    fetcher,
    present: checkFunction('present', o.present) ?? ((c: Credential) => c as unknown as T),
    store: o.store,
    useLease: checkBoolean('useLease', o.useLease) ?? true,
    now: required('now', checkFunction('now', o.now, 'a function returning ms since the epoch'), 'a function returning ms since the epoch'),
    logger: checkObject('logger', o.logger) ?? noopLogger,
    marginMs,
    skewMs,
    jitterMs,
    leaseTtlMs: positiveMs('leaseTtlMs', o.leaseTtlMs) ?? DEFAULT_LEASE_TTL_MS,
    leaseWaitMs: positiveMs('leaseWaitMs', o.leaseWaitMs) ?? DEFAULT_LEASE_WAIT_MS,
    leasePollMs: positiveMs('leasePollMs', o.leasePollMs) ?? DEFAULT_LEASE_POLL_MS,
    closeWaitMs: ms('closeWaitMs', o.closeWaitMs) ?? DEFAULT_CLOSE_WAIT_MS,
    permanentCooldownMs: ms('permanentErrorCooldownMs', o.permanentErrorCooldownMs) ?? DEFAULT_PERMANENT_ERROR_COOLDOWN_SECONDS * 1000,
    quotaCooldownMs: ms('quotaCooldownMs', o.quotaCooldownMs) ?? DEFAULT_QUOTA_COOLDOWN_SECONDS * 1000,
    backgroundRetryBaseMs: positiveMs('backgroundRetryBaseMs', o.backgroundRetryBaseMs) ?? DEFAULT_BACKGROUND_RETRY_BASE_MS,
    backgroundRetryMaxMs: positiveMs('backgroundRetryMaxMs', o.backgroundRetryMaxMs) ?? DEFAULT_BACKGROUND_RETRY_MAX_MS,
    saveRetryBaseMs: positiveMs('saveRetryBaseMs', o.saveRetryBaseMs) ?? DEFAULT_SAVE_RETRY_BASE_MS,
    saveRetryMaxMs: positiveMs('saveRetryMaxMs', o.saveRetryMaxMs) ?? DEFAULT_SAVE_RETRY_MAX_MS,
    storeReadBudgetMs: ms('storeReadBudgetMs', o.storeReadBudgetMs) ?? DEFAULT_STORE_READ_BUDGET_MS,
    timers,
    // Lease polls keep real time unless a sleep is injected: fake timers drive the refresher, not the waits.
    sleep: checkFunction('sleep', o.sleep) ?? sleepOn(systemTimers),
    random: checkFunction('random', o.random) ?? Math.random,
    ownerId: checkString('ownerId', o.ownerId),
  });
}
