/**
 * A counter that starts again at zero whenever its window (day, minute, month) changes.
 */

/** Counts events within the current window of `windowOf(now)`. */
export class WindowCounter {
  readonly #windowOf: (now: number) => string | number;
  #window: string | number | undefined;
  #count = 0;

  constructor(windowOf: (now: number) => string | number) {
    this.#windowOf = windowOf;
  }

  /** Events counted so far in the window of `now`. */
  count(now: number): number {
    return this.#windowOf(now) === this.#window ? this.#count : 0;
  }

  /** Count one event at `now`. */
  add(now: number): void {
    const w = this.#windowOf(now);
    if (w !== this.#window) {
      this.#window = w;
      this.#count = 0;
    }
    this.#count += 1;
  }

  reset(): void {
    this.#window = undefined;
    this.#count = 0;
  }
}
