/**
 * The token-authenticated API call: adds `access_token`, parses the JSON (64-bit integers as strings),
 * turns a non-zero errcode into a {@link WechatApiError}, and recovers once from a rejected token
 * (docs/protocol.md section 3): on 40001/40014/42001 the token is invalidated (compare-and-invalidate),
 * refreshed, and the call retried exactly once. Every API area (src/wechat/api/) calls through here.
 */
import { InvalidOptionError } from '../errors.js';
import { maskSecrets } from '../log/logger.js';
import type { AccessToken } from '../token/types.js';
import { WechatApiError } from './errors.js';
import type { HttpClient } from './http-client.js';

/** errcodes that mean "this access_token is not (or no longer) valid": recover once, then give up. */
export const TOKEN_REJECTED_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001]);

/** HTTP methods of the WeChat API. */
export type ApiMethod = 'GET' | 'POST';

/** Options of one API call. */
export interface RequestOptions {
  query?: Record<string, string>;
  body?: unknown;
  /** Retry transient failures. @default true for GET, false for POST (a POST may not be idempotent) */
  retry?: boolean;
}

/** Payload of the `apiCall` event (for metrics such as calls by endpoint and errcode). */
export interface ApiCallEvent {
  /** API path, e.g. `/cgi-bin/menu/get`. */
  endpoint: string;
  errcode: number | 'network';
}

/** A token-authenticated API call, as the API areas receive it. */
export type ApiRequest = <T = unknown>(method: ApiMethod, path: string, opts?: RequestOptions) => Promise<T>;

/** What {@link createApiRequest} needs. */
export interface ApiRequestDeps {
  /** API base URL, no trailing slash. */
  apiBase: string;
  http: HttpClient;
  /** The token in use, and its compare-and-invalidate replacement. */
  tokens: {
    get(): Promise<AccessToken>;
    invalidate(rejected: string): Promise<AccessToken>;
  };
  /** Values masked out of errmsg texts (the token used is added per call). */
  secrets: readonly string[];
  /** Told of every finished call. */
  onCall(event: ApiCallEvent): void;
}

const PATH_PATTERN = /^\/[A-Za-z0-9_\-/.]*$/;

/** Build the API call of one client. */
export function createApiRequest(deps: ApiRequestDeps): ApiRequest {
  async function call<T>(method: ApiMethod, path: string, accessToken: string, opts: RequestOptions): Promise<T> {
    let json: Record<string, unknown>;
    try {
      ({ json } = await deps.http.call({
        method,
        url: `${deps.apiBase}${path}`,
        endpoint: path,
        query: { ...opts.query, access_token: accessToken },
        body: method === 'POST' ? (opts.body ?? {}) : undefined,
        retry: opts.retry ?? method === 'GET',
      }));
    } catch (err) {
      deps.onCall({ endpoint: path, errcode: 'network' });
      throw err;
    }
    const errcode = json.errcode;
    deps.onCall({ endpoint: path, errcode: typeof errcode === 'number' ? errcode : 0 });
    if (typeof errcode === 'number' && errcode !== 0) {
      const errmsg = maskSecrets(typeof json.errmsg === 'string' ? json.errmsg : '', [...deps.secrets, accessToken]);
      throw new WechatApiError(path, errcode, errmsg);
    }
    return json as T;
  }

  return async function request<T = unknown>(method: ApiMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    if (method !== 'GET' && method !== 'POST') throw new InvalidOptionError('method', '"GET" or "POST"');
    if (typeof path !== 'string' || !PATH_PATTERN.test(path)) throw new InvalidOptionError('path', 'an API path such as "/cgi-bin/menu/get" (query through opts.query)');
    const token = await deps.tokens.get();
    try {
      return await call<T>(method, path, token.access_token, opts);
    } catch (err) {
      if (!(err instanceof WechatApiError) || !TOKEN_REJECTED_ERRCODES.has(err.errcode)) throw err;
      const fresh = await deps.tokens.invalidate(token.access_token);
      // The same token again would be refused again: report the original rejection instead.
      if (fresh.access_token === token.access_token) throw err;
      // Exactly one retry: a second rejection is the caller's error, never a loop.
      return await call<T>(method, path, fresh.access_token, opts);
    }
  };
}
