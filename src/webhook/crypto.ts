/**
 * Safe-mode message crypto (../shared/wechat-protocol.md section 5).
 *
 * AESKey = base64(EncodingAESKey + '='), AES-256-CBC with IV = AESKey[0:16], PKCS#7 padding to a
 * multiple of 32 bytes. Plaintext = random(16) || uint32be(len(msg)) || msg || appid.
 * Decryption validates the padding strictly and checks the trailing AppID, which most peers skip.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { WechatMpError } from '../errors.js';

/** Padding block size WeChat uses (32, not AES's 16). */
export const PKCS7_BLOCK_SIZE = 32;
const AES_KEY_RE = /^[a-zA-Z0-9]{43}$/;
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/** Result of {@link WechatCipher.decrypt}. */
export interface DecryptedMessage {
  /** The message (XML or JSON text). */
  readonly message: string;
  /** The AppID found after the message. */
  readonly appId: string;
  /** The 16 random bytes the sender put first. */
  readonly random: Buffer;
}

/** Validates an EncodingAESKey and returns the 32-byte AES key. Never puts the key in the error. */
export function decodeAESKey(encodingAESKey: string, name = 'encodingAESKey'): Buffer {
  if (typeof encodingAESKey !== 'string' || !AES_KEY_RE.test(encodingAESKey)) {
    throw new WechatMpError('WMP_ERR_AES_KEY', `${name} must be 43 characters of [a-zA-Z0-9]`);
  }
  const key = Buffer.from(`${encodingAESKey}=`, 'base64');
  if (key.length !== 32) throw new WechatMpError('WMP_ERR_AES_KEY', `${name} does not decode to 32 bytes`);
  return key;
}

/** Encrypts and decrypts messages for one AppID with one EncodingAESKey. */
export class WechatCipher {
  readonly #key: Buffer;
  readonly #iv: Buffer;
  /** The AppID this cipher writes and expects. */
  readonly appId: string;

  constructor(encodingAESKey: string, appId: string) {
    this.#key = decodeAESKey(encodingAESKey);
    this.#iv = this.#key.subarray(0, 16);
    this.appId = appId;
  }

  /** Encrypt `message`; returns standard base64. `random` (16 bytes) is for test vectors. */
  encrypt(message: string, random: Buffer = randomBytes(16)): string {
    const msg = Buffer.from(message, 'utf8');
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(msg.length, 0);
    const body = Buffer.concat([random, len, msg, Buffer.from(this.appId, 'utf8')]);
    const pad = PKCS7_BLOCK_SIZE - (body.length % PKCS7_BLOCK_SIZE);
    const cipher = createCipheriv('aes-256-cbc', this.#key, this.#iv);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(Buffer.concat([body, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
  }

  /**
   * Decrypt base64 `encrypted` and check padding and AppID.
   * @throws {WechatMpError} `WMP_ERR_DECRYPT` for bad base64/length/padding, `WMP_ERR_APPID_MISMATCH`.
   */
  decrypt(encrypted: string): DecryptedMessage {
    // WeChat's base64 may carry non-zero trailing bits; Node decodes those leniently. Whitespace
    // (line breaks added by proxies, WxJava #1634) is removed before the format check.
    const text = encrypted.replace(/\s+/g, '');
    if (!BASE64_RE.test(text)) throw new WechatMpError('WMP_ERR_DECRYPT', 'Encrypt is not base64');
    const data = Buffer.from(text, 'base64');
    if (data.length === 0 || data.length % PKCS7_BLOCK_SIZE !== 0) {
      throw new WechatMpError('WMP_ERR_DECRYPT', 'ciphertext length is not a multiple of 32 bytes');
    }
    const decipher = createDecipheriv('aes-256-cbc', this.#key, this.#iv);
    decipher.setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(data), decipher.final()]);
    const pad = plain[plain.length - 1] as number;
    if (pad < 1 || pad > PKCS7_BLOCK_SIZE || pad > plain.length) throw new WechatMpError('WMP_ERR_DECRYPT', 'invalid PKCS#7 padding');
    for (let i = plain.length - pad; i < plain.length; i++) {
      if (plain[i] !== pad) throw new WechatMpError('WMP_ERR_DECRYPT', 'invalid PKCS#7 padding');
    }
    const content = plain.subarray(0, plain.length - pad);
    if (content.length < 20) throw new WechatMpError('WMP_ERR_DECRYPT', 'decrypted content is too short');
    const msgLen = content.readUInt32BE(16);
    if (20 + msgLen > content.length) throw new WechatMpError('WMP_ERR_DECRYPT', 'message length exceeds decrypted content');
    const message = content.subarray(20, 20 + msgLen).toString('utf8');
    const appId = content.subarray(20 + msgLen).toString('utf8');
    if (appId !== this.appId) throw new WechatMpError('WMP_ERR_APPID_MISMATCH', 'decrypted message is for a different AppID');
    return { message, appId, random: Buffer.from(content.subarray(0, 16)) };
  }
}
