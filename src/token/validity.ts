/**
 * The one expiry check: a credential is usable while `now < expiresAt - skew`. The token manager
 * decides with it whether a credential in memory or in the store may be handed out, and the `Token`
 * model offers it as `Token.isValid(data)` for code that reads the store itself.
 */
import { isStoredToken, type StoredToken } from './types.js';

/** A token this close to expiry is never handed out; callers wait for a new one, seconds. */
export const DEFAULT_EXPIRY_SKEW_SECONDS = 30;

/** True while a credential that expires at `expiresAt` (ms since epoch) may still be used at `now`. */
export function usableAt(expiresAt: number, now: number, skewMs: number): boolean {
  return Number.isFinite(expiresAt) && now < expiresAt - skewMs;
}

/** Options of {@link isTokenValid}. */
export interface ValidityOptions {
  /** The time to judge at, ms since epoch. @default Date.now() */
  now?: number;
  /**
   * How long before its expiry a token stops counting as valid, ms (clock differences between
   * servers, and the time a request takes to reach WeChat).
   * @default DEFAULT_EXPIRY_SKEW_SECONDS * 1000 (30 s), the token manager's default
   */
  skewMs?: number;
}

/** True when `data` is a stored token (`access_token`, `expires_at`, `fetched_at`) that is usable now. */
export function isTokenValid(data: unknown, options: ValidityOptions = {}): data is StoredToken {
  return isStoredToken(data) && usableAt(data.expires_at, options.now ?? Date.now(), options.skewMs ?? DEFAULT_EXPIRY_SKEW_SECONDS * 1000);
}
