/**
 * A progress line for long, silent steps of the test harness (building FerretDB takes a minute or
 * two on first use): every `everyMs` it reports the elapsed time until stopped. Timers and clock are
 * injectable so the test of this helper runs on the fake clock; real timers are unref'd, so a
 * forgotten `stop()` never holds the process open.
 */

/** Options of {@link startProgress}. */
export interface ProgressOptions {
  /** How often to report, ms. @default 15000 */
  everyMs?: number;
  /** @default Date.now */
  now?: () => number;
  /** @default the global timers */
  timers?: { setTimeout(callback: () => void, ms: number): unknown; clearTimeout(handle: unknown): void };
}

/** Report `report(elapsedMs)` every `everyMs` until the returned function is called. */
export function startProgress(report: (elapsedMs: number) => void, options: ProgressOptions = {}): () => void {
  const everyMs = options.everyMs ?? 15_000;
  const now = options.now ?? Date.now;
  const timers = options.timers ?? {
    setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms).unref(),
    clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
  };
  const started = now();
  let stopped = false;
  let handle: unknown;
  const tick = () => {
    if (stopped) return;
    report(now() - started);
    handle = timers.setTimeout(tick, everyMs);
  };
  handle = timers.setTimeout(tick, everyMs);
  return () => {
    stopped = true;
    timers.clearTimeout(handle);
  };
}

/** `95000` -> `1 min 35 s`. */
export function formatElapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
