/**
 * Request verification: `signature` over [Token, timestamp, nonce] on every request, the timestamp
 * window against replays, and for encrypted bodies `msg_signature` over [Token, timestamp, nonce,
 * Encrypt] followed by decryption with the current key, then the previous one (key rotation).
 * All comparisons are constant-time (signature.ts).
 */
import { WechatMpError } from '../errors.js';
import type { WechatCipher } from './crypto.js';
import { verifySignature } from './signature.js';
import { WebhookRequestError } from './request-error.js';

/** Query values as Koa parses them. */
export type Query = Readonly<Record<string, string | string[] | undefined>>;

const TIMESTAMP_RE = /^\d{1,12}$/;

function one(q: Query, name: string): string | undefined {
  const v = q[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * Check `signature` and the timestamp window. Returns the timestamp and nonce.
 * @throws {WebhookRequestError} 401 for a missing or wrong signature, a missing or stale timestamp.
 */
export function verifyQuery(q: Query, token: string, nowMs: number, windowSeconds: number): { timestamp: string; nonce: string } {
  const signature = one(q, 'signature');
  const timestamp = one(q, 'timestamp');
  const nonce = one(q, 'nonce');
  if (signature === undefined) throw new WebhookRequestError(401, 'WMP_ERR_SIGNATURE', 'missing signature');
  if (timestamp === undefined || nonce === undefined) throw new WebhookRequestError(401, 'WMP_ERR_SIGNATURE', 'missing timestamp or nonce');
  if (!verifySignature(signature, token, timestamp, nonce)) throw new WebhookRequestError(401, 'WMP_ERR_SIGNATURE', 'invalid signature');
  if (windowSeconds > 0) {
    if (!TIMESTAMP_RE.test(timestamp) || Math.abs(nowMs / 1000 - Number(timestamp)) > windowSeconds) {
      throw new WebhookRequestError(401, 'WMP_ERR_TIMESTAMP', 'timestamp outside the allowed window');
    }
  }
  return { timestamp, nonce };
}

/**
 * Check `msg_signature` over the Encrypt value exactly as received.
 * @throws {WebhookRequestError} 401 when missing or wrong.
 */
export function verifyMsgSignature(q: Query, token: string, timestamp: string, nonce: string, encrypt: string): void {
  const msgSignature = one(q, 'msg_signature');
  if (msgSignature === undefined) throw new WebhookRequestError(401, 'WMP_ERR_SIGNATURE', 'missing msg_signature');
  if (!verifySignature(msgSignature, token, timestamp, nonce, encrypt)) throw new WebhookRequestError(401, 'WMP_ERR_SIGNATURE', 'invalid msg_signature');
}

const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;
const WHITESPACE_RE = /\s/;

/** The decrypted message and the cipher (key) that opened it; replies use the same key. */
export interface Opened {
  readonly message: string;
  readonly cipher: WechatCipher;
}

/**
 * Decrypt with the current key, then the previous one.
 * @throws {WebhookRequestError} 400 for an Encrypt that is not base64 of whole blocks (no key could
 * open it); 401 when no key opens it (bad padding, wrong AppID).
 */
export function openEncrypted(encrypt: string, ciphers: readonly WechatCipher[]): Opened {
  const text = WHITESPACE_RE.test(encrypt) ? encrypt.replace(/\s+/g, '') : encrypt;
  // Standard base64 of a multiple of 32 bytes is a multiple of 4 characters; 32 bytes -> 44 characters.
  if (!BASE64_RE.test(text) || text.length % 4 !== 0 || (Buffer.byteLength(text, 'base64') & 31) !== 0 || text.length < 44) {
    throw new WebhookRequestError(400, 'WMP_ERR_DECRYPT', 'malformed Encrypt');
  }
  let first: unknown;
  for (const cipher of ciphers) {
    try {
      return { message: cipher.decrypt(text).message, cipher };
    } catch (err) {
      if (!(err instanceof WechatMpError)) throw err;
      first ??= err;
    }
  }
  const appId = first instanceof WechatMpError && first.code === 'WMP_ERR_APPID_MISMATCH';
  throw new WebhookRequestError(401, appId ? 'WMP_ERR_APPID_MISMATCH' : 'WMP_ERR_DECRYPT', appId ? 'AppID mismatch' : 'decryption failed', { cause: first });
}
