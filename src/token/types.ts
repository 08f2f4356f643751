/**
 * Shapes of the token layer.
 *
 * The manager core handles a {@link Credential}: one secret string with absolute times (the access_token
 * today; the JS-SDK tickets are the same kind of thing). Stores keep the tutorials' {@link StoredToken}
 * shape, which {@link credentialOf} and {@link accessTokenOf} translate.
 *
 * Times are absolute milliseconds since the epoch. WeChat answers with a relative `expires_in` (seconds);
 * it is converted once, on receipt, into `expires_at`, and no field ever holds both meanings.
 */
import type { MaybePromise } from '../util/types.js';

/** A secret with a lifetime, as the token manager handles it. Frozen when the manager holds it. */
export interface Credential {
  /** The secret string (an access_token, a ticket). */
  readonly value: string;
  /** Absolute expiry, ms since epoch. */
  readonly expiresAt: number;
  /** When it was obtained from its issuer, ms since epoch. */
  readonly fetchedAt: number;
}

/** What a fetcher hands back: `fetchedAt` defaults to the manager's clock at receipt. */
export interface FetchedCredential {
  readonly value: string;
  readonly expiresAt: number;
  readonly fetchedAt?: number;
}

/** How a failed fetch affects further fetches. */
export type FailureClass =
  /** The issuer's quota is spent: pause for the quota cooldown. */
  | 'quota'
  /** Retrying cannot fix it (bad credentials, IP not whitelisted): pause for the permanent-error cooldown. */
  | 'permanent'
  /** The issuer asks to retry later (a per-minute limit): pause for at least a minute. */
  | 'rate_limited'
  /** Anything else: callers share a short pause growing with each failure in a row. */
  | 'transient';

/** Where new credentials come from (WeChat, a central token service). */
export interface CredentialFetcher {
  /** Named in events and logs. */
  readonly source: 'upstream' | 'tokenSource';
  /**
   * A fresh credential. `rejected` is a value the API refused, which must not come back if avoidable.
   * Failures should be typed `WechatMpError`s.
   */
  fetch(ctx: { rejected?: string }): Promise<FetchedCredential>;
  /** What a failure of `fetch` means for the next try (the issuer's error codes are known only here). */
  classify(error: unknown): FailureClass;
}

/** An access_token as the library hands it out. Objects returned by the library are frozen. */
export interface AccessToken {
  /** The token string (WeChat reserves up to 512 characters). */
  readonly access_token: string;
  /** Absolute expiry, ms since epoch. */
  readonly expires_at: number;
  /** When it was obtained from WeChat, ms since epoch. */
  readonly fetched_at: number;
}

/** What a token store keeps: the same shape as {@link AccessToken}. */
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
 * How far past its TTL a held lease's expiry may lie and still count, ms: instances' clocks differ
 * a little. A lease expiring further ahead was written by a fast clock, or before the clock stepped
 * back, by a holder that then died: treating it as held would block every refresh until that time.
 */
export const LEASE_FUTURE_SLACK_MS = 60_000;

/** Whether a lease expiring at `expiresAt` (ms) still holds against `lease`: not expired, not impossibly far ahead. */
export function leaseIsLive(expiresAt: number, lease: LeaseRequest): boolean {
  return expiresAt > lease.now && expiresAt <= lease.now + lease.ttlMs + LEASE_FUTURE_SLACK_MS;
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
  /** The stored token of `appId`, or null. May return an expired token; the manager checks expiry. */
  get(appId: string): MaybePromise<StoredToken | null | undefined>;
  /**
   * Store `token` for `appId`. Must not replace a token with a later `fetched_at` (a delayed write
   * of an older token loses).
   */
  save(appId: string, token: StoredToken): MaybePromise<void>;
  /** Remove the stored token only if it is still `rejected`. Resolves true if it removed it. */
  invalidate?(appId: string, rejected: string): MaybePromise<boolean>;
  /**
   * Take the refresh lease of `appId` if it is free, expired, or already held by `owner` (then extend it).
   * Resolves true when `owner` holds it.
   */
  acquireLease?(appId: string, lease: LeaseRequest): MaybePromise<boolean>;
  /** Give the lease back if `owner` still holds it. */
  releaseLease?(appId: string, owner: string): MaybePromise<void>;
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

/** The {@link Credential} of a stored token. */
export function credentialOf(t: StoredToken): Credential {
  return Object.freeze({ value: t.access_token, expiresAt: t.expires_at, fetchedAt: t.fetched_at });
}

/** The frozen {@link AccessToken} of a credential. */
export function accessTokenOf(c: Credential): AccessToken {
  return Object.freeze({ access_token: c.value, expires_at: c.expiresAt, fetched_at: c.fetchedAt });
}

/** AppIDs are used in file names and keys: letters, digits, `_` and `-` only. */
export const APPID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
