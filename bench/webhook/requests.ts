/**
 * What the webhook benchmark sends: a ~290-byte text message as WeChat pushes it, with a unique MsgId
 * per request (so our retry dedupe never short-cuts the work), signed for plain mode or encrypted and
 * signed for safe (aes) mode. Shared by the load generator and the by-hand check.
 */
import { computeSignature } from '../../src/webhook/signature.js';
import { WechatCipher } from '../../src/webhook/crypto.js';

export const BENCH_TOKEN = 'benchToken2024';
export const BENCH_APP_ID = 'wx1234567890abcdef';
export const BENCH_AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
export const BENCH_ACCOUNT = 'gh_97417a04a28d';
export const BENCH_OPENID = 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY';
export const BENCH_CONTENT = 'hello from the webhook benchmark';

/** The XML body every server's fixed reply imitates (~300 bytes). */
export const FIXED_REPLY =
  `<xml><ToUserName><![CDATA[${BENCH_OPENID}]]></ToUserName><FromUserName><![CDATA[${BENCH_ACCOUNT}]]></FromUserName>` +
  `<CreateTime>1714112445</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${BENCH_CONTENT}]]></Content></xml>`;

/** The inbound text message with the given MsgId. */
export function messageXml(msgId: string, createTime = Math.floor(Date.now() / 1000)): string {
  return (
    `<xml><ToUserName><![CDATA[${BENCH_ACCOUNT}]]></ToUserName><FromUserName><![CDATA[${BENCH_OPENID}]]></FromUserName>` +
    `<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${BENCH_CONTENT}]]></Content>` +
    `<MsgId>${msgId}</MsgId></xml>`
  );
}

/** How requests are secured. */
export type BenchMode = 'plain' | 'aes';

/** Builds request after request with fresh MsgIds; one signed query per builder (timestamp fixed at creation). */
export class RequestFactory {
  readonly #mode: BenchMode;
  readonly #timestamp: string;
  readonly #nonce: string;
  readonly #plainPath: string;
  readonly #cipher = new WechatCipher(BENCH_AES_KEY, BENCH_APP_ID);
  readonly #idPrefix: string;
  #seq = 0;

  constructor(path: string, mode: BenchMode, seed = Date.now() % 1_000_000) {
    this.#mode = mode;
    this.#timestamp = String(Math.floor(Date.now() / 1000));
    this.#nonce = String(100000 + (seed % 900000));
    const signature = computeSignature(BENCH_TOKEN, this.#timestamp, this.#nonce);
    this.#plainPath = `${path}?signature=${signature}&timestamp=${this.#timestamp}&nonce=${this.#nonce}&openid=${BENCH_OPENID}`;
    // 64-bit-looking ids (19 digits), distinct per process and request
    this.#idPrefix = `24${String(seed % 1_000_000).padStart(6, '0')}`;
  }

  /** The next request's path and body. */
  next(): { path: string; body: string } {
    this.#seq += 1;
    const xml = messageXml(this.#idPrefix + String(this.#seq).padStart(11, '0'), Number(this.#timestamp));
    if (this.#mode === 'plain') return { path: this.#plainPath, body: xml };
    const encrypt = this.#cipher.encrypt(xml);
    const msgSignature = computeSignature(BENCH_TOKEN, this.#timestamp, this.#nonce, encrypt);
    return {
      path: `${this.#plainPath}&encrypt_type=aes&msg_signature=${msgSignature}`,
      body: `<xml><ToUserName><![CDATA[${BENCH_ACCOUNT}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`,
    };
  }

  /** Decrypt an encrypted reply (for the by-hand check). */
  openReply(xml: string): string {
    const m = /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(xml);
    if (!m) throw new Error('reply is not encrypted');
    return this.#cipher.decrypt(m[1] as string).message;
  }
}
