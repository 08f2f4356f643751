/**
 * The one retry-delay formula: exponential from `baseMs`, capped at `maxMs`, optionally with "equal
 * jitter" (a delay between half the step and the full step), so instances that failed together do
 * not retry together.
 */

/** Options of {@link backoffMs}. */
export interface BackoffOptions {
  /** Delay before the first retry, ms. */
  baseMs: number;
  /** Largest delay, ms. */
  maxMs: number;
  /** Spread each delay over [step / 2, step). @default true */
  jitter?: boolean;
  /** Source of the jitter, in [0, 1). @default Math.random */
  random?: () => number;
}

/** Exponents above this cannot change a capped result; bounding it keeps the arithmetic finite. */
const MAX_EXPONENT = 30;

/** Delay before retry number `retry` (1-based): `min(maxMs, baseMs * 2^(retry-1))`, jittered unless `jitter: false`. */
export function backoffMs(retry: number, options: BackoffOptions): number {
  const exponent = Math.min(Math.max(0, retry - 1), MAX_EXPONENT);
  const step = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  if (options.jitter === false) return step;
  const random = options.random ?? Math.random;
  return step / 2 + random() * (step / 2);
}
