/**
 * Rejection logging that a flood cannot amplify: the first rejection of each reason in an interval
 * is logged at once, the rest of that interval are only counted, and the next line of that reason
 * (or {@link RejectionLog.flush} at shutdown) carries the count (`suppressed`). A flood of N
 * unauthenticated requests thus writes one line per reason per interval instead of N.
 */
import type { Logger } from './logger.js';

/** Default interval of {@link RejectionLog}, ms. */
export const DEFAULT_REJECTION_LOG_INTERVAL_MS = 60_000;
/** Distinct (event, reason) pairs tracked at once; reasons come from code, so this is a safety bound. */
const MAX_TRACKED_REASONS = 1024;

interface ReasonState {
  windowStart: number;
  suppressed: number;
}

/** Aggregates repeated rejection log lines per (event, reason). */
export class RejectionLog {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #reasons = new Map<string, ReasonState & { event: string; reason: string }>();

  constructor(logger: Logger, options: { intervalMs?: number; now?: () => number } = {}) {
    this.#logger = logger;
    this.#intervalMs = options.intervalMs ?? DEFAULT_REJECTION_LOG_INTERVAL_MS;
    this.#now = options.now ?? Date.now;
  }

  /**
   * One rejection. `reason` must come from code (a fixed text), never from input; `fields` are
   * logged only on the line that opens an interval, so keep them bounded too.
   */
  record(event: string, reason: string, fields: Record<string, unknown> = {}): void {
    const key = `${event}\u0000${reason}`;
    const t = this.#now();
    const state = this.#reasons.get(key);
    if (state && t - state.windowStart < this.#intervalMs) {
      state.suppressed++;
      return;
    }
    const suppressed = state?.suppressed ?? 0;
    if (!state && this.#reasons.size >= MAX_TRACKED_REASONS) this.#evictOldest();
    this.#reasons.set(key, { event, reason, windowStart: t, suppressed: 0 });
    this.#logger.warn({ event, reason, ...fields, ...(suppressed > 0 ? { suppressed, intervalMs: this.#intervalMs } : {}) }, `rejected: ${reason}`);
  }

  /** Log the counts not written yet (call at shutdown). */
  flush(): void {
    for (const s of this.#reasons.values()) this.#summarise(s);
    this.#reasons.clear();
  }

  #evictOldest(): void {
    const [key, s] = this.#reasons.entries().next().value as [string, ReasonState & { event: string; reason: string }];
    this.#summarise(s);
    this.#reasons.delete(key);
  }

  #summarise(s: ReasonState & { event: string; reason: string }): void {
    if (s.suppressed > 0) this.#logger.warn({ event: s.event, reason: s.reason, suppressed: s.suppressed, intervalMs: this.#intervalMs }, `rejected: ${s.reason} (repeated)`);
    s.suppressed = 0;
  }
}
