/**
 * Getting tokens from a central token service (another instance's `GET /internal/access-token`, the
 * "中控服务器" WeChat recommends) instead of WeChat: bearer-authenticated, and a token WeChat rejected
 * is reported to `${tokenSource}/invalidate`, where compare-and-invalidate makes N reporters cause
 * one refresh.
 */
import type { AccessToken } from '../token/types.js';
import type { HttpClient } from './http-client.js';
import { TokenSourceError, UpstreamError } from './errors.js';

/** Options of {@link TokenSourceClient}. */
export interface TokenSourceClientOptions {
  /** URL of the token route, e.g. `https://tokens.internal/internal/access-token`. */
  url: string;
  /** Bearer secret. */
  secret: string;
  http: HttpClient;
  now: () => number;
}

/** Fetches tokens from a central token service. */
export class TokenSourceClient {
  readonly #o: TokenSourceClientOptions;

  constructor(options: TokenSourceClientOptions) {
    this.#o = { ...options, url: options.url.replace(/\/+$/, '') };
  }

  /** The current token; with `rejected`, report it first and return the replacement. */
  async fetch(ctx: { rejected?: string } = {}): Promise<AccessToken> {
    const o = this.#o;
    const startedAt = o.now();
    const spec = ctx.rejected
      ? { method: 'POST' as const, url: `${o.url}/invalidate`, endpoint: 'tokenSource/invalidate', body: { access_token: ctx.rejected } }
      : { method: 'GET' as const, url: o.url, endpoint: 'tokenSource' };
    let json: Record<string, unknown>;
    let status: number;
    try {
      ({ json, status } = await o.http.call({
        ...spec,
        headers: { authorization: `Bearer ${o.secret}` },
        retry: true, // both routes are idempotent (invalidate is compare-and-invalidate)
        classify: (j) => (isTokenJson(j) || typeof j.error === 'string' ? 'ok' : 'retry'),
        acceptStatus: (s) => s === 400 || s === 401 || s === 403 || s === 429,
      }));
    } catch (err) {
      if (err instanceof UpstreamError) {
        throw new TokenSourceError(`${spec.endpoint} failed after ${err.attempts} attempt(s) (${err.kind}${err.status ? ` ${err.status}` : ''})`, { status: err.status, cause: err });
      }
      throw err;
    }
    if (status !== 200 || !isTokenJson(json)) {
      const reason = typeof json.error === 'string' ? json.error.slice(0, 200) : 'no token in the answer';
      throw new TokenSourceError(`${spec.endpoint} answered HTTP ${status}: ${reason}`, { status });
    }
    // `expires_in` is relative, so it holds whatever the two clocks say; counted from when the request
    // started, it errs on the early side. `expires_at` alone is the service's clock.
    const expiresAt = typeof json.expires_in === 'number' && Number.isFinite(json.expires_in) ? startedAt + json.expires_in * 1000 : (json.expires_at as number);
    const fetchedAt = typeof json.fetched_at === 'number' ? json.fetched_at : startedAt;
    return Object.freeze({ access_token: json.access_token as string, expires_at: expiresAt, fetched_at: fetchedAt });
  }
}

function isTokenJson(j: Record<string, unknown>): boolean {
  if (typeof j.access_token !== 'string' || j.access_token.length === 0) return false;
  if (typeof j.expires_at === 'number' && Number.isFinite(j.expires_at)) return true;
  return typeof j.expires_in === 'number' && Number.isFinite(j.expires_in) && j.expires_in > 0;
}
