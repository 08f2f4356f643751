/**
 * Errors of WeChat API calls and of the token request. Messages name the endpoint path and the errcode,
 * never the query string (which carries `secret=` or `access_token=`), and errmsg text is masked.
 */
import { WechatMpError } from '../errors.js';
import { hintOf, type ErrcodeHint } from './errcode-hints.js';

/** The request id WeChat appends to errmsg (`rid: xxxx-xxxx-xxxx` or `hint: [xxxx]`), if any. */
export function ridOf(errmsg: string): string | undefined {
  return /\brid:\s*([0-9A-Za-z-]+)/.exec(errmsg)?.[1] ?? /\bhint:\s*\[([^\]]+)\]/.exec(errmsg)?.[1];
}

/**
 * A token-authenticated WeChat API answered with a non-zero errcode. `hint` says what the errcode
 * usually means and what to do, for the errcodes of src/wechat/errcode-hints.ts.
 */
export class WechatApiError extends WechatMpError {
  readonly errcode: number;
  /** WeChat's errmsg (secrets masked). Branch on `errcode`, never on this text. */
  readonly errmsg: string;
  /** The API path, e.g. `/cgi-bin/menu/get`. */
  readonly endpoint: string;
  /** WeChat's request id from errmsg, to quote to WeChat support. */
  readonly rid: string | undefined;
  /** What the errcode usually means and what to do; undefined for an errcode without a hint. */
  readonly hint: ErrcodeHint | undefined;

  constructor(endpoint: string, errcode: number, errmsg: string) {
    const hint = hintOf(errcode);
    super('WMP_ERR_WECHAT_API', `WeChat API ${endpoint} answered errcode ${errcode}: ${errmsg}${hint ? ` (${hint.meaning} What to do: ${hint.action})` : ''}`);
    this.name = 'WechatApiError';
    this.endpoint = endpoint;
    this.errcode = errcode;
    this.errmsg = errmsg;
    this.rid = ridOf(errmsg);
    this.hint = hint;
  }
}

/** Why a token request failed for good. */
export type TokenFailureReason =
  | 'invalid_appsecret'
  | 'invalid_appid'
  | 'appid_missing'
  | 'appsecret_missing'
  | 'invalid_grant_type'
  | 'ip_not_whitelisted'
  | 'appsecret_frozen'
  | 'require_post'
  | 'token_use_forbidden'
  | 'account_frozen'
  | 'unknown_errcode';

/**
 * The token request failed for a reason retrying cannot fix (wrong appid or secret, IP not
 * whitelisted, frozen secret...). `reason` names the cause; the secret is never included.
 */
export class TokenPermanentError extends WechatMpError {
  readonly errcode: number;
  readonly reason: TokenFailureReason;
  readonly endpoint: string;

  constructor(endpoint: string, errcode: number, reason: TokenFailureReason, errmsg: string) {
    super('WMP_ERR_TOKEN_PERMANENT', `Token request ${endpoint} failed: ${reason} (errcode ${errcode}: ${errmsg})`);
    this.name = 'TokenPermanentError';
    this.endpoint = endpoint;
    this.errcode = errcode;
    this.reason = reason;
  }
}

/** The daily token quota is exhausted (errcode 45009). Refreshing stops until the quota is reset. */
export class TokenQuotaError extends WechatMpError {
  readonly errcode = 45009;
  readonly endpoint: string;

  constructor(endpoint: string, errmsg: string) {
    super('WMP_ERR_TOKEN_QUOTA', `Token request ${endpoint}: daily quota exhausted (errcode 45009: ${errmsg}); not retrying`);
    this.name = 'TokenQuotaError';
    this.endpoint = endpoint;
  }
}

/** What went wrong on the wire. */
/**
 * What failed: `rejected_token` means stable_token keeps returning a token WeChat already refused and
 * `force_refresh` is not allowed right now (20 a day, 30 s apart).
 */
export type UpstreamFailureKind = 'network' | 'timeout' | 'http_status' | 'errcode' | 'malformed' | 'rejected_token';

/** An upstream HTTP call failed after bounded retries. */
export class UpstreamError extends WechatMpError {
  readonly endpoint: string;
  readonly kind: UpstreamFailureKind;
  /** Attempts made (1 = no retry). */
  readonly attempts: number;
  /** HTTP status, for `http_status`. */
  readonly status: number | undefined;
  /** WeChat errcode, for `errcode` (e.g. -1, 45011). */
  readonly errcode: number | undefined;

  constructor(
    endpoint: string,
    kind: UpstreamFailureKind,
    attempts: number,
    detail: string,
    extra: { status?: number; errcode?: number; cause?: unknown } = {},
  ) {
    super('WMP_ERR_UPSTREAM', `${endpoint} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${detail}`, { cause: extra.cause });
    this.name = 'UpstreamError';
    this.endpoint = endpoint;
    this.kind = kind;
    this.attempts = attempts;
    this.status = extra.status;
    this.errcode = extra.errcode;
  }
}

/** The central token service (`tokenSource`) failed or answered with an unusable body. */
export class TokenSourceError extends WechatMpError {
  /** HTTP status, if it answered. */
  readonly status: number | undefined;

  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super('WMP_ERR_TOKEN_SOURCE', `Token source: ${message}`, { cause: options.cause });
    this.name = 'TokenSourceError';
    this.status = options.status;
  }
}
