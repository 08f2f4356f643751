/**
 * Request verification: `signature` over [Token, timestamp, nonce] on every request, the timestamp
 * window against replays, and for encrypted bodies `msg_signature` over [Token, timestamp, nonce,
 * Encrypt] followed by decryption with the current key, then the previous one (key rotation).
 * All comparisons are constant-time (signature.ts).
 */
import { WechatMpError } from '../errors.js';
import { decodeCiphertext, type WechatCipher } from './crypto.js';
import { verifySignature } from './signature.js';
import { WebhookRequestError } from './request-error.js';

import type { WebhookQuery } from './query.js';

const TIMESTAMP_RE = /^\d{1,12}$/;

/** A query whose signature checked out. */
export type VerifiedQuery = WebhookQuery & { signature: string; timestamp: string; nonce: string };

/**
 * Check `signature` and the timestamp window.
 * @throws {WebhookRequestError} 401 for a missing or wrong signature, a missing or stale timestamp.
 */
export function verifyQuery(q: WebhookQuery, token: string, nowMs: number, windowSeconds: number): asserts q is VerifiedQuery {
  const { signature, timestamp, nonce } = q;
  if (signature === undefined) throw new WebhookRequestError('WMP_ERR_SIGNATURE', 'missing signature');
  if (timestamp === undefined || nonce === undefined) throw new WebhookRequestError('WMP_ERR_SIGNATURE', 'missing timestamp or nonce');
  if (!verifySignature(signature, token, timestamp, nonce)) throw new WebhookRequestError('WMP_ERR_SIGNATURE', 'invalid signature');
  if (windowSeconds > 0) {
    if (!TIMESTAMP_RE.test(timestamp) || Math.abs(nowMs / 1000 - Number(timestamp)) > windowSeconds) {
      throw new WebhookRequestError('WMP_ERR_TIMESTAMP', 'timestamp outside the allowed window');
    }
  }
}

/**
 * Check `msg_signature` over the Encrypt value exactly as received.
 * @throws {WebhookRequestError} 401 when missing or wrong.
 */
export function verifyMsgSignature(q: WebhookQuery, token: string, timestamp: string, nonce: string, encrypt: string): void {
  const msgSignature = q.msg_signature;
  if (msgSignature === undefined) throw new WebhookRequestError('WMP_ERR_SIGNATURE', 'missing msg_signature');
  if (!verifySignature(msgSignature, token, timestamp, nonce, encrypt)) throw new WebhookRequestError('WMP_ERR_SIGNATURE', 'invalid msg_signature');
}

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
  let data: Buffer;
  try {
    data = decodeCiphertext(encrypt);
  } catch (err) {
    throw new WebhookRequestError('WMP_ERR_DECRYPT', 'malformed Encrypt', { cause: err });
  }
  let first: unknown;
  for (const cipher of ciphers) {
    try {
      return { message: cipher.decryptData(data).message, cipher };
    } catch (err) {
      if (!(err instanceof WechatMpError)) throw err;
      first ??= err;
    }
  }
  const appId = first instanceof WechatMpError && first.code === 'WMP_ERR_APPID_MISMATCH';
  throw new WebhookRequestError(appId ? 'WMP_ERR_APPID_MISMATCH' : 'WMP_ERR_DECRYPT', appId ? 'AppID mismatch' : 'decryption failed', { cause: first });
}
