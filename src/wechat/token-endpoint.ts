/**
 * Obtaining a token from WeChat: `POST /cgi-bin/stable_token` (default) or `GET /cgi-bin/token`
 * (classic). One function, one HTTP call sequence, bounded retries: it never calls itself, and it never
 * goes through the API-call path (whose 40001 recovery would otherwise recurse into it).
 *
 * An answer is a token only if it has a non-empty `access_token` and a positive `expires_in`;
 * anything else is an error or a malformed body, and is never returned (so never stored) as a token.
 */
import { maskSecrets } from '../log/logger.js';
import type { AccessToken, FailureClass } from '../token/types.js';
import type { HttpClient } from './http-client.js';
import { TokenPermanentError, TokenQuotaError, UpstreamError, type TokenFailureReason } from './errors.js';

/** Which endpoint issues tokens. */
export type TokenMode = 'stable' | 'classic';

/** stable_token allows at most this many force_refresh calls a day. */
export const FORCE_REFRESH_DAILY_LIMIT = 20;
/** ... and at least this long between two of them, ms. */
export const FORCE_REFRESH_SPACING_MS = 30_000;
/** stable_token issues a new token only in the last 5 minutes of the current one. */
export const STABLE_ROTATION_WINDOW_SECONDS = 300;

/** Token-endpoint errcodes that retrying cannot fix, and their cause names. */
export const PERMANENT_TOKEN_ERRCODES: Readonly<Record<number, TokenFailureReason>> = Object.freeze({
  40001: 'invalid_appsecret', // the token endpoint uses 40001 for a wrong AppSecret
  40125: 'invalid_appsecret',
  40013: 'invalid_appid',
  41002: 'appid_missing',
  41004: 'appsecret_missing',
  40002: 'invalid_grant_type',
  40164: 'ip_not_whitelisted',
  61004: 'ip_not_whitelisted', // newer docs use 61004 for the IP whitelist
  40243: 'appsecret_frozen',
  43002: 'require_post',
  50004: 'token_use_forbidden',
  50007: 'account_frozen',
});

/** Daily quota exhausted. */
export const QUOTA_ERRCODE = 45009;
/** Per-minute rate limit ("retry next minute"). */
export const RATE_LIMIT_ERRCODE = 45011;

/** How a failed token request affects the next ones (the token manager pauses on `quota` and `permanent`). */
export function classifyTokenFailure(err: unknown): FailureClass {
  if (err instanceof TokenQuotaError) return 'quota';
  if (err instanceof TokenPermanentError) return 'permanent';
  // 45011: "API minute-quota reached, retry next minute" (docs/protocol.md).
  if ((err as { errcode?: unknown } | null)?.errcode === RATE_LIMIT_ERRCODE) return 'rate_limited';
  return 'transient';
}

/**
 * Remembers force_refresh calls so they stay within WeChat's limits (per process; leases make the
 * locked invalidate path the only caller, so instances rarely compete for it).
 */
export class ForceRefreshBudget {
  readonly #times: number[] = [];

  /** True if a force_refresh at `now` respects the daily limit and the spacing. */
  allows(now: number): boolean {
    while (this.#times.length && this.#times[0]! <= now - 86_400_000) this.#times.shift();
    const last = this.#times[this.#times.length - 1];
    if (last !== undefined && now - last < FORCE_REFRESH_SPACING_MS) return false;
    return this.#times.length < FORCE_REFRESH_DAILY_LIMIT;
  }

  record(now: number): void {
    this.#times.push(now);
  }
}

/** Options of {@link UpstreamTokenEndpoint}. */
export interface UpstreamTokenEndpointOptions {
  appId: string;
  appSecret: string;
  apiBase: string;
  mode: TokenMode;
  http: HttpClient;
  now: () => number;
}

/** Fetches tokens from WeChat. */
export class UpstreamTokenEndpoint {
  readonly #o: UpstreamTokenEndpointOptions;
  readonly #budget = new ForceRefreshBudget();

  constructor(options: UpstreamTokenEndpointOptions) {
    this.#o = options;
  }

  /** The endpoint path, for logs. */
  get endpoint(): string {
    return this.#o.mode === 'stable' ? '/cgi-bin/stable_token' : '/cgi-bin/token';
  }

  /**
   * A token. With `rejected` (WeChat refused that token on an API call): classic mode simply fetches
   * a new one; stable mode first asks normally (someone may have rotated it already) and only if that
   * still returns the rejected token uses `force_refresh`, within its daily limit and spacing.
   */
  async fetch(ctx: { rejected?: string } = {}): Promise<AccessToken & { forced?: boolean }> {
    if (this.#o.mode === 'classic') return this.#once(false);
    const normal = await this.#once(false);
    if (!ctx.rejected || normal.access_token !== ctx.rejected) return normal;
    const now = this.#o.now();
    // Handing the refused token back would store it again for every instance: fail instead, typed.
    if (!this.#budget.allows(now)) {
      throw new UpstreamError(this.endpoint, 'rejected_token', 1, 'stable_token still returns the rejected token and force_refresh is not allowed now (20 a day, 30 s apart)');
    }
    this.#budget.record(now);
    return { ...(await this.#once(true)), forced: true };
  }

  async #once(forceRefresh: boolean): Promise<AccessToken> {
    const o = this.#o;
    const endpoint = this.endpoint;
    const startedAt = o.now();
    const classify = (json: Record<string, unknown>): 'ok' | 'retry' => {
      if (json.errcode === -1) return 'retry';
      if (typeof json.errcode === 'number' && json.errcode !== 0) return 'ok'; // handled below, not retried
      return isTokenBody(json) ? 'ok' : 'retry'; // neither an error nor a token: malformed
    };
    const { json } =
      o.mode === 'classic'
        ? await o.http.call({
            method: 'GET',
            url: `${o.apiBase}/cgi-bin/token`,
            endpoint,
            query: { grant_type: 'client_credential', appid: o.appId, secret: o.appSecret },
            retry: true,
            classify,
          })
        : await o.http.call({
            method: 'POST',
            url: `${o.apiBase}/cgi-bin/stable_token`,
            endpoint,
            body: { grant_type: 'client_credential', appid: o.appId, secret: o.appSecret, force_refresh: forceRefresh },
            // Idempotent only without force_refresh: a forced call that timed out may already have
            // rotated the token and spent one of the 20 daily forces; a retry would break the 30 s spacing.
            retry: !forceRefresh,
            classify,
          });
    const errcode = typeof json.errcode === 'number' ? json.errcode : 0;
    if (errcode !== 0) {
      const errmsg = maskSecrets(typeof json.errmsg === 'string' ? json.errmsg : '', [o.appSecret]);
      if (errcode === QUOTA_ERRCODE) throw new TokenQuotaError(endpoint, errmsg);
      // 45011 (minute quota) and other rate limits: transient, but retrying within ms cannot help.
      if (errcode === RATE_LIMIT_ERRCODE) throw new UpstreamError(endpoint, 'errcode', 1, `errcode ${errcode}: ${errmsg}`, { errcode });
      throw new TokenPermanentError(endpoint, errcode, PERMANENT_TOKEN_ERRCODES[errcode] ?? 'unknown_errcode', errmsg);
    }
    const body = json as { access_token: string; expires_in: number };
    return Object.freeze({
      access_token: body.access_token,
      // Relative seconds become an absolute time once, here; measured from when we asked (conservative).
      expires_at: startedAt + body.expires_in * 1000,
      fetched_at: startedAt,
    });
  }
}

function isTokenBody(json: Record<string, unknown>): boolean {
  return (
    typeof json.access_token === 'string' &&
    json.access_token.length > 0 &&
    json.access_token.length <= 4096 &&
    typeof json.expires_in === 'number' &&
    Number.isFinite(json.expires_in) &&
    json.expires_in > 0
  );
}
