/**
 * Shapes shared by the token stores and the token manager.
 *
 * Times are absolute milliseconds since the epoch. WeChat answers with a relative `expires_in` (seconds);
 * it is converted once, on receipt, into `expires_at`, and no field ever holds both meanings.
 */

/** A value or a promise of it: store methods may be synchronous or asynchronous. */
export type MaybePromise<T> = T | Promise<T>;

/** An access_token as the manager hands it out. Objects returned by the manager are frozen. */
export interface AccessToken {
  /** The token string (WeChat reserves up to 512 characters). */
  readonly access_token: string;
  /** Absolute expiry, ms since epoch. */
  readonly expires_at: number;
  /** When it was obtained from WeChat, ms since epoch. */
  readonly fetched_at: number;
}

/** What a store keeps: the same shape as {@link AccessToken}. */
export type StoredToken = AccessToken;

/** Options of {@link TokenStore.acquireLease}. */
export interface LeaseRequest {
  /** Unique id of the would-be holder (one per manager instance). */
  readonly owner: string;
  /** The caller's current time, ms since epoch (the lease expires at `now + ttlMs`). */
  readonly now: number;
  /** How long the lease lasts if the holder never releases it (crash), ms. */
  readonly ttlMs: number;
}

/**
 * Where tokens are shared between instances. `get` and `save` are required; the rest are optional
 * capabilities, detected when the manager is built:
 *
 * - `invalidate`: compare-and-invalidate, so N instances that see the same token rejected remove it
 *   once and cause one refresh;
 * - `acquireLease` / `releaseLease`: a cross-process refresh lease, so one instance refreshes while the
 *   others wait and re-read the store.
 *
 * Methods may return a value or a promise (undici `types/cache-interceptor.d.ts` style).
 */
export interface TokenStore {
  /** The stored token of `appid`, or null. May return an expired token; the manager checks expiry. */
  get(appid: string): MaybePromise<StoredToken | null | undefined>;
  /**
   * Store `token` for `appid`. Must not replace a token with a later `fetched_at` (a delayed write
   * of an older token loses).
   */
  save(appid: string, token: StoredToken): MaybePromise<void>;
  /** Remove the stored token only if it is still `rejected`. Resolves true if it removed it. */
  invalidate?(appid: string, rejected: string): MaybePromise<boolean>;
  /**
   * Take the refresh lease of `appid` if it is free, expired, or already held by `owner` (then extend it).
   * Resolves true when `owner` holds it.
   */
  acquireLease?(appid: string, lease: LeaseRequest): MaybePromise<boolean>;
  /** Give the lease back if `owner` still holds it. */
  releaseLease?(appid: string, owner: string): MaybePromise<void>;
}

/** True if `value` looks like a usable stored token (a string token and finite times). */
export function isStoredToken(value: unknown): value is StoredToken {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.access_token === 'string' &&
    v.access_token.length > 0 &&
    typeof v.expires_at === 'number' &&
    Number.isFinite(v.expires_at) &&
    typeof v.fetched_at === 'number' &&
    Number.isFinite(v.fetched_at)
  );
}

/** A frozen copy holding exactly the three fields. */
export function freezeToken(t: StoredToken): AccessToken {
  return Object.freeze({ access_token: t.access_token, expires_at: t.expires_at, fetched_at: t.fetched_at });
}

/** AppIDs are used in file names and keys: letters, digits, `_` and `-` only. */
export const APPID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
