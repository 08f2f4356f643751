/**
 * The encryption envelope of compatible and safe mode (docs/protocol.md section 5): opening a POST
 * body (`<Encrypt>` checked against `msg_signature`, decrypted with the current or the previous key)
 * and sealing a reply with the key that opened the request.
 */
import { randomInt } from 'node:crypto';
import type { WechatCipher } from './crypto.js';
import type { MessageMode } from './options.js';
import { renderEncryptedReply } from './replies.js';
import { WebhookRequestError } from './request-error.js';
import { computeSignature } from './signature.js';
import { openEncrypted, verifyMsgSignature, type VerifiedQuery } from './verify.js';
import { parseXml } from './xml.js';
import type { XmlRecord } from './messages.js';

/** A POST body with its envelope removed. */
export interface OpenedEnvelope {
  /** The message's fields (the inner XML's when the body was encrypted). */
  readonly fields: XmlRecord;
  /** The key that opened it; undefined for a plaintext body. Replies are sealed with it. */
  readonly cipher: WechatCipher | undefined;
}

/** What opening and sealing need from the webhook options. */
export interface EnvelopeKeys {
  readonly mode: MessageMode;
  readonly token: string;
  readonly ciphers: readonly WechatCipher[];
}

/**
 * Open the envelope of a parsed POST body, if it has one.
 * @throws {WebhookRequestError} for a missing or bad signature, an undecryptable body, or a plaintext
 * body in safe mode.
 */
export function openEnvelope(fields: XmlRecord, q: VerifiedQuery, keys: EnvelopeKeys): OpenedEnvelope {
  if (keys.mode !== 'plain' && (fields.Encrypt !== undefined || q.encrypt_type === 'aes')) {
    const encrypt = fields.Encrypt;
    if (typeof encrypt !== 'string' || encrypt.length === 0) throw new WebhookRequestError('WMP_ERR_XML', 'missing Encrypt');
    verifyMsgSignature(q, keys.token, q.timestamp, q.nonce, encrypt);
    const opened = openEncrypted(encrypt, keys.ciphers);
    return { fields: parseXml(opened.message), cipher: opened.cipher };
  }
  if (keys.mode === 'safe') throw new WebhookRequestError('WMP_ERR_WEBHOOK_REQUEST', 'safe mode requires an encrypted message');
  return { fields, cipher: undefined };
}

/** Seal reply XML with `cipher` and sign it; `nowMs` gives the envelope's timestamp. */
export function sealEnvelope(body: string, cipher: WechatCipher, token: string, nowMs: number): string {
  const encrypt = cipher.encrypt(body);
  const timestamp = Math.floor(nowMs / 1000);
  // The nonce only has to differ between replies; the signature is what authenticates the reply.
  const nonce = String(randomInt(1, 2 ** 32));
  return renderEncryptedReply(encrypt, computeSignature(token, String(timestamp), nonce, encrypt), timestamp, nonce);
}
