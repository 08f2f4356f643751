/**
 * Emulated time: an injected base clock plus an offset that only moves forward.
 *
 * Days and months follow Beijing time (UTC+8), where WeChat resets its daily quotas at midnight.
 */
import { WechatMpError } from '../errors.js';

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

/** A base clock moved forward by {@link EmulatedClock.advance}. */
export class EmulatedClock {
  readonly #base: () => number;
  #offsetMs = 0;

  constructor(base: () => number) {
    this.#base = base;
  }

  /** Emulated milliseconds since the epoch. */
  now(): number {
    return this.#base() + this.#offsetMs;
  }

  /**
   * Move emulated time forward.
   * @throws {WechatMpError} `WMP_ERR_EMULATOR` unless `seconds` is a finite number >= 0.
   */
  advance(seconds: number): void {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
      throw new WechatMpError('WMP_ERR_EMULATOR', 'advanceSeconds must be a finite number >= 0');
    }
    this.#offsetMs += seconds * 1000;
  }

  /** Seconds the clock has been advanced in total. */
  advancedSeconds(): number {
    return this.#offsetMs / 1000;
  }

  /** Back to the base clock. */
  reset(): void {
    this.#offsetMs = 0;
  }
}

/** Beijing calendar day of `ms`, as a key (e.g. `2024-05-01`). */
export function dayKey(ms: number): string {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** Beijing calendar month of `ms`, as a key (e.g. `2024-05`). */
export function monthKey(ms: number): string {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 7);
}

/** Minute of `ms`, as a number. */
export function minuteKey(ms: number): number {
  return Math.floor(ms / 60_000);
}
