/**
 * The background refresh-ahead: one timer (injected timers, unref'd) that fires when the credential
 * is due for refresh, and the pacing of background tries after failures (exponential backoff with
 * jitter, never before a cooldown ends) and after a refresh that brought nothing fresher.
 *
 * Long waits are split into timers of at most {@link MAX_TIMER_MS}: the timer re-checks the clock
 * and re-arms, so a clock jump is noticed.
 */
import { backoffMs } from '../util/backoff.js';
import { unrefTimer, type TimerHandle, type Timers } from '../util/timeout.js';

/** Longest single timer, ms. */
export const MAX_TIMER_MS = 600_000;
/** After a refresh that brought no fresher credential (stable_token before its rotation window), wait this long before the next background try, ms. */
export const SAME_TOKEN_RETRY_MS = 30_000;

/** Options of {@link RefreshScheduler}. */
export interface RefreshSchedulerOptions {
  timers: Timers;
  now: () => number;
  random: () => number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** When the held credential is due for refresh, or undefined when none is held. */
  refreshAt(): number | undefined;
  /** True while a refresh is in flight (it re-arms the timer when it settles). */
  busy(): boolean;
  /** Start a background refresh. */
  run(): void;
}

/** Decides when the next background refresh runs. */
export class RefreshScheduler {
  readonly #o: RefreshSchedulerOptions;
  #started = false;
  #stopped = false;
  #timer: TimerHandle;
  #failures = 0;
  #notBefore = 0;

  constructor(options: RefreshSchedulerOptions) {
    this.#o = options;
  }

  /** True when background tries are not paused by an earlier failure or an unfresh answer. */
  mayRun(now: number): boolean {
    return !this.#stopped && now >= this.#notBefore;
  }

  /** Arm the timer from now on. Idempotent; no-op after {@link stop}. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.arm();
  }

  /** Clear the timer for good. */
  stop(): void {
    this.#stopped = true;
    this.#clear();
  }

  /** A refresh succeeded. `stillDue`: what it brought is already inside the margin (do not spin on it). */
  succeeded(stillDue: boolean): void {
    this.#failures = 0;
    this.#notBefore = stillDue ? this.#o.now() + SAME_TOKEN_RETRY_MS : 0;
    this.arm();
  }

  /** A refresh failed (whoever asked): back off, and wait out a cooldown ending at `pausedUntil`. */
  failed(pausedUntil: number): void {
    this.#failures++;
    const delay = backoffMs(this.#failures, { baseMs: this.#o.retryBaseMs, maxMs: this.#o.retryMaxMs, random: this.#o.random });
    this.#notBefore = Math.max(this.#o.now() + delay, pausedUntil);
    this.arm();
  }

  /** (Re-)arm the timer for the next due time. */
  arm(): void {
    if (!this.#started || this.#stopped) return;
    this.#clear();
    const now = this.#o.now();
    const delay = Math.min(Math.max(0, this.#dueAt(now) - now), MAX_TIMER_MS);
    this.#timer = this.#o.timers.setTimeout(() => this.#fire(), delay);
    unrefTimer(this.#timer);
  }

  #dueAt(now: number): number {
    return Math.max(this.#o.refreshAt() ?? now, this.#notBefore);
  }

  #fire(): void {
    this.#timer = undefined;
    if (this.#stopped || this.#o.busy()) return;
    const now = this.#o.now();
    if (now < this.#dueAt(now)) this.arm();
    else this.#o.run();
  }

  #clear(): void {
    if (this.#timer !== undefined) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
