/**
 * Webhook test fixtures: credentials, signed query strings, encrypted envelopes, XML bodies written as
 * WeChat sends them (indented, strings in CDATA, numbers bare), and a Koa app around the middleware.
 */
import Koa from 'koa';
import Router from 'koa-router';
import { computeSignature } from '../../../src/webhook/signature.js';
import { WechatCipher } from '../../../src/webhook/crypto.js';
import { webhook } from '../../../src/webhook/middleware.js';
import type { WebhookOptions } from '../../../src/webhook/options.js';
import { HandlerRegistry, type HandlerMap } from '../../../src/webhook/registry.js';
import type { Logger } from '../../../src/log/logger.js';

export const TOKEN = 'testToken123';
export const APP_ID = 'wx1234567890abcdef';
export const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
export const PREVIOUS_AES_KEY = 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut';
export const ACCOUNT = 'gh_0123456789ab';
export const OPENID = 'oAbCdEfGhIjKlMnOpQrStUvWxYz0';
/** A 64-bit MsgId above 2^53: must survive as an exact string. */
export const BIG_MSG_ID = '23637352235060881';
export const PATH = '/wechat';

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Query string of a plain request: signature over [Token, timestamp, nonce]. */
export function signedQuery(opts: { timestamp?: number | string; nonce?: string; token?: string; extra?: Record<string, string> } = {}): string {
  const timestamp = String(opts.timestamp ?? nowSeconds());
  const nonce = opts.nonce ?? String(Math.floor(Math.random() * 1e9));
  const signature = computeSignature(opts.token ?? TOKEN, timestamp, nonce);
  const params = new URLSearchParams({ signature, timestamp, nonce, openid: OPENID, ...opts.extra });
  return params.toString();
}

/** Query string and body of an encrypted request, as WeChat sends it in safe/compatible mode. */
export function encryptedRequest(
  message: string,
  opts: { key?: string; appId?: string; timestamp?: number; nonce?: string; plainFields?: boolean; encrypt?: string } = {},
): { query: string; body: string; encrypt: string } {
  const timestamp = String(opts.timestamp ?? nowSeconds());
  const nonce = opts.nonce ?? String(Math.floor(Math.random() * 1e9));
  const encrypt = opts.encrypt ?? new WechatCipher(opts.key ?? AES_KEY, opts.appId ?? APP_ID).encrypt(message);
  const msgSignature = computeSignature(TOKEN, timestamp, nonce, encrypt);
  const query = new URLSearchParams({
    signature: computeSignature(TOKEN, timestamp, nonce),
    timestamp,
    nonce,
    openid: OPENID,
    encrypt_type: 'aes',
    msg_signature: msgSignature,
  }).toString();
  // Compatible mode carries the plain fields too; safe mode only ToUserName and Encrypt.
  const inner = opts.plainFields ? message.replace(/^<xml>|<\/xml>\s*$/g, '') : `\n  <ToUserName><![CDATA[${ACCOUNT}]]></ToUserName>\n`;
  return { query, body: `<xml>${inner}  <Encrypt><![CDATA[${encrypt}]]></Encrypt>\n</xml>`, encrypt };
}

/** A message document with the common fields and `fields` (raw XML lines). */
export function xmlMessage(msgType: string, fields: string, opts: { createTime?: number; from?: string } = {}): string {
  return `<xml>
  <ToUserName><![CDATA[${ACCOUNT}]]></ToUserName>
  <FromUserName><![CDATA[${opts.from ?? OPENID}]]></FromUserName>
  <CreateTime>${opts.createTime ?? 1714112445}</CreateTime>
  <MsgType><![CDATA[${msgType}]]></MsgType>
${fields}
</xml>`;
}

export const textXml = (content: string, msgId = BIG_MSG_ID): string =>
  xmlMessage('text', `  <Content><![CDATA[${content.replaceAll(']]>', ']]]]><![CDATA[>')}]]></Content>\n  <MsgId>${msgId}</MsgId>`);

export const eventXml = (event: string, fields = ''): string => xmlMessage('event', `  <Event><![CDATA[${event}]]></Event>\n${fields}`);

/** A Koa app mounting the webhook at {@link PATH} with koa-router, as the service does. */
export function makeApp(options: Partial<WebhookOptions>, handlers: HandlerMap): Koa;
export function makeApp(options: Partial<WebhookOptions>, handlers: HandlerRegistry): Koa;
export function makeApp(options: Partial<WebhookOptions>, handlers: HandlerMap | HandlerRegistry): Koa {
  const app = new Koa();
  app.silent = true;
  const router = new Router();
  const opts = { token: TOKEN, appId: APP_ID, ...options };
  router.all(PATH, handlers instanceof HandlerRegistry ? webhook(opts, handlers) : webhook(opts, handlers));
  app.use(router.routes());
  return app;
}

/** A Logger that keeps every line, to assert on logs (and on the absence of secrets in them). */
export function memoryLogger(): Logger & { lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }>; text(): string } {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    lines.push({ level, obj: obj as Record<string, unknown>, msg });
  };
  return {
    lines,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    text: () => JSON.stringify(lines, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message } : v)),
  };
}

/** The `<Encrypt>` of an encrypted reply. */
export function replyEncrypt(xml: string): { encrypt: string; msgSignature: string; timeStamp: string; nonce: string } {
  const get = (name: string): string => {
    const m = new RegExp(`<${name}>(?:<!\\[CDATA\\[)?([^<\\]]*)(?:\\]\\]>)?</${name}>`).exec(xml);
    if (!m) throw new Error(`reply has no ${name}: ${xml}`);
    return m[1] as string;
  };
  return { encrypt: get('Encrypt'), msgSignature: get('MsgSignature'), timeStamp: get('TimeStamp'), nonce: get('Nonce') };
}
