/**
 * The access_token manager: process memory -> shared store -> upstream, knowing nothing about HTTP.
 *
 * - Hot path: a token in memory that is not yet due for refresh is returned with no I/O at all.
 * - A token inside the refresh margin is still returned at once; a refresh runs in the background.
 *   Only a missing or (nearly) expired token makes a caller wait.
 * - Single-flight per process: concurrent callers share one refresh, cleared on success and failure
 *   (google-auth-library `refreshTokenPromises`).
 * - Across processes, when the store offers a lease: one holder refreshes; it re-reads the store right
 *   after acquiring (someone may have just refreshed); the others re-read the store for a bounded
 *   time and adopt what the holder saved. A crashed holder's lease expires.
 * - Store failures never fail a caller: reads count as "nothing stored", a lease that cannot be taken
 *   means refreshing without it, and a token that cannot be saved is kept in memory and saved later.
 * - Permanent token errors and 45009 block further upstream calls for a cooldown, so neither callers
 *   nor the background refresher can turn them into a loop.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { WechatMpError } from '../errors.js';
import { noopLogger, type Logger } from '../log/logger.js';
import { TokenStoreError } from './errors.js';
import { backoffMs } from '../util/backoff.js';
import { systemTimers, withTimeout, unrefTimer, type TimerHandle, type Timers } from '../util/timeout.js';
import type { BoundStore } from './store-adapter.js';
import { freezeToken, type AccessToken, type StoredToken } from './types.js';

/** Default margin before expiry at which a refresh starts, seconds. */
export const DEFAULT_REFRESH_MARGIN_SECONDS = 300;
/** A token this close to expiry is never handed out; callers wait for a new one, seconds. */
export const DEFAULT_EXPIRY_SKEW_SECONDS = 30;
/** Largest random delay added to the background refresh time, spreading instances apart, seconds. */
export const DEFAULT_REFRESH_JITTER_SECONDS = 60;
/** Default lifetime of a refresh lease whose holder never releases it, ms. */
export const DEFAULT_LEASE_TTL_MS = 30_000;
/** Default time a caller waits while another instance holds the lease, ms (longer than the TTL, so a crashed holder's lease expires within it). */
export const DEFAULT_LEASE_WAIT_MS = 35_000;
/** Longest `close()` waits for an in-flight refresh before releasing the lease, ms. */
export const CLOSE_WAIT_MS = 2000;
/** Default interval of store re-reads while waiting for the lease holder, ms. */
export const DEFAULT_LEASE_POLL_MS = 100;
/** Default pause of upstream token calls after a permanent error, seconds. */
export const DEFAULT_PERMANENT_ERROR_COOLDOWN_SECONDS = 60;
/** Default pause of upstream token calls after 45009 (daily quota), seconds. */
export const DEFAULT_QUOTA_COOLDOWN_SECONDS = 600;
/** First delay of the background refresher after a failure, ms (doubles per failure, with jitter). */
export const DEFAULT_BACKGROUND_RETRY_BASE_MS = 5000;
/** Cap of the background refresher's delay after failures, ms. */
export const DEFAULT_BACKGROUND_RETRY_MAX_MS = 300_000;
/** First delay before retrying a failed save, ms (doubles per failure). */
export const DEFAULT_SAVE_RETRY_BASE_MS = 1000;
/** Cap of the delay before retrying a failed save, ms. */
export const DEFAULT_SAVE_RETRY_MAX_MS = 30_000;
/** After a refresh that brought no fresher token (stable_token before its rotation window), wait this long before the next background try, ms. */
export const SAME_TOKEN_RETRY_MS = 30_000;
/** Longest single timer (the timer re-checks and re-arms, so clock jumps are noticed), ms. */
const MAX_TIMER_MS = 600_000;
/** Rejected tokens remembered (so a store still holding one is not adopted again). */
const REJECTED_MEMORY = 16;

/** Where a token came from. */
export type TokenSourceKind = 'upstream' | 'store' | 'tokenSource';

/** Payload of the `tokenRefreshed` event. */
export interface TokenRefreshedEvent {
  source: TokenSourceKind;
  /** From the start of the refresh to the token, ms. */
  durationMs: number;
  /** Age of the token when this process took it (0 from upstream; > 0 from the store), ms. */
  ageMs: number;
  /** Absolute expiry, ms since epoch. */
  expiresAt: number;
}

/** Payload of the `refreshFailed` event. */
export interface RefreshFailedEvent {
  error: WechatMpError;
  /** True when the background refresher failed (no caller saw the error). */
  background: boolean;
}

/** Payload of the `tokenSaved` event. */
export interface TokenSavedEvent {
  /** True when this save is a retry of one that failed earlier (e.g. after a MongoDB outage). */
  deferred: boolean;
}

/** Payload of the `storeError` event. */
export interface StoreErrorEvent {
  operation: string;
  error: WechatMpError;
}

/** Observers of the manager (the `Wechat` class turns them into events). */
export interface TokenManagerHooks {
  refreshed?(event: TokenRefreshedEvent): void;
  refreshFailed?(event: RefreshFailedEvent): void;
  saved?(event: TokenSavedEvent): void;
  storeError?(event: StoreErrorEvent): void;
}

/** Where new tokens come from (WeChat, or a central token service). */
export interface TokenFetcher {
  readonly source: 'upstream' | 'tokenSource';
  /** A token; `rejected` is a token WeChat refused, which must not come back if avoidable. */
  fetch(ctx: { rejected?: string }): Promise<AccessToken>;
}

export type { TimerHandle, Timers } from '../util/timeout.js';

/** Options of {@link TokenManager}. All durations are already validated by the caller. */
export interface TokenManagerOptions {
  appid: string;
  fetcher: TokenFetcher;
  store?: BoundStore;
  /** Use the store's lease (off when a central token service does the coordinating). @default true */
  useLease?: boolean;
  now: () => number;
  logger?: Logger;
  hooks?: TokenManagerHooks;
  /** @default DEFAULT_REFRESH_MARGIN_SECONDS * 1000 */
  refreshMarginMs?: number;
  /** @default DEFAULT_EXPIRY_SKEW_SECONDS * 1000 */
  expirySkewMs?: number;
  /** @default DEFAULT_REFRESH_JITTER_SECONDS * 1000 */
  refreshJitterMs?: number;
  /** @default DEFAULT_LEASE_TTL_MS */
  leaseTtlMs?: number;
  /** @default DEFAULT_LEASE_WAIT_MS */
  leaseWaitMs?: number;
  /** @default DEFAULT_LEASE_POLL_MS */
  leasePollMs?: number;
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
  /** Background refresh and save-retry timers. @default global setTimeout/clearTimeout */
  timers?: Timers;
  /** Waits between store re-reads while another instance holds the lease. @default setTimeout-based */
  sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  random?: () => number;
  /** Lease owner id. @default `${hostname}:${pid}:${random}` */
  ownerId?: string;
}

/** Snapshot for readiness checks and metrics. */
export interface TokenStatus {
  /** A token that may still be handed out is in memory. */
  hasToken: boolean;
  expiresAt?: number;
  fetchedAt?: number;
  /** The last refresh failure, cleared by the next success. */
  lastError?: { code: string; errcode?: number };
}


const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function asMpError(err: unknown): WechatMpError {
  if (err instanceof WechatMpError) return err;
  return new WechatMpError('WMP_ERR_UPSTREAM', `token refresh failed: ${(err as Error)?.name ?? 'error'}`, { cause: err });
}

/** Memory -> store -> upstream, with single-flight, leases, refresh-ahead and cooldowns. */
export class TokenManager {
  readonly appid: string;
  readonly ownerId: string;
  readonly #fetcher: TokenFetcher;
  readonly #store: BoundStore | undefined;
  readonly #useLease: boolean;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #hooks: TokenManagerHooks;
  readonly #marginMs: number;
  readonly #skewMs: number;
  readonly #jitterMs: number;
  readonly #leaseTtlMs: number;
  readonly #leaseWaitMs: number;
  readonly #leasePollMs: number;
  readonly #permanentCooldownMs: number;
  readonly #quotaCooldownMs: number;
  readonly #bgBaseMs: number;
  readonly #bgMaxMs: number;
  readonly #saveBaseMs: number;
  readonly #saveMaxMs: number;
  readonly #timers: Timers;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;

  #current: AccessToken | undefined;
  #currentPromise: Promise<AccessToken> | undefined;
  #refreshAt = 0;
  #newestSeen = -Infinity;
  #inflight: Promise<AccessToken> | undefined;
  #inflightBackground = false;
  #refreshedEvent: TokenRefreshedEvent | undefined;
  readonly #rejected: string[] = [];
  #lastError: WechatMpError | undefined;
  #blockingError: WechatMpError | undefined;
  #blockedUntil = 0;
  #bgFailures = 0;
  #nextBackgroundAt = 0;
  #leaseHeld = false;
  #started = false;
  #closed = false;
  #timer: TimerHandle;
  #pendingSave: AccessToken | undefined;
  #saveFailures = 0;
  #saveTimer: TimerHandle;

  constructor(o: TokenManagerOptions) {
    this.appid = o.appid;
    this.#fetcher = o.fetcher;
    this.#store = o.store;
    this.#useLease = o.useLease ?? true;
    this.#now = o.now;
    this.#log = o.logger ?? noopLogger;
    this.#hooks = o.hooks ?? {};
    this.#skewMs = o.expirySkewMs ?? DEFAULT_EXPIRY_SKEW_SECONDS * 1000;
    // Never hand out a token inside the skew, whatever margin was asked for.
    this.#marginMs = Math.max(o.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_SECONDS * 1000, this.#skewMs);
    this.#jitterMs = Math.max(0, Math.min(o.refreshJitterMs ?? DEFAULT_REFRESH_JITTER_SECONDS * 1000, this.#marginMs - this.#skewMs));
    this.#leaseTtlMs = o.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    this.#leaseWaitMs = o.leaseWaitMs ?? DEFAULT_LEASE_WAIT_MS;
    this.#leasePollMs = o.leasePollMs ?? DEFAULT_LEASE_POLL_MS;
    this.#permanentCooldownMs = o.permanentErrorCooldownMs ?? DEFAULT_PERMANENT_ERROR_COOLDOWN_SECONDS * 1000;
    this.#quotaCooldownMs = o.quotaCooldownMs ?? DEFAULT_QUOTA_COOLDOWN_SECONDS * 1000;
    this.#bgBaseMs = o.backgroundRetryBaseMs ?? DEFAULT_BACKGROUND_RETRY_BASE_MS;
    this.#bgMaxMs = o.backgroundRetryMaxMs ?? DEFAULT_BACKGROUND_RETRY_MAX_MS;
    this.#saveBaseMs = o.saveRetryBaseMs ?? DEFAULT_SAVE_RETRY_BASE_MS;
    this.#saveMaxMs = o.saveRetryMaxMs ?? DEFAULT_SAVE_RETRY_MAX_MS;
    this.#timers = o.timers ?? systemTimers;
    this.#sleep = o.sleep ?? realSleep;
    this.#random = o.random ?? Math.random;
    this.ownerId = o.ownerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  /** A valid token: from memory when possible (no I/O), else from the store or upstream. */
  get(): Promise<AccessToken> {
    const t = this.#current;
    if (t !== undefined) {
      const now = this.#now();
      if (now < this.#refreshAt) return this.#currentPromise!;
      if (now < t.expires_at - this.#skewMs) {
        this.#backgroundRefresh();
        return this.#currentPromise!;
      }
    }
    return this.#singleFlight(undefined, false);
  }

  /**
   * WeChat rejected `rejected` (40001/40014/42001). Forget it, remove it from the store only if it is
   * still the stored one (compare-and-invalidate), and get a replacement through the one single-flight,
   * leased refresh. A token already replaced (by this process or another) causes no refresh.
   */
  async invalidate(rejected: string): Promise<AccessToken> {
    if (!this.#rejected.includes(rejected)) {
      this.#rejected.push(rejected);
      if (this.#rejected.length > REJECTED_MEMORY) this.#rejected.shift();
    }
    if (this.#current?.access_token === rejected) {
      this.#current = undefined;
      this.#currentPromise = undefined;
    }
    if (this.#inflight) {
      const t = await this.#inflight.catch(() => undefined);
      if (t && t.access_token !== rejected) return t;
    }
    // A refresh that started before the rejection (refresh-ahead, a central service that has not
    // rotated yet) may have brought the rejected token back: forget it again and ask for another.
    const cur = this.#current;
    if (cur?.access_token === rejected) {
      this.#current = undefined;
      this.#currentPromise = undefined;
    } else if (cur && this.#now() < cur.expires_at - this.#skewMs) {
      return cur;
    }
    return this.#singleFlight(rejected, false);
  }

  /** Start refreshing ahead of expiry in the background (timer with jitter, unref'd). Idempotent. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#schedule();
  }

  /** Stop the timers, let an in-flight refresh finish, and release a held lease. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    if (this.#saveTimer !== undefined) this.#timers.clearTimeout(this.#saveTimer);
    this.#timer = undefined;
    this.#saveTimer = undefined;
    if (this.#inflight) {
      // Let a refresh that is nearly done save its token, but do not hold shutdown hostage to a
      // hanging upstream: the lease is released (or expires) either way.
      await withTimeout(this.#inflight.catch(() => {}), CLOSE_WAIT_MS, { timers: this.#timers, unref: true });
    }
    await this.#release();
  }

  /** Snapshot for `/readyz` and metrics. */
  status(): TokenStatus {
    const t = this.#current;
    const s: TokenStatus = { hasToken: t !== undefined && this.#now() < t.expires_at - this.#skewMs };
    if (t) {
      s.expiresAt = t.expires_at;
      s.fetchedAt = t.fetched_at;
    }
    if (this.#lastError) {
      const errcode = (this.#lastError as { errcode?: unknown }).errcode;
      s.lastError = typeof errcode === 'number' ? { code: this.#lastError.code, errcode } : { code: this.#lastError.code };
    }
    return s;
  }

  // ---- refresh ----

  #singleFlight(rejected: string | undefined, background: boolean): Promise<AccessToken> {
    if (this.#inflight) {
      // A caller joined a background refresh: its failure is now seen by someone, report it so.
      if (!background) this.#inflightBackground = false;
      return this.#inflight;
    }
    this.#inflightBackground = background;
    this.#refreshedEvent = undefined;
    const p: Promise<AccessToken> = this.#refresh(rejected).then(
      (t) => {
        if (this.#inflight === p) this.#inflight = undefined;
        // Reported once the refresh is over (saved, lease released, single-flight cleared).
        const event = this.#refreshedEvent;
        this.#refreshedEvent = undefined;
        if (event) this.#notify('refreshed', () => this.#hooks.refreshed?.(event));
        // stable_token before its rotation window (or a central service that has not refreshed yet)
        // may return a token that is already due: do not spin on it.
        const now = this.#now();
        this.#nextBackgroundAt = now >= t.expires_at - this.#marginMs ? now + SAME_TOKEN_RETRY_MS : 0;
        this.#schedule();
        return t;
      },
      (err: unknown) => {
        if (this.#inflight === p) this.#inflight = undefined;
        this.#failed(asMpError(err), this.#inflightBackground);
        // Whoever asked, the background refresher now backs off (and waits out a quota/permanent pause).
        this.#bgFailures++;
        const delay = backoffMs(this.#bgFailures, { baseMs: this.#bgBaseMs, maxMs: this.#bgMaxMs, random: this.#random });
        this.#nextBackgroundAt = Math.max(this.#now() + delay, this.#blockedUntil);
        this.#schedule();
        throw err;
      },
    );
    this.#inflight = p;
    return p;
  }

  async #refresh(rejected: string | undefined): Promise<AccessToken> {
    const started = this.#now();
    const stored = await this.#readStore();
    if (this.#adoptable(stored)) return this.#adopt(stored, started);
    if (this.#blockingError && this.#now() < this.#blockedUntil) throw this.#blockingError;

    const lease = this.#useLease ? this.#store?.lease : undefined;
    if (lease) {
      let outcome = await this.#acquire();
      const maxPolls = Math.ceil(this.#leaseWaitMs / this.#leasePollMs);
      for (let poll = 0; outcome === 'busy'; poll++) {
        if (poll >= maxPolls || this.#closed) return this.#leaseWaitExpired();
        await this.#sleep(this.#leasePollMs);
        const s = await this.#readStore();
        if (this.#adoptable(s)) return this.#adopt(s, started);
        outcome = await this.#acquire();
      }
      if (outcome === 'held') {
        try {
          // Re-read under the lease: the previous holder may have saved a token just now.
          const again = await this.#readStore();
          if (this.#adoptable(again)) return this.#adopt(again, started);
          return await this.#fetchAndSave(rejected, started);
        } finally {
          await this.#release();
        }
      }
      // 'error': the store cannot lease right now (outage); refresh without it rather than fail.
    }
    return this.#fetchAndSave(rejected, started);
  }

  async #fetchAndSave(rejected: string | undefined, started: number): Promise<AccessToken> {
    if (rejected !== undefined && this.#store?.invalidate) {
      try {
        await this.#store.invalidate(rejected);
      } catch (err) {
        this.#storeFailed('invalidate', err);
      }
    }
    const token = freezeToken(await this.#fetcher.fetch({ rejected }));
    // Never hand out (or store) what cannot be used: a central service whose token is already due,
    // or an answer whose lifetime is shorter than the skew. The failure backs off like any other.
    if (this.#now() >= token.expires_at - this.#skewMs) {
      throw new WechatMpError('WMP_ERR_UPSTREAM', `${this.#fetcher.source} returned a token that expires within ${Math.round(this.#skewMs / 1000)} s`);
    }
    this.#setCurrent(token);
    this.#succeeded();
    const durationMs = this.#now() - started;
    this.#log.info({ event: 'token.refreshed', appid: this.appid, source: this.#fetcher.source, durationMs, expiresAt: token.expires_at }, 'access_token refreshed');
    this.#refreshedEvent = { source: this.#fetcher.source, durationMs, ageMs: 0, expiresAt: token.expires_at };
    // Saved before the lease is released, so waiting instances find it.
    await this.#save(token, false);
    return token;
  }

  #adopt(s: StoredToken, started: number): AccessToken {
    const token = freezeToken(s);
    this.#setCurrent(token);
    this.#succeeded();
    const now = this.#now();
    this.#refreshedEvent = { source: 'store', durationMs: now - started, ageMs: Math.max(0, now - token.fetched_at), expiresAt: token.expires_at };
    return token;
  }

  /**
   * A stored token is worth taking if it can be handed out, was not rejected, and is newer than any
   * token this process has held (so an instance refreshing ahead does not re-adopt its own old token).
   */
  #adoptable(s: StoredToken | null): s is StoredToken {
    return s !== null && this.#now() < s.expires_at - this.#skewMs && !this.#rejected.includes(s.access_token) && s.fetched_at > this.#newestSeen;
  }

  #setCurrent(t: AccessToken): void {
    this.#current = t;
    this.#currentPromise = Promise.resolve(t);
    if (t.fetched_at > this.#newestSeen) this.#newestSeen = t.fetched_at;
    // Jitter only delays the refresh within the margin (stable_token rotates only in its last minutes).
    this.#refreshAt = t.expires_at - this.#marginMs + this.#random() * this.#jitterMs;
  }

  #succeeded(): void {
    this.#lastError = undefined;
    this.#bgFailures = 0;
  }


  #failed(error: WechatMpError, background: boolean): void {
    this.#lastError = error;
    const now = this.#now();
    // The pause answering a caller with the error that started it: neither extend the pause (it must
    // end even under steady traffic) nor log and report the same failure again.
    if (error === this.#blockingError && now < this.#blockedUntil) return;
    const errcode = (error as { errcode?: number }).errcode;
    if (error.code === 'WMP_ERR_TOKEN_QUOTA') {
      this.#blockingError = error;
      this.#blockedUntil = now + this.#quotaCooldownMs;
      this.#log.error(
        { event: 'token.quota_exhausted', appid: this.appid, errcode, pauseSeconds: Math.round(this.#quotaCooldownMs / 1000) },
        'ALERT: access_token daily quota exhausted (45009). Token requests are paused; reset the quota (clear_quota) or wait for the daily reset, and find what is spending it.',
      );
    } else if (error.code === 'WMP_ERR_TOKEN_PERMANENT') {
      this.#blockingError = error;
      this.#blockedUntil = now + this.#permanentCooldownMs;
      this.#log.error(
        { event: 'token.permanent_failure', appid: this.appid, errcode, reason: (error as { reason?: string }).reason, pauseSeconds: Math.round(this.#permanentCooldownMs / 1000) },
        'access_token request refused for a reason retrying cannot fix; check the AppID, AppSecret and IP whitelist',
      );
    } else {
      this.#log.warn({ event: 'token.refresh_failed', appid: this.appid, code: error.code, errcode, background }, `access_token refresh failed: ${error.message}`);
    }
    this.#notify('refreshFailed', () => this.#hooks.refreshFailed?.({ error, background }));
  }

  #leaseWaitExpired(): AccessToken {
    const cur = this.#current;
    if (cur && this.#now() < cur.expires_at - this.#skewMs) return cur;
    throw new TokenStoreError(
      'acquireLease',
      this.#closed ? 'closed while waiting for the refresh lease' : `another instance held the refresh lease for over ${this.#leaseWaitMs} ms without saving a token`,
    );
  }

  // ---- store ----

  async #readStore(): Promise<StoredToken | null> {
    if (!this.#store) return null;
    try {
      return await this.#store.get();
    } catch (err) {
      this.#storeFailed('get', err);
      return null;
    }
  }

  async #acquire(): Promise<'held' | 'busy' | 'error'> {
    try {
      const ok = await this.#store!.lease!.acquire({ owner: this.ownerId, now: this.#now(), ttlMs: this.#leaseTtlMs });
      if (ok) this.#leaseHeld = true;
      return ok ? 'held' : 'busy';
    } catch (err) {
      this.#storeFailed('acquireLease', err);
      return 'error';
    }
  }

  async #release(): Promise<void> {
    if (!this.#leaseHeld) return;
    this.#leaseHeld = false;
    try {
      await this.#store!.lease!.release(this.ownerId);
    } catch (err) {
      // The lease then simply expires.
      this.#storeFailed('releaseLease', err);
    }
  }

  async #save(token: AccessToken, deferred: boolean): Promise<void> {
    if (!this.#store) return;
    try {
      await this.#store.save(token);
      if (this.#pendingSave && this.#pendingSave.fetched_at <= token.fetched_at) this.#pendingSave = undefined;
      this.#saveFailures = 0;
      if (deferred) this.#log.info({ event: 'token.saved_deferred', appid: this.appid }, 'access_token saved to the store after an earlier failure');
      this.#notify('saved', () => this.#hooks.saved?.({ deferred }));
    } catch (err) {
      this.#storeFailed('save', err);
      // Keep it: the token is valid whether or not the store took it (silenceper/wechat PR #762).
      if (!this.#pendingSave || this.#pendingSave.fetched_at <= token.fetched_at) this.#pendingSave = token;
      this.#saveFailures++;
      this.#scheduleSave();
    }
  }

  #scheduleSave(): void {
    if (this.#saveTimer !== undefined || this.#closed || !this.#pendingSave) return;
    const delay = backoffMs(this.#saveFailures, { baseMs: this.#saveBaseMs, maxMs: this.#saveMaxMs, jitter: false });
    const h = this.#timers.setTimeout(() => {
      this.#saveTimer = undefined;
      const t = this.#pendingSave;
      // Bounded: stops once the token has expired or the manager is closed.
      if (!t || this.#closed || this.#now() >= t.expires_at - this.#skewMs) {
        this.#pendingSave = undefined;
        return;
      }
      void this.#save(t, true);
    }, delay);
    this.#saveTimer = h;
    unrefTimer(h);
  }

  #storeFailed(operation: string, err: unknown): void {
    const error = err instanceof WechatMpError ? err : new TokenStoreError(operation, (err as Error)?.name ?? 'error', { cause: err });
    this.#log.warn({ event: 'token.store_error', appid: this.appid, operation, code: error.code }, `token store ${operation} failed; continuing without it: ${error.message}`);
    this.#notify('storeError', () => this.#hooks.storeError?.({ operation, error }));
  }

  /**
   * Run an observer hook (these reach user event listeners). A throwing listener is logged and
   * ignored: it must never break a refresh, skip the re-arming of the background timer, or replace
   * the real error.
   */
  #notify(hook: string, call: () => void): void {
    try {
      call();
    } catch (err) {
      this.#log.error({ event: 'token.listener_error', appid: this.appid, hook, err: { name: (err as Error)?.name, message: (err as Error)?.message } }, 'a token event listener threw; ignored');
    }
  }

  // ---- background ----

  #backgroundRefresh(): void {
    if (this.#inflight || this.#closed || this.#now() < this.#nextBackgroundAt) return;
    // Failures are reported through #failed (event + log); nobody awaits this one.
    this.#singleFlight(undefined, true).catch(() => {});
  }

  #schedule(): void {
    if (!this.#started || this.#closed) return;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    const now = this.#now();
    const at = Math.max(this.#current ? this.#refreshAt : now, this.#nextBackgroundAt);
    const delay = Math.min(Math.max(0, at - now), MAX_TIMER_MS);
    const h = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      const t = this.#current;
      const n = this.#now();
      // An in-flight refresh re-arms the timer when it settles.
      if (this.#inflight) return;
      if ((t && n < this.#refreshAt) || n < this.#nextBackgroundAt) {
        this.#schedule();
        return;
      }
      this.#backgroundRefresh();
    }, delay);
    this.#timer = h;
    unrefTimer(h);
  }
}
