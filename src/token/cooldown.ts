/**
 * Pauses of fetching after a failure that retrying soon cannot fix, so neither callers nor the
 * background refresher can turn it into a loop. Which failures those are is decided by the fetcher's
 * `classify(err)` (only it knows its issuer's error codes):
 *
 * - `quota`: the issuer's quota is spent; pause for the quota cooldown and raise an alert;
 * - `permanent`: bad credentials, a missing whitelist entry...; pause for the permanent cooldown;
 * - `transient`: no pause (the background refresher backs off on its own).
 *
 * During a pause every caller gets the error that started it, which is neither logged nor reported
 * again, and a call during the pause does not extend it (the pause must end under steady traffic).
 */
import type { WechatMpError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { FailureClass } from './types.js';

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

  /**
   * Take note of a failed fetch. `repeat`: it is the error of the running pause, answered to another
   * caller (report nothing). `paused`: a pause started (and was logged). `none`: no pause.
   */
  record(error: WechatMpError, cls: FailureClass): CooldownOutcome {
    const now = this.#o.now();
    if (error === this.#error && now < this.#until) return 'repeat';
    if (cls === 'transient') return 'none';
    const pauseMs = cls === 'quota' ? this.#o.quotaMs : this.#o.permanentMs;
    this.#error = error;
    this.#until = now + pauseMs;
    const fields = { appid: this.#o.appId, kind: this.#o.kind, ...errorLogFields(error), pauseSeconds: Math.round(pauseMs / 1000) };
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
