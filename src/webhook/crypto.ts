/**
 * Safe-mode message crypto (docs/protocol.md section 5).
 *
 * AESKey = base64(EncodingAESKey + '='), AES-256-CBC with IV = AESKey[0:16], PKCS#7 padding to a
 * multiple of 32 bytes. Plaintext = random(16) || uint32be(len(msg)) || msg || appid.
 * Decryption validates the padding strictly and checks the trailing AppID, which most peers skip.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { WechatMpError } from '../errors.js';

/** Padding block size WeChat uses (32, not AES's 16). */
export const PKCS7_BLOCK_SIZE = 32;
const AES_KEY_RE = /^[a-zA-Z0-9]{43}$/;
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;
const WHITESPACE_RE = /\s/;

// randomBytes(16) per reply is a round trip into OpenSSL and a fresh Buffer each time; drawing the
// 16 bytes from a pool refilled 4 KiB at a time gives the same CSPRNG bytes for a fraction of the cost.
const RANDOM_POOL = Buffer.alloc(4096);
let randomOffset = RANDOM_POOL.length;
function random16(): Buffer {
  if (randomOffset + 16 > RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    randomOffset = 0;
  }
  randomOffset += 16;
  return RANDOM_POOL.subarray(randomOffset - 16, randomOffset);
}

/**
 * Decode a base64 ciphertext, checking its form once for every key that may try it: whitespace
 * (line breaks added by proxies, WxJava #1634) removed, standard base64, whole 32-byte blocks.
 * WeChat's base64 may carry non-zero trailing bits; Node decodes those leniently.
 * @throws {WechatMpError} `WMP_ERR_DECRYPT` when it is not base64 of whole blocks.
 */
export function decodeCiphertext(encrypted: string): Buffer {
  const text = WHITESPACE_RE.test(encrypted) ? encrypted.replace(/\s+/g, '') : encrypted;
  if (!BASE64_RE.test(text)) throw new WechatMpError('WMP_ERR_DECRYPT', 'Encrypt is not base64');
  const data = Buffer.from(text, 'base64');
  if (data.length === 0 || data.length % PKCS7_BLOCK_SIZE !== 0) {
    throw new WechatMpError('WMP_ERR_DECRYPT', 'ciphertext length is not a multiple of 32 bytes');
  }
  return data;
}

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
  encrypt(message: string, random: Buffer = random16()): string {
    // One buffer laid out as random(16) || uint32be(len) || msg || appid || padding.
    const msgLength = Buffer.byteLength(message, 'utf8');
    const appIdLength = Buffer.byteLength(this.appId, 'utf8');
    const length = 20 + msgLength + appIdLength;
    const pad = PKCS7_BLOCK_SIZE - (length % PKCS7_BLOCK_SIZE);
    const plain = Buffer.allocUnsafe(length + pad);
    random.copy(plain, 0, 0, 16);
    plain.writeUInt32BE(msgLength, 16);
    plain.write(message, 20, 'utf8');
    plain.write(this.appId, 20 + msgLength, 'utf8');
    plain.fill(pad, length);
    const cipher = createCipheriv('aes-256-cbc', this.#key, this.#iv);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
  }

  /**
   * Decrypt base64 `encrypted` and check padding and AppID.
   * @throws {WechatMpError} `WMP_ERR_DECRYPT` for bad base64/length/padding, `WMP_ERR_APPID_MISMATCH`.
   */
  decrypt(encrypted: string): DecryptedMessage {
    return this.decryptData(decodeCiphertext(encrypted));
  }

  /**
   * Decrypt a ciphertext already decoded by {@link decodeCiphertext} (lets several keys try one
   * decoding) and check padding and AppID.
   * @throws {WechatMpError} `WMP_ERR_DECRYPT` for bad length/padding, `WMP_ERR_APPID_MISMATCH`.
   */
  decryptData(data: Buffer): DecryptedMessage {
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
