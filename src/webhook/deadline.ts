/**
 * The reply deadline: WeChat drops the connection after 5 s and re-sends, so a handler gets a budget
 * (default 4.5 s) after which the webhook answers `success` and lets the handler finish on its own.
 */

/** What {@link withDeadline} resolves to when the budget ran out first. */
export const DEADLINE_PASSED: unique symbol = Symbol('deadline passed');

/** Resolve with `work`'s value, or with {@link DEADLINE_PASSED} after `ms`; the timer is always cleared. */
export function withDeadline<T>(work: PromiseLike<T>, ms: number): Promise<T | typeof DEADLINE_PASSED> {
  if (ms <= 0) return Promise.resolve(DEADLINE_PASSED);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms, DEADLINE_PASSED);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
