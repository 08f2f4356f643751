/**
 * Keeps the webhook answering when a shared dedupe store fails: each call to the primary store is
 * bounded by a timeout, and on failure the webhook uses an in-process store for a while (logged once
 * per outage), then tries the primary again. A down MongoDB never turns into a failed response.
 */
import type { Logger } from '../../log/logger.js';
import { TIMED_OUT, withTimeout, type Timers } from '../../util/timeout.js';
import type { DedupeRecord, DedupeStore, MaybePromise } from './store.js';

/** How long the fallback is used before the primary store is tried again. */
export const DEFAULT_DEDUPE_RETRY_AFTER_MS = 5000;

/** Options of {@link FallbackDedupeStore}. */
export interface FallbackDedupeStoreOptions {
  /** Longest a primary call may take. */
  timeoutMs: number;
  /** Time on the fallback after a failure. @default 5000 */
  retryAfterMs?: number;
  logger: Logger;
  /** Clock, ms since the epoch. */
  now: () => number;
  /** Timers of the per-call timeout. @default systemTimers */
  timers?: Timers;
  /** Told when the store degrades and recovers. */
  onChange?: (degraded: boolean) => void;
}

/** Rejects with {@link TIMED_OUT} when `value` takes longer than `ms`. */
async function bounded<T>(value: MaybePromise<T>, ms: number, timers: Timers | undefined): Promise<T> {
  if (!(value instanceof Promise)) return value;
  const settled = await withTimeout(value, ms, timers === undefined ? {} : { timers });
  if (settled === TIMED_OUT) throw TIMED_OUT;
  return settled;
}

/** A primary store guarded by a timeout, with an in-process fallback. */
export class FallbackDedupeStore implements DedupeStore {
  readonly #primary: DedupeStore;
  readonly #fallback: DedupeStore;
  readonly #options: FallbackDedupeStoreOptions;
  readonly #retryAfterMs: number;
  #degradedUntil = 0;
  #degraded = false;

  constructor(primary: DedupeStore, fallback: DedupeStore, options: FallbackDedupeStoreOptions) {
    this.#primary = primary;
    this.#fallback = fallback;
    this.#options = options;
    this.#retryAfterMs = options.retryAfterMs ?? DEFAULT_DEDUPE_RETRY_AFTER_MS;
  }

  /** True while the fallback is in use. */
  get degraded(): boolean {
    return this.#degraded;
  }

  claim(key: string, now: number, leaseMs: number, ttlMs: number): Promise<DedupeRecord | null> {
    return this.#call('claim', () => this.#primary.claim(key, now, leaseMs, ttlMs), () => this.#fallback.claim(key, now, leaseMs, ttlMs));
  }

  complete(key: string, body: string, now: number, ttlMs: number): Promise<void> {
    return this.#call('complete', () => this.#primary.complete(key, body, now, ttlMs), () => this.#fallback.complete(key, body, now, ttlMs));
  }

  get(key: string, now: number): Promise<DedupeRecord | null> {
    return this.#call('get', () => this.#primary.get(key, now), () => this.#fallback.get(key, now));
  }

  async #call<T>(op: string, primary: () => MaybePromise<T>, fallback: () => MaybePromise<T>): Promise<T> {
    if (this.#degraded && this.#options.now() < this.#degradedUntil) return fallback();
    try {
      const value = await bounded(primary(), this.#options.timeoutMs, this.#options.timers);
      if (this.#degraded) {
        this.#degraded = false;
        this.#options.logger.info({ event: 'webhook.dedupe_recovered' }, 'dedupe store is back; shared dedupe resumed');
        this.#options.onChange?.(false);
      }
      return value;
    } catch (err) {
      this.#degradedUntil = this.#options.now() + this.#retryAfterMs;
      if (!this.#degraded) {
        this.#degraded = true;
        const reason = err === TIMED_OUT ? `timed out after ${this.#options.timeoutMs} ms` : err instanceof Error ? err.message : String(err);
        this.#options.logger.warn(
          { event: 'webhook.dedupe_degraded', code: 'WMP_ERR_DEDUPE_STORE', op, reason },
          'dedupe store unavailable; using in-process dedupe',
        );
        this.#options.onChange?.(true);
      }
      return fallback();
    }
  }
}
