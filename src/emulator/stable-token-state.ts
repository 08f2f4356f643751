/**
 * /cgi-bin/stable_token state of one app (docs/protocol.md section 2).
 *
 * - Normal calls return the SAME token while more than the grace period (300 s) of its lifetime
 *   remains, with `expires_in` counting down. In its last 300 s a call issues a new token; the old one
 *   keeps working until its own expiry. So `expires_in` is always > 300.
 * - force_refresh=true invalidates every earlier stable token at once and issues a new one, at most
 *   `forceDailyLimit` times a day and `forceSpacingMs` apart.
 * - A force_refresh beyond those limits does not refresh: the call behaves as force_refresh=false
 *   (it returns the current token with its remaining `expires_in`). This is our choice; what WeChat
 *   really answers then is unverified.
 * - Its own quotas: `dailyQuota` per Beijing day (45009) and `minuteQuota` per minute (45011).
 * - Completely separate from /cgi-bin/token: nothing here touches classic tokens.
 */
import { dayKey, minuteKey } from './clock.js';
import { newAccessToken } from './ids.js';
import type { TokenRecord, TokenRegistry } from './token-registry.js';
import { WindowCounter } from './window-counter.js';

/** Settings of {@link StableTokenState}. */
export interface StableTokenSettings {
  readonly lifetimeMs: number;
  /** A token is replaced by a normal call once no more than this remains. */
  readonly rotateWithinMs: number;
  readonly dailyQuota: number;
  readonly minuteQuota: number;
  readonly forceDailyLimit: number;
  readonly forceSpacingMs: number;
}

/** Outcome of one stable_token call with good credentials. */
export type StableResult =
  | { readonly record: TokenRecord; readonly expiresIn: number; readonly refreshed: boolean; readonly forced: boolean }
  | { readonly errcode: 45009 | 45011 };

/** The stable token state machine of one appid. */
export class StableTokenState {
  readonly #appId: string;
  readonly #registry: TokenRegistry;
  readonly #settings: StableTokenSettings;
  readonly #daily = new WindowCounter(dayKey);
  readonly #minute = new WindowCounter(minuteKey);
  readonly #forces = new WindowCounter(dayKey);
  readonly #issued: TokenRecord[] = [];
  #current: TokenRecord | undefined;
  #lastForceAt: number | undefined;

  constructor(appId: string, registry: TokenRegistry, settings: StableTokenSettings) {
    this.#appId = appId;
    this.#registry = registry;
    this.#settings = settings;
  }

  /** One call at `now`. */
  get(now: number, forceRefresh: boolean): StableResult {
    if (this.#daily.count(now) >= this.#settings.dailyQuota) return { errcode: 45009 };
    if (this.#minute.count(now) >= this.#settings.minuteQuota) return { errcode: 45011 };
    this.#daily.add(now);
    this.#minute.add(now);

    if (forceRefresh && this.#forceAllowed(now)) {
      for (const r of this.#issued) if (r.invalidatedAt === undefined && now < r.expiresAt) r.invalidatedAt = now;
      this.#issued.length = 0;
      this.#lastForceAt = now;
      this.#forces.add(now);
      return { ...this.#issueNew(now), forced: true };
    }
    const current = this.#current;
    if (current && current.invalidatedAt === undefined && current.expiresAt - now > this.#settings.rotateWithinMs) {
      return { record: current, expiresIn: Math.floor((current.expiresAt - now) / 1000), refreshed: false, forced: false };
    }
    return { ...this.#issueNew(now), forced: false };
  }

  /** force_refresh calls honoured today. */
  forcesToday(now: number): number {
    return this.#forces.count(now);
  }

  /** clear_quota resets the daily call count (not the force_refresh limit). */
  clearQuota(): void {
    this.#daily.reset();
  }

  #forceAllowed(now: number): boolean {
    if (this.#forces.count(now) >= this.#settings.forceDailyLimit) return false;
    return this.#lastForceAt === undefined || now - this.#lastForceAt >= this.#settings.forceSpacingMs;
  }

  #issueNew(now: number): { record: TokenRecord; expiresIn: number; refreshed: true } {
    const record: TokenRecord = {
      token: newAccessToken(),
      appId: this.#appId,
      kind: 'stable_token',
      issuedAt: now,
      expiresAt: now + this.#settings.lifetimeMs,
    };
    // Forget tokens that can no longer be invalidated by a force (already expired): bounds #issued.
    for (let i = this.#issued.length - 1; i >= 0; i--) if ((this.#issued[i] as TokenRecord).expiresAt <= now) this.#issued.splice(i, 1);
    this.#issued.push(record);
    this.#current = record;
    this.#registry.add(record);
    return { record, expiresIn: Math.floor(this.#settings.lifetimeMs / 1000), refreshed: true };
  }
}
