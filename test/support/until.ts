/**
 * Waiting in tests without timed sleeps: poll a condition until it holds, bounded so a broken
 * expectation fails with a message instead of hanging the run.
 */

/** Options of {@link until}. */
export interface UntilOptions {
  /** Give up after this long (real time), ms. @default 5000 */
  timeoutMs?: number;
  /** Named in the failure message. */
  what?: string;
}

/**
 * Resolve once `predicate()` is (or resolves) truthy. The first checks run on every event-loop turn,
 * later ones every few ms (no busy spin). Rejects after `timeoutMs`.
 */
export async function until(predicate: () => unknown, options: UntilOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const started = Date.now();
  for (let i = 0; ; i++) {
    if (await predicate()) return;
    if (Date.now() - started > timeoutMs) throw new Error(`until: ${options.what ?? 'condition'} did not hold within ${timeoutMs} ms`);
    await new Promise<void>((resolve) => (i < 50 ? setImmediate(resolve) : setTimeout(resolve, 5)));
  }
}
