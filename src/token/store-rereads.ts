/**
 * Re-reads of the shared store after a deferred save: while the store was failing, other instances
 * may have refreshed on their own and save their credentials as it comes back, each within a longest
 * save-retry delay of the next try. The store is read now and again at doubling delays (from the first
 * save-retry delay, capped at the longest) for a while, and each answer is handed to `consider`, which
 * takes a newer credential (src/token/token-manager.ts). One chain at a time: a new `start` or `stop`
 * ends the chain before it, and nothing of an ended chain runs later.
 */
import { unrefTimer, type TimerHandle, type Timers } from '../util/timeout.js';
import type { Credential } from './types.js';

/** Options of {@link StoreRereads}. */
export interface StoreRereadsOptions {
  timers: Timers;
  /** One read of the store (failures answered as null by the caller's own read). */
  read(): Promise<Credential | null>;
  /** What a read brought. May throw: that is handed to `onError` and the chain goes on. */
  consider(stored: Credential | null): void;
  onError(err: unknown): void;
  /** First delay between reads, ms. */
  firstDelayMs: number;
  /** Longest delay between reads, ms. */
  maxDelayMs: number;
}

/** The chain of re-reads of one credential's store. */
export class StoreRereads {
  readonly #o: StoreRereadsOptions;
  #timer: TimerHandle;
  /** Bumped by each new chain and by stop(): callbacks of an older chain do nothing. */
  #generation = 0;

  /** Assigns only: no I/O, no timers. */
  constructor(options: StoreRereadsOptions) {
    this.#o = options;
  }

  /** Read now, then at doubling delays for `forMs` more; ends the chain before it. */
  start(forMs: number): void {
    this.stop();
    this.#step(this.#generation, this.#o.firstDelayMs, forMs);
  }

  /** End the current chain (its timer cleared, a read in flight ignored). */
  stop(): void {
    this.#generation++;
    if (this.#timer !== undefined) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #step(generation: number, delayMs: number, leftMs: number): void {
    const o = this.#o;
    const stale = () => generation !== this.#generation;
    o.read()
      .then((stored) => {
        if (stale()) return;
        try {
          o.consider(stored);
        } catch (err) {
          o.onError(err);
        }
        if (leftMs <= 0 || stale()) return;
        const wait = Math.min(delayMs, o.maxDelayMs, leftMs);
        this.#timer = o.timers.setTimeout(() => {
          this.#timer = undefined;
          if (!stale()) this.#step(generation, delayMs * 2, leftMs - wait);
        }, wait);
        unrefTimer(this.#timer);
      })
      .catch((err: unknown) => o.onError(err));
  }
}
