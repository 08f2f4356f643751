/**
 * The one timeout race of the project: `work` against a timer taken from injected {@link Timers}
 * (tests pass fake ones), the timer always cleared. What a timeout means (a rejection, a fallback
 * value, a log line) is the caller's business: the race only says {@link TIMED_OUT}.
 */

/** A timer handle: Node's `Timeout`, or whatever a test's fake timers return. */
export type TimerHandle = { unref?: () => unknown } | number | undefined;

/** The timers a module schedules with; inject fake ones in tests. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The global `setTimeout` / `clearTimeout`. */
export const systemTimers: Timers = Object.freeze({
  setTimeout: (callback: () => void, ms: number): TimerHandle => setTimeout(callback, ms),
  clearTimeout: (handle: TimerHandle): void => clearTimeout(handle as NodeJS.Timeout),
});

/** Let a timer not keep the process alive (a no-op for handles without `unref`). */
export function unrefTimer(handle: TimerHandle): void {
  if (typeof handle === 'object') handle?.unref?.();
}

/** What {@link withTimeout} resolves to when the time ran out first. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/** Options of {@link withTimeout}. */
export interface WithTimeoutOptions {
  /** @default systemTimers */
  timers?: Timers;
  /** Do not let the timer keep the process alive. @default false */
  unref?: boolean;
}

/**
 * Resolve with `work`'s value, or with {@link TIMED_OUT} once `ms` have passed; a rejection of `work`
 * before then rejects. `ms <= 0` resolves {@link TIMED_OUT} at once. A `work` that settles after the
 * timeout is ignored (its rejection is handled, never unhandled).
 */
export function withTimeout<T>(work: PromiseLike<T>, ms: number, options: WithTimeoutOptions = {}): Promise<T | typeof TIMED_OUT> {
  const settled = Promise.resolve(work);
  if (!(ms > 0)) {
    settled.catch(() => {});
    return Promise.resolve(TIMED_OUT);
  }
  const timers = options.timers ?? systemTimers;
  return new Promise((resolve, reject) => {
    const handle = timers.setTimeout(() => resolve(TIMED_OUT), ms);
    if (options.unref) unrefTimer(handle);
    settled.then(
      (value) => {
        timers.clearTimeout(handle);
        resolve(value);
      },
      (err: unknown) => {
        timers.clearTimeout(handle);
        reject(err);
      },
    );
  });
}
