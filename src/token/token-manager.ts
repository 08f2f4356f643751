/**
 * The token manager: process memory -> shared store -> issuer, for one credential of one app (the
 * access_token; a second instance with another fetcher manages a ticket), knowing nothing about HTTP
 * or the issuer's error codes.
 *
 * - Hot path: a credential in memory that is not yet due for refresh is returned with no I/O at all.
 * - A credential inside the refresh margin is still returned at once; a refresh runs in the background
 *   (`scheduler.ts`). Only a missing or (nearly) expired one makes a caller wait.
 * - Single flight per process: concurrent callers share one refresh, cleared on success and failure
 *   (google-auth-library `refreshTokenPromises`).
 * - Across processes, when the store offers a lease (`lease.ts`): one holder refreshes; it re-reads
 *   the store right after acquiring (someone may have just refreshed); the others re-read the store
 *   for a bounded time and adopt what the holder saved. A crashed holder's lease expires.
 * - Store failures never fail a caller: reads count as "nothing stored", a lease that cannot be taken
 *   means refreshing without it, and a credential that cannot be saved is kept in memory and saved
 *   later (`deferred-save.ts`). A caller with nothing usable in memory waits for the store's read at
 *   most `storeReadBudgetMs`, then the refresh goes to the issuer without the store (a hanging store);
 *   the read keeps running, and a usable credential it brings before the issuer answers is handed out
 *   (the newest by `fetchedAt` is kept either way, so a classic token fetched meanwhile is not lost).
 * - After a deferred save the store is re-read for a while and a newer stored credential is taken, so
 *   instances that refreshed on their own during an outage converge on one.
 * - Failures the fetcher classifies as `quota` or `permanent` pause fetching (`cooldown.ts`), so
 *   neither callers nor the background refresher can turn them into a loop.
 *
 * Over 300 lines on purpose, a third of them comments: what is left here is the single flight and the
 * rules for adopting, rejecting and taking late answers, which read best together; every other job
 * lives in its own module (re-reads after a deferred save: `store-rereads.ts`).
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { WechatMpError } from '../errors.js';
import { TIMED_OUT, withTimeout } from '../util/timeout.js';
import { Cooldown, errorLogFields } from './cooldown.js';
import { DeferredSave } from './deferred-save.js';
import { TokenStoreError } from './errors.js';
import { emitSafely, type RefreshedEvent, type TokenManagerEvents } from './events.js';
import { RefreshLease } from './lease.js';
import { resolveTokenManagerOptions, type ResolvedTokenManagerOptions, type TokenManagerOptions } from './options.js';
import { RefreshScheduler } from './scheduler.js';
import { StoreRereads } from './store-rereads.js';
import type { Credential, FailureClass } from './types.js';
import { usableAt } from './validity.js';


/** Rejected values remembered (so a store still holding one is not adopted again). */
const REJECTED_MEMORY = 16;
/** A store read that has not answered yet. */
const NO_ANSWER: unique symbol = Symbol('no answer from the store');

/** Snapshot for readiness checks and metrics. */
export interface TokenStatus {
  /** A credential that may still be handed out is in memory. */
  hasToken: boolean;
  expiresAt?: number;
  fetchedAt?: number;
  /** The last refresh failure, cleared by the next success. */
  lastError?: { code: string; errcode?: number };
}

function asMpError(err: unknown, kind: string): WechatMpError {
  if (err instanceof WechatMpError) return err;
  return new WechatMpError('WMP_ERR_UPSTREAM', `${kind} refresh failed: ${(err as Error)?.name ?? 'error'}`, { cause: err });
}

/**
 * Memory -> store -> issuer, with single flight, leases, refresh-ahead and cooldowns. `get()` hands out
 * `T`, what `present` makes of a credential (the frozen {@link Credential} itself by default). Events:
 * see `events.ts`.
 */
export class TokenManager<T = Credential> extends EventEmitter<TokenManagerEvents> {
  /** The AppID. */
  readonly appId: string;
  /** What is managed (`access_token`, a ticket name). */
  readonly kind: string;
  /** This instance's lease owner id. */
  readonly ownerId: string;
  readonly #o: ResolvedTokenManagerOptions<T>;
  readonly #cooldown: Cooldown;
  readonly #scheduler: RefreshScheduler;
  readonly #saver: DeferredSave | undefined;
  readonly #lease: RefreshLease | undefined;

  #current: Credential | undefined;
  #currentValue: T | undefined;
  #currentPromise: Promise<T> | undefined;
  #refreshAt = 0;
  #newestSeen = -Infinity;
  #inflight: Promise<Credential> | undefined;
  #inflightValue: Promise<T> | undefined;
  #inflightBackground = false;
  #refreshedEvent: RefreshedEvent | undefined;
  readonly #rejected: string[] = [];
  #lastError: WechatMpError | undefined;
  #closed = false;
  readonly #rereads: StoreRereads;
  /** A read ran out of its budget and no read has answered within it since (logged once per episode). */
  #slowEpisode = false;

  /** Validates and assigns only: no I/O, no timers. @throws {InvalidOptionError} */
  constructor(options: TokenManagerOptions<T>) {
    super();
    const o = resolveTokenManagerOptions(options);
    this.#o = o;
    this.appId = o.appId;
    this.kind = o.kind;
    this.ownerId = o.ownerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#cooldown = new Cooldown({ appId: o.appId, kind: o.kind, quotaMs: o.quotaCooldownMs, permanentMs: o.permanentCooldownMs, now: o.now, logger: o.logger });
    this.#scheduler = new RefreshScheduler({
      timers: o.timers,
      now: o.now,
      random: o.random,
      retryBaseMs: o.backgroundRetryBaseMs,
      retryMaxMs: o.backgroundRetryMaxMs,
      refreshAt: () => (this.#current ? this.#refreshAt : undefined),
      busy: () => this.#inflight !== undefined,
      run: () => this.#backgroundRefresh(),
    });
    const store = o.store;
    this.#saver =
      store &&
      new DeferredSave({
        store,
        timers: o.timers,
        now: o.now,
        retryBaseMs: o.saveRetryBaseMs,
        retryMaxMs: o.saveRetryMaxMs,
        skewMs: o.skewMs,
        onSaved: (deferred) => {
          if (deferred) o.logger.info({ event: 'token.saved_deferred', appid: this.appId, kind: this.kind }, `${this.kind} saved to the store after an earlier failure`);
          emitSafely(this, o.logger, 'saved', { appId: this.appId, kind: this.kind, deferred });
          if (deferred && !this.#closed) this.#rereads.start(2 * o.saveRetryMaxMs);
        },
        onError: (err) => this.#storeFailed('save', err),
      });
    this.#rereads = new StoreRereads({
      timers: o.timers,
      read: () => this.#readStore(),
      // A refresh in flight decides for itself (it re-reads the store first).
      consider: (stored) => {
        if (!this.#closed && this.#current !== undefined && !this.#inflight) this.#takeNewer(stored);
      },
      onError: (err) => this.#keptAfter('token.converge_failed', 're-reading the store for a newer', err),
      firstDelayMs: o.saveRetryBaseMs,
      maxDelayMs: o.saveRetryMaxMs,
    });
    const lease = o.useLease ? store?.lease : undefined;
    this.#lease =
      lease &&
      new RefreshLease({
        lease,
        owner: this.ownerId,
        ttlMs: o.leaseTtlMs,
        waitMs: o.leaseWaitMs,
        pollMs: o.leasePollMs,
        now: o.now,
        sleep: o.sleep,
        closed: () => this.#closed,
        onError: (operation, err) => this.#storeFailed(operation, err),
      });
  }

  /**
   * The credential in memory when it is not yet due for refresh, else undefined: no I/O, no promise
   * and no side effect, for hot paths that can use a value at once. Otherwise use {@link get}, which
   * also starts the refresh of a credential inside the margin.
   */
  peek(): T | undefined {
    return this.#current !== undefined && this.#o.now() < this.#refreshAt ? this.#currentValue : undefined;
  }

  /** A valid credential: from memory when possible (no I/O), else from the store or the issuer. */
  get(): Promise<T> {
    const c = this.#current;
    if (c !== undefined) {
      const now = this.#o.now();
      if (now < this.#refreshAt) return this.#currentPromise!;
      if (usableAt(c.expiresAt, now, this.#o.skewMs)) {
        this.#backgroundRefresh();
        return this.#currentPromise!;
      }
    }
    this.#singleFlight(undefined, false);
    return (this.#inflightValue ??= this.#inflight!.then((v) => this.#present(v)));
  }

  /**
   * The API refused `rejected` (for the access_token: 40001/40014/42001). Forget it, remove it from the
   * store only if it is still the stored one (compare-and-invalidate), and get a replacement through the
   * one single-flight, leased refresh. A value already replaced (by this process or another) causes no
   * refresh.
   */
  async invalidate(rejected: string): Promise<T> {
    return this.#present(await this.#invalidate(rejected));
  }

  /** Start refreshing ahead of expiry in the background (timer with jitter, unref'd). Idempotent. */
  start(): void {
    if (!this.#closed) this.#scheduler.start();
  }

  /** Stop the timers, let an in-flight refresh finish (for at most `closeWaitMs`), and release a held lease. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#scheduler.stop();
    this.#saver?.close();
    this.#rereads.stop();
    if (this.#inflight) {
      // Let a refresh that is nearly done save its credential, but do not hold shutdown hostage to a
      // hanging issuer: the lease is released (or expires) either way.
      const waited = await withTimeout(this.#inflight.catch(() => {}), this.#o.closeWaitMs, { timers: this.#o.timers, unref: true });
      if (waited === TIMED_OUT) this.#o.logger.warn({ event: 'token.close_timeout', appid: this.appId, kind: this.kind, waitedMs: this.#o.closeWaitMs }, `closed while a ${this.kind} refresh was still running`);
    }
    await this.#lease?.release();
  }

  /** Snapshot for `/readyz` and metrics. */
  status(): TokenStatus {
    const c = this.#current;
    const s: TokenStatus = { hasToken: c !== undefined && usableAt(c.expiresAt, this.#o.now(), this.#o.skewMs) };
    if (c) {
      s.expiresAt = c.expiresAt;
      s.fetchedAt = c.fetchedAt;
    }
    if (this.#lastError) {
      const { code, errcode } = errorLogFields(this.#lastError);
      s.lastError = errcode === undefined ? { code } : { code, errcode };
    }
    return s;
  }

  // ---- refresh ----

  async #invalidate(rejected: string): Promise<Credential> {
    if (!this.#rejected.includes(rejected)) {
      this.#rejected.push(rejected);
      if (this.#rejected.length > REJECTED_MEMORY) this.#rejected.shift();
    }
    if (this.#current?.value === rejected) this.#forget();
    if (this.#inflight) {
      const c = await this.#inflight.catch(() => undefined);
      if (c && c.value !== rejected) return c;
    }
    // A refresh that started before the rejection (refresh-ahead, a central service that has not
    // rotated yet) may have brought the rejected value back: forget it again and ask for another.
    const cur = this.#current;
    if (cur?.value === rejected) this.#forget();
    else if (cur && usableAt(cur.expiresAt, this.#o.now(), this.#o.skewMs)) return cur;
    return this.#singleFlight(rejected, false);
  }

  #singleFlight(rejected: string | undefined, background: boolean): Promise<Credential> {
    if (this.#inflight) {
      // A caller joined a background refresh: its failure is now seen by someone, report it so.
      if (!background) this.#inflightBackground = false;
      return this.#inflight;
    }
    this.#inflightBackground = background;
    this.#refreshedEvent = undefined;
    const p: Promise<Credential> = this.#refresh(rejected).then(
      (c) => {
        this.#settled(p);
        // Reported once the refresh is over (saved, lease released, single flight cleared).
        const event = this.#refreshedEvent;
        this.#refreshedEvent = undefined;
        if (event) emitSafely(this, this.#o.logger, 'refreshed', event);
        // stable_token before its rotation window (or a central service that has not refreshed yet)
        // may return a credential that is already due: do not spin on it.
        this.#cooldown.succeeded();
        this.#scheduler.succeeded(this.#o.now() >= c.expiresAt - this.#o.marginMs);
        return c;
      },
      (err: unknown) => {
        this.#settled(p);
        this.#failed(err, this.#inflightBackground);
        // Whoever asked, the background refresher now backs off (and waits out a pause).
        this.#scheduler.failed(this.#cooldown.until);
        throw err;
      },
    );
    this.#inflight = p;
    return p;
  }

  #settled(p: Promise<Credential>): void {
    if (this.#inflight !== p) return;
    this.#inflight = undefined;
    this.#inflightValue = undefined;
  }

  async #refresh(rejected: string | undefined): Promise<Credential> {
    const started = this.#o.now();
    // A caller waits only when nothing usable is in memory: then the read has a budget.
    const budgetMs = this.#hasUsable() ? 0 : this.#o.storeReadBudgetMs;
    const read = this.#readStore();
    const stored = budgetMs > 0 ? await withTimeout(read, budgetMs, { timers: this.#o.timers, unref: true }) : await read;
    if (stored === TIMED_OUT) return this.#refreshPastBudget(read, rejected, started, budgetMs);
    if (this.#adoptable(stored)) return this.#adopt(stored, started);
    const blocking = this.#cooldown.blocking;
    if (blocking) throw blocking;
    if (this.#lease) {
      const taken = await this.#lease.take(async () => {
        const s = await this.#readStore();
        return this.#adoptable(s) ? s : undefined;
      });
      if (taken.state === 'adopted') return this.#adopt(taken.value, started);
      if (taken.state === 'timedOut') return this.#leaseWaitExpired();
      if (taken.state === 'held') {
        try {
          // Re-read under the lease: the previous holder may have saved a credential just now.
          const again = await this.#readStore();
          if (this.#adoptable(again)) return this.#adopt(again, started);
          return await this.#fetchAndSave(rejected, started);
        } finally {
          await this.#lease.release();
        }
      }
      // 'error': the store cannot lease right now (outage); refresh without it rather than fail.
    }
    return this.#fetchAndSave(rejected, started);
  }

  /**
   * The store did not answer within the budget: no lease can be taken and nothing compared or saved
   * now, so the refresh goes to the issuer without it (one refresh per instance while the store hangs,
   * as when it is down). The read keeps running, and whichever answers first with something usable
   * wins: a stored credential that arrives before the issuer's answer is handed out at once. The
   * issuer's answer is then still taken if it is newer (a classic token supersedes the stored one, so
   * it must reach the store), and a stored credential that arrives after the issuer's answer is taken
   * if it is newer than it: the newest by `fetchedAt` wins, as in the re-reads after a deferred save.
   */
  async #refreshPastBudget(read: Promise<Credential | null>, rejected: string | undefined, started: number, budgetMs: number): Promise<Credential> {
    this.#readSlow(read, budgetMs, started);
    // A read that answered right at the deadline still saves the fetch.
    const atDeadline = await Promise.race([read, Promise.resolve(NO_ANSWER)]);
    if (atDeadline !== NO_ANSWER && this.#adoptable(atDeadline)) return this.#adopt(atDeadline, started);
    const blocking = this.#cooldown.blocking;
    if (blocking) {
      this.#takeLate(read);
      throw blocking;
    }
    const fetched = this.#fetch(rejected);
    const UPSTREAM = 'upstream' as const;
    const upstreamDone = fetched.then(
      () => UPSTREAM,
      () => UPSTREAM,
    );
    const storeDone = read.then((s): Promise<Credential | typeof UPSTREAM> | Credential => (this.#adoptable(s) ? s : upstreamDone));
    const first = await Promise.race<Credential | typeof UPSTREAM>([upstreamDone, storeDone]);
    if (first !== UPSTREAM) {
      // The store answered first: hand out what it holds; the issuer's answer is judged when it comes.
      fetched.then(
        (c) => this.#fetchedLate(c, started),
        (err: unknown) => this.#failed(err, true),
      ).catch((err: unknown) => this.#keptAfter('token.late_answer_failed', 'taking a late answer of the store or the issuer for the', err));
      return this.#adopt(first, started);
    }
    // The issuer answered first (or failed): the read is judged when it answers.
    this.#takeLate(read);
    const c = await fetched;
    this.#refreshedEvent = this.#took(c, started);
    this.#saver?.defer(c, read);
    return c;
  }

  /** Log a read past its budget (once per slow episode), report it as a store error, and its late answer. */
  #readSlow(read: Promise<Credential | null>, budgetMs: number, started: number): void {
    const first = !this.#slowEpisode;
    this.#slowEpisode = true;
    const base = { appid: this.appId, kind: this.kind, operation: 'get', budgetMs };
    if (first) this.#o.logger.warn({ event: 'token.store_read_slow', ...base }, `token store read gave no answer within ${budgetMs} ms; refreshing without the store`);
    emitSafely(this, this.#o.logger, 'storeError', { appId: this.appId, kind: this.kind, operation: 'get', error: new TokenStoreError('get', `no answer within ${budgetMs} ms; refreshing without the store`) });
    if (!first) return;
    void read.then((s) => {
      // How long the store took, for tuning the budget (a read that failed was logged as a store error).
      if (s !== null) this.#o.logger.info({ event: 'token.store_read_late', ...base, durationMs: this.#o.now() - started }, `token store read answered after its budget`);
    });
  }

  /** When an unanswered read settles: take what it holds if it is newer than the credential held. */
  #takeLate(read: Promise<Credential | null>): void {
    read
      .then((s) => {
        if (!this.#closed && !this.#inflight && this.#takeNewer(s)) this.#saver?.superseded(s!);
      })
      .catch((err: unknown) => this.#keptAfter('token.late_answer_failed', 'taking a late answer of the store or the issuer for the', err));
  }

  /**
   * The issuer answered after a late store read was handed out. The same value (stable_token) needs
   * no save; a newer one superseded the stored one at the issuer (classic tokens), so it is taken and
   * saved now that the store answers; an older one is dropped, logged.
   */
  #fetchedLate(c: Credential, started: number): void {
    const held = this.#current;
    if (this.#closed || c.value === held?.value) return;
    const fields = { appid: this.appId, kind: this.kind, source: this.#o.fetcher.source, fetchedAt: c.fetchedAt, heldFetchedAt: held?.fetchedAt };
    if (c.fetchedAt <= this.#newestSeen) {
      this.#o.logger.info({ event: 'token.fetched_superseded', ...fields }, `dropped a ${this.kind} from upstream: a newer one is held`);
      return;
    }
    emitSafely(this, this.#o.logger, 'refreshed', this.#took(c, started));
    this.#scheduler.succeeded(this.#o.now() >= c.expiresAt - this.#o.marginMs);
    void this.#saver?.save(c);
  }

  async #fetchAndSave(rejected: string | undefined, started: number): Promise<Credential> {
    const { store } = this.#o;
    if (rejected !== undefined && store?.invalidate) {
      try {
        await store.invalidate(rejected);
      } catch (err) {
        this.#storeFailed('invalidate', err);
      }
    }
    const c = await this.#fetch(rejected);
    this.#refreshedEvent = this.#took(c, started);
    // Saved before the lease is released, so waiting instances find it.
    await this.#saver?.save(c);
    return c;
  }

  /** A credential from the issuer, checked (nothing is taken or saved yet). */
  async #fetch(rejected: string | undefined): Promise<Credential> {
    const { fetcher, skewMs } = this.#o;
    const got = await fetcher.fetch({ rejected });
    if (typeof got?.value !== 'string' || got.value.length === 0 || !Number.isFinite(got.expiresAt)) {
      throw new WechatMpError('WMP_ERR_UPSTREAM', `${fetcher.source} returned no usable ${this.kind}`);
    }
    const c: Credential = Object.freeze({ value: got.value, expiresAt: got.expiresAt, fetchedAt: got.fetchedAt ?? this.#o.now() });
    // Never hand out (or store) what cannot be used: a central service whose credential is already
    // due, or an answer whose lifetime is shorter than the skew. The failure backs off like any other.
    if (!usableAt(c.expiresAt, this.#o.now(), skewMs)) {
      throw new WechatMpError('WMP_ERR_UPSTREAM', `${fetcher.source} returned ${this.kind} that expires within ${Math.round(skewMs / 1000)} s`);
    }
    return c;
  }

  /** Take a credential from the issuer: held and logged; returns its `refreshed` event. */
  #took(c: Credential, started: number): RefreshedEvent {
    const { fetcher } = this.#o;
    this.#setCurrent(c);
    const durationMs = this.#o.now() - started;
    this.#o.logger.info({ event: 'token.refreshed', appid: this.appId, kind: this.kind, source: fetcher.source, durationMs, expiresAt: c.expiresAt }, `${this.kind} refreshed`);
    return { appId: this.appId, kind: this.kind, source: fetcher.source, durationMs, ageMs: 0, expiresAt: c.expiresAt };
  }

  #adopt(c: Credential, started: number): Credential {
    this.#setCurrent(c);
    const now = this.#o.now();
    this.#refreshedEvent = { appId: this.appId, kind: this.kind, source: 'store', durationMs: now - started, ageMs: Math.max(0, now - c.fetchedAt), expiresAt: c.expiresAt };
    return c;
  }

  /**
   * A stored credential is worth taking if it can be handed out, was not rejected, and is newer than
   * any this process has held (so an instance refreshing ahead does not re-adopt its own old one).
   */
  #adoptable(c: Credential | null): c is Credential {
    return c !== null && usableAt(c.expiresAt, this.#o.now(), this.#o.skewMs) && !this.#rejected.includes(c.value) && c.fetchedAt > this.#newestSeen;
  }

  #hasUsable(): boolean {
    const c = this.#current;
    return c !== undefined && usableAt(c.expiresAt, this.#o.now(), this.#o.skewMs);
  }

  /**
   * Take `stored` if it differs from the credential held and is worth taking (newer than any held):
   * logged as `token.converged` when it replaces one. Throws what `present` throws (nothing changes then).
   */
  #takeNewer(stored: Credential | null): boolean {
    const held = this.#current;
    if (stored === null || stored.value === held?.value || !this.#adoptable(stored)) return false;
    this.#setCurrent(stored);
    const now = this.#o.now();
    if (held !== undefined) {
      this.#o.logger.info(
        { event: 'token.converged', appid: this.appId, kind: this.kind, heldFetchedAt: held.fetchedAt, storedFetchedAt: stored.fetchedAt },
        `took the newer ${this.kind} another instance saved`,
      );
    }
    emitSafely(this, this.#o.logger, 'refreshed', { appId: this.appId, kind: this.kind, source: 'store', durationMs: 0, ageMs: Math.max(0, now - stored.fetchedAt), expiresAt: stored.expiresAt });
    this.#scheduler.succeeded(now >= stored.expiresAt - this.#o.marginMs);
    return true;
  }

  /** Taking a later answer (`what`) failed: logged as `event`; the credential held stays. */
  #keptAfter(event: string, what: string, err: unknown): void {
    this.#o.logger.warn(
      { event, appid: this.appId, kind: this.kind, err: { name: (err as Error)?.name, message: (err as Error)?.message } },
      `${what} ${this.kind} failed; the held one is kept`,
    );
  }

  #setCurrent(c: Credential): void {
    const value = this.#o.present(c);
    this.#current = c;
    this.#currentValue = value;
    this.#currentPromise = Promise.resolve(value);
    if (c.fetchedAt > this.#newestSeen) this.#newestSeen = c.fetchedAt;
    // Jitter only delays the refresh within the margin (stable_token rotates only in its last minutes).
    this.#refreshAt = c.expiresAt - this.#o.marginMs + this.#o.random() * this.#o.jitterMs;
    this.#lastError = undefined;
  }

  #forget(): void {
    this.#current = undefined;
    this.#currentValue = undefined;
    this.#currentPromise = undefined;
  }

  #present(c: Credential): T {
    return c === this.#current ? this.#currentValue! : this.#o.present(c);
  }

  #failed(err: unknown, background: boolean): void {
    const error = asMpError(err, this.kind);
    this.#lastError = error;
    let cls: FailureClass;
    try {
      cls = this.#o.fetcher.classify(err);
    } catch {
      cls = 'transient';
    }
    const outcome = this.#cooldown.record(error, cls);
    if (outcome === 'repeat') return;
    if (outcome === 'none') {
      this.#o.logger.warn({ event: 'token.refresh_failed', appid: this.appId, kind: this.kind, ...errorLogFields(error), background }, `${this.kind} refresh failed: ${error.message}`);
    }
    emitSafely(this, this.#o.logger, 'refreshFailed', { appId: this.appId, kind: this.kind, error, background });
  }

  #leaseWaitExpired(): Credential {
    const cur = this.#current;
    if (cur && usableAt(cur.expiresAt, this.#o.now(), this.#o.skewMs)) return cur;
    throw new TokenStoreError(
      'acquireLease',
      this.#closed ? 'closed while waiting for the refresh lease' : `another instance held the refresh lease for over ${this.#o.leaseWaitMs} ms without saving a ${this.kind}`,
    );
  }

  // ---- store ----

  /**
   * The stored credential (null when none or the store failed). A read that answers within the
   * budget ends a slow episode (the next read past its budget is logged again).
   */
  async #readStore(): Promise<Credential | null> {
    const store = this.#o.store;
    if (!store) return null;
    const startedAt = this.#o.now();
    try {
      const c = await store.get();
      if (this.#o.now() - startedAt < this.#o.storeReadBudgetMs) this.#slowEpisode = false;
      return c;
    } catch (err) {
      this.#storeFailed('get', err);
      return null;
    }
  }

  #storeFailed(operation: string, err: unknown): void {
    const error = err instanceof WechatMpError ? err : new TokenStoreError(operation, (err as Error)?.name ?? 'error', { cause: err });
    this.#o.logger.warn({ event: 'token.store_error', appid: this.appId, kind: this.kind, operation, code: error.code }, `token store ${operation} failed; continuing without it: ${error.message}`);
    emitSafely(this, this.#o.logger, 'storeError', { appId: this.appId, kind: this.kind, operation, error });
  }

  // ---- background ----

  #backgroundRefresh(): void {
    if (this.#inflight || this.#closed || !this.#scheduler.mayRun(this.#o.now())) return;
    // Failures are reported through #failed (event + log); nobody awaits this one.
    this.#singleFlight(undefined, true).catch(() => {});
  }
}
