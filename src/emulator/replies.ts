/**
 * What an emulator route answers: a JSON body with WeChat's content type, WeChat's error bodies
 * (every errmsg ends with ` rid: xxxxxxxx-xxxxxxxx-xxxxxxxx`), and the fault outcomes.
 */
import { API_ERRMSG } from './api-errmsg.js';
import { newRid } from './ids.js';

/** errmsg texts of the errcodes the emulator answers (docs/protocol.md sections 1-3). */
export const ERRMSG: Readonly<Record<number, string>> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40008: 'invalid message type',
  40013: 'invalid appid',
  40014: 'invalid access_token',
  40016: 'invalid button size',
  40017: 'invalid button type',
  40018: 'invalid button name size',
  40019: 'invalid button key size',
  40023: 'invalid sub button size',
  40054: 'invalid button url size',
  40125: 'invalid appsecret',
  40164: 'invalid ip, not in whitelist',
  40243: 'AppSecret is frozen, unfreeze it in the MP console',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  42001: 'access_token expired',
  43002: 'require POST method',
  44002: 'empty post data',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit mustslower retry next minute',
  46003: 'menu no exist',
  47001: 'data format error',
  48001: 'api unauthorized',
  48006: 'forbid to clear quota because of reaching the limit',
  50004: 'access_token use forbidden',
  50007: 'account frozen',
  61004: 'access clientip is not registered',
  ...API_ERRMSG,
};

/** An answer to send. */
export interface JsonReply {
  readonly kind: 'json';
  readonly status: number;
  /** Serialized JSON (built by hand where a 64-bit number must stay exact). */
  readonly body: string;
}

/** A binary answer (media downloads, QR code images). */
export interface BinaryReply {
  readonly kind: 'bytes';
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
  /** Extra headers, e.g. Content-Disposition. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Anything a route answers. */
export type Reply = JsonReply | BinaryReply;

/** A binary answer of `body` with HTTP 200. */
export function bytes(body: Buffer, contentType: string, headers?: Record<string, string>): BinaryReply {
  return { kind: 'bytes', status: 200, contentType, body, ...(headers ? { headers } : {}) };
}

/** A JSON answer of `value` with HTTP 200 (or `status`). */
export function json(value: unknown, status = 200): JsonReply {
  return { kind: 'json', status, body: JSON.stringify(value) };
}

/** A JSON answer whose body text is already serialized. */
export function rawJson(body: string, status = 200): JsonReply {
  return { kind: 'json', status, body };
}

/** WeChat's business error: HTTP 200, `{"errcode":N,"errmsg":"<text> rid: ..."}`. */
export function wechatError(errcode: number, text?: string, status = 200): JsonReply {
  const msg = text ?? ERRMSG[errcode] ?? 'error';
  return json({ errcode, errmsg: `${msg} rid: ${newRid()}` }, status);
}

/** `{"errcode":0,"errmsg":"ok"}`: success of an API that returns no data. */
export function ok(): JsonReply {
  return json({ errcode: 0, errmsg: 'ok' });
}
