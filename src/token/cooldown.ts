/**
 * Pauses of fetching after a failure that retrying soon cannot fix, so neither callers nor the
 * background refresher can turn it into a loop. Which failures those are is decided by the fetcher's
 * `classify(err)` (only it knows its issuer's error codes):
 *
 * - `quota`: the issuer's quota is spent; pause for the quota cooldown and raise an alert;
 * - `permanent`: bad credentials, a missing whitelist entry...; pause for the permanent cooldown;
 * - `rate_limited`: the issuer asks to retry later (WeChat's 45011, "next minute"); pause at least
 *   {@link RATE_LIMITED_PAUSE_MS};
 * - `transient`: a short pause growing with each failure in a row (exponential with jitter, 1 s to
 *   60 s), reset by a success, so a failing issuer sees one call per pause, not one per caller.
 *
 * During a pause every caller (and the background refresher) gets the error that started it at once,
 * which is neither logged nor reported again, and a call during the pause does not extend it (the
 * pause must end under steady traffic).
 */
import type { WechatMpError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { FailureClass } from './types.js';
import { backoffMs } from '../util/backoff.js';

/** Least pause after a `rate_limited` failure, ms. */
export const RATE_LIMITED_PAUSE_MS = 60_000;
/** First pause after a `transient` failure, ms (doubles per failure in a row, with jitter). */
export const TRANSIENT_PAUSE_BASE_MS = 1_000;
/** Longest pause after `transient` failures, ms. */
export const TRANSIENT_PAUSE_MAX_MS = 60_000;

/** Options of {@link Cooldown}. */
export interface CooldownOptions {
  appId: string;
  kind: string;
  quotaMs: number;
  permanentMs: number;
  now: () => number;
  logger: Logger;
}

/** What {@link Cooldown.record} made of a failure. */
export type CooldownOutcome = 'repeat' | 'paused' | 'none';

/** The fields of an error worth logging: its code, and the issuer's code and reason when it has them. */
export function errorLogFields(error: WechatMpError): { code: string; errcode?: number; reason?: string } {
  const { errcode, reason } = error as { errcode?: unknown; reason?: unknown };
  return {
    code: error.code,
    ...(typeof errcode === 'number' ? { errcode } : {}),
    ...(typeof reason === 'string' ? { reason } : {}),
  };
}

/** The pause state of one manager. */
export class Cooldown {
  readonly #o: CooldownOptions;
  #error: WechatMpError | undefined;
  #until = 0;
  #transientInARow = 0;

  constructor(options: CooldownOptions) {
    this.#o = options;
  }

  /** The error that paused fetching, while the pause lasts. */
  get blocking(): WechatMpError | undefined {
    return this.#error !== undefined && this.#o.now() < this.#until ? this.#error : undefined;
  }

  /** End of the current (or last) pause, ms since epoch; 0 before any. */
  get until(): number {
    return this.#until;
  }

  /** A fetch succeeded: the next transient failure starts from the shortest pause again. */
  succeeded(): void {
    this.#transientInARow = 0;
  }

  /**
   * Take note of a failed fetch. `repeat`: it is the error of the running pause, answered to another
   * caller (report nothing). `paused`: a pause started (and was logged). `none`: no pause.
   */
  record(error: WechatMpError, cls: FailureClass): CooldownOutcome {
    const now = this.#o.now();
    if (error === this.#error && now < this.#until) return 'repeat';
    const pauseMs =
      cls === 'quota'
        ? this.#o.quotaMs
        : cls === 'permanent'
          ? this.#o.permanentMs
          : cls === 'rate_limited'
            ? RATE_LIMITED_PAUSE_MS
            : backoffMs(++this.#transientInARow, { baseMs: TRANSIENT_PAUSE_BASE_MS, maxMs: TRANSIENT_PAUSE_MAX_MS });
    this.#error = error;
    this.#until = now + pauseMs;
    const fields = { appid: this.#o.appId, kind: this.#o.kind, ...errorLogFields(error), pauseSeconds: Math.round(pauseMs / 1000) };
    if (cls === 'transient' || cls === 'rate_limited') {
      // Once per pause, whatever the number of callers.
      this.#o.logger.warn({ event: 'token.refresh_failed', ...fields, pauseMs: Math.round(pauseMs) }, `${this.#o.kind} refresh failed; callers get this error until the pause ends: ${error.message}`);
      return 'paused';
    }
    if (cls === 'quota') {
      this.#o.logger.error(
        { event: 'token.quota_exhausted', ...fields },
        `ALERT: ${this.#o.kind} quota exhausted; requests for it are paused. Reset the quota or wait for its reset, and find what is spending it: ${error.message}`,
      );
    } else {
      this.#o.logger.error({ event: 'token.permanent_failure', ...fields }, `${this.#o.kind} request refused for a reason retrying cannot fix; check the AppID, AppSecret and IP whitelist: ${error.message}`);
    }
    return 'paused';
  }
}
