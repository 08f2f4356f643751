/**
 * Saving credentials to the shared store, and saving them later when the store fails: the credential
 * is valid whether or not the store took it, so it is kept in memory and the save is retried with
 * backoff (injected timers, unref'd) until it succeeds, the credential is about to expire, or the
 * manager closes. Only the newest credential is retried.
 */
import { backoffMs } from '../util/backoff.js';
import { unrefTimer, type TimerHandle, type Timers } from '../util/timeout.js';
import type { BoundStore } from './store-adapter.js';
import type { Credential } from './types.js';
import { usableAt } from './validity.js';

/**
 * Longest wait for an unanswered store read before the first save retry is scheduled anyway, ms
 * (unless the longest retry delay is longer): well past the store's own operation timeout (MongoDB's
 * is 3 s), so a save never queues behind a hanging read that will time out, yet a custom store whose
 * read never settles still gets the credential.
 */
export const UNANSWERED_READ_WAIT_MS = 30_000;

/** Options of {@link DeferredSave}. */
export interface DeferredSaveOptions {
  store: BoundStore;
  timers: Timers;
  now: () => number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** A credential this close to expiry is no longer worth saving, ms. */
  skewMs: number;
  /** A save succeeded (`deferred`: it is a retry). */
  onSaved(deferred: boolean): void;
  /** A save failed. */
  onError(err: unknown): void;
}

/** The store writes of one manager. */
export class DeferredSave {
  readonly #o: DeferredSaveOptions;
  #pending: Credential | undefined;
  #failures = 0;
  #timer: TimerHandle;
  /** The bound on waiting for an unanswered read before the first retry is scheduled. */
  #waitTimer: TimerHandle;
  #closed = false;

  constructor(options: DeferredSaveOptions) {
    this.#o = options;
  }

  /** Save `credential` now; on failure keep it and retry later. Never rejects. */
  async save(credential: Credential, deferred = false): Promise<void> {
    try {
      await this.#o.store.save(credential);
      if (this.#pending && this.#pending.fetchedAt <= credential.fetchedAt) this.#pending = undefined;
      this.#failures = 0;
      this.#o.onSaved(deferred);
    } catch (err) {
      this.#o.onError(err);
      if (!this.#pending || this.#pending.fetchedAt <= credential.fetchedAt) this.#pending = credential;
      this.#failures++;
      this.#schedule();
    }
  }

  /**
   * Keep `credential` and save it later, without trying now: the store is known not to answer (a read
   * ran out of its budget), so trying now would only wait for its timeout. The first retry is counted
   * from when `after` (that unanswered read) settles, so no second call queues behind the first; a
   * read that never settles (a custom store without a timeout) is waited for at most
   * {@link UNANSWERED_READ_WAIT_MS} (or `retryMaxMs` if longer).
   */
  defer(credential: Credential, after: Promise<unknown> = Promise.resolve()): void {
    if (!this.#pending || this.#pending.fetchedAt <= credential.fetchedAt) this.#pending = credential;
    this.#failures++;
    if (this.#closed) return;
    if (this.#waitTimer !== undefined) this.#o.timers.clearTimeout(this.#waitTimer);
    const waitTimer = this.#o.timers.setTimeout(() => {
      if (this.#waitTimer === waitTimer) this.#waitTimer = undefined;
      this.#schedule();
    }, Math.max(this.#o.retryMaxMs, UNANSWERED_READ_WAIT_MS));
    unrefTimer(waitTimer);
    this.#waitTimer = waitTimer;
    const settled = () => {
      if (this.#waitTimer === waitTimer) {
        this.#o.timers.clearTimeout(waitTimer);
        this.#waitTimer = undefined;
      }
      this.#schedule();
    };
    void after.then(settled, settled);
  }

  /** A credential at least as new as the pending one was taken from the store: nothing left to save. */
  superseded(credential: Credential): void {
    if (this.#pending && this.#pending.fetchedAt <= credential.fetchedAt) this.#pending = undefined;
  }

  /** Stop retrying. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#waitTimer !== undefined) this.#o.timers.clearTimeout(this.#waitTimer);
    this.#waitTimer = undefined;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#closed || !this.#pending) return;
    const delay = backoffMs(this.#failures, { baseMs: this.#o.retryBaseMs, maxMs: this.#o.retryMaxMs, jitter: false });
    this.#timer = this.#o.timers.setTimeout(() => {
      this.#timer = undefined;
      const c = this.#pending;
      // Bounded: stops once the credential has expired or the manager is closed.
      if (!c || this.#closed || !usableAt(c.expiresAt, this.#o.now(), this.#o.skewMs)) {
        this.#pending = undefined;
        return;
      }
      void this.save(c, true);
    }, delay);
    unrefTimer(this.#timer);
  }
}
