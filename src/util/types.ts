/**
 * Small type helpers shared across the library.
 */

/** A value or a promise of it: injected functions and store methods may be synchronous or asynchronous. */
export type MaybePromise<T> = T | Promise<T>;
