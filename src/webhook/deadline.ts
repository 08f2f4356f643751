/**
 * The reply deadline: WeChat drops the connection after 5 s and re-sends, so a handler gets a budget
 * (default 4.5 s) after which the webhook answers `success` and lets the handler finish on its own.
 * The race itself is the project's one timeout race (src/util/timeout.ts), on the injected timers.
 */
import { TIMED_OUT, withTimeout, type Timers } from '../util/timeout.js';

/** What {@link withDeadline} resolves to when the budget ran out first. */
export const DEADLINE_PASSED: typeof TIMED_OUT = TIMED_OUT;

/** Resolve with `work`'s value, or with {@link DEADLINE_PASSED} after `ms`; the timer is always cleared. */
export function withDeadline<T>(work: PromiseLike<T>, ms: number, timers?: Timers): Promise<T | typeof DEADLINE_PASSED> {
  return withTimeout(work, ms, timers === undefined ? {} : { timers });
}
