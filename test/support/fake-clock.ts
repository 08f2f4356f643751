/**
 * One fake clock for every test: `now()` plus the `{ setTimeout, clearTimeout }` the source modules
 * take as injected timers. Time moves only when a test says so; `advance(ms)` runs the timers that fall
 * due in order of due time, with the clock set to each one's due time while it runs.
 *
 * The methods are bound, so `clock` itself, `clock.now` or `{ setTimeout: clock.setTimeout, ... }` can be
 * passed wherever a clock or timers are injected.
 */

/** A timer waiting to fire. */
export interface PendingTimer {
  readonly id: number;
  /** Due time, on this clock. */
  readonly at: number;
  /** The delay it was set with, ms. */
  readonly ms: number;
}

interface Entry extends PendingTimer {
  readonly callback: () => void;
}

/** Default start: a fixed instant, so tests are repeatable. */
export const FAKE_CLOCK_START = 1_800_000_000_000;

/** Let promise callbacks and already-due I/O callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A hand-driven clock and timer set. */
export class FakeClock {
  #now: number;
  #nextId = 0;
  readonly #timers = new Map<number, Entry>();

  constructor(start = FAKE_CLOCK_START) {
    this.#now = start;
  }

  /** The current fake time, ms since the epoch. */
  readonly now = (): number => this.#now;

  readonly setTimeout = (callback: () => void, ms: number): number => {
    const id = ++this.#nextId;
    const delay = Math.max(0, Number.isFinite(ms) ? ms : 0);
    this.#timers.set(id, { id, at: this.#now + delay, ms: delay, callback });
    return id;
  };

  readonly clearTimeout = (handle: unknown): void => {
    if (typeof handle === 'number') this.#timers.delete(handle);
  };

  /** The waiting timers, earliest first (ties in the order they were set). */
  get pending(): readonly PendingTimer[] {
    return [...this.#timers.values()].sort((a, b) => a.at - b.at || a.id - b.id).map(({ id, at, ms }) => ({ id, at, ms }));
  }

  /**
   * Move time forward by `ms`, running every timer due by then (also those the callbacks set) in order,
   * and letting promise callbacks run after each.
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      const next = this.pending[0];
      if (!next || next.at > end) break;
      this.#now = Math.max(this.#now, next.at);
      this.#run(next.id);
      await settle();
    }
    this.#now = end;
    await settle();
  }

  /** Move time to the earliest timer and run it. Resolves false when no timer is waiting. */
  async runNext(): Promise<boolean> {
    const next = this.pending[0];
    if (!next) return false;
    this.#now = Math.max(this.#now, next.at);
    this.#run(next.id);
    await settle();
    return true;
  }

  #run(id: number): void {
    const entry = this.#timers.get(id);
    this.#timers.delete(id);
    entry?.callback();
  }
}
