/**
 * Emulated time: an injected base clock plus an offset that only moves forward.
 *
 * Days and months follow Beijing time (UTC+8), where WeChat resets its daily quotas at midnight.
 */
import { WechatMpError } from '../errors.js';

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;
/**
 * Furthest the clock may be moved in total, seconds (ten years). Beyond that, days, expiries and
 * quota windows stop being meaningful dates (`advanceSeconds: 1e300` made every later token call fail).
 */
export const MAX_ADVANCE_SECONDS = 10 * 366 * 86_400;

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
   * @throws {WechatMpError} `WMP_ERR_EMULATOR` unless `seconds` is a finite number >= 0 that keeps the
   *   total advance within {@link MAX_ADVANCE_SECONDS}.
   */
  advance(seconds: number): void {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
      throw new WechatMpError('WMP_ERR_EMULATOR', 'advanceSeconds must be a finite number >= 0');
    }
    if (this.#offsetMs / 1000 + seconds > MAX_ADVANCE_SECONDS) {
      throw new WechatMpError('WMP_ERR_EMULATOR', `advanceSeconds would move the clock more than ${MAX_ADVANCE_SECONDS} s (ten years) ahead in total`);
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
