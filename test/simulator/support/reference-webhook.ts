/**
 * A small reference webhook for the simulator tests, written with node:http and the project's
 * signature and crypto modules (not the real webhook middleware, which is tested separately).
 * It checks what WeChat's pushes must satisfy, records every delivery, and answers what the test's
 * `respond` function says.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WechatCipher } from '../../../src/webhook/crypto.js';
import { computeSignature, verifySignature } from '../../../src/webhook/signature.js';

export interface ReferenceConfig {
  token: string;
  appId: string;
  encodingAESKey?: string;
}

/** One delivery as received. */
export interface Received {
  query: URLSearchParams;
  contentType: string;
  /** The raw body. */
  body: string;
  /** Fields of the body's root, as text (CDATA unwrapped). */
  outer: Record<string, string>;
  /** Fields of the plain message (decrypted when the body is encrypted). */
  fields: Record<string, string>;
  /** The plain message XML. */
  plainXml: string;
  /** Problems the reference found (bad signature, ...). Tests assert this is empty. */
  problems: string[];
}

/** What to answer one delivery. */
export interface Answer {
  status?: number;
  body?: string;
  /** Wait this long before answering (bounded by the server's close). */
  delayMs?: number;
}

export interface ReferenceWebhook {
  url: string;
  received: Received[];
  respond: (msg: Received, index: number) => Answer;
  close(): Promise<void>;
}

/** Top-level fields of flat WeChat XML. Nested elements are kept as their inner XML. */
export function xmlFields(xml: string): Record<string, string> {
  const inner = /^\s*<xml>([\s\S]*)<\/xml>\s*$/.exec(xml)?.[1] ?? '';
  const out: Record<string, string> = {};
  const re = /<(\w+)>([\s\S]*?)<\/\1>/g;
  for (let m = re.exec(inner); m; m = re.exec(inner)) {
    const raw = m[2] as string;
    const cd = /^<!\[CDATA\[([\s\S]*)\]\]>$/.exec(raw);
    out[m[1] as string] = cd ? (cd[1] as string).replace(/\]\]\]\]><!\[CDATA\[>/g, ']]>') : raw;
  }
  return out;
}

export async function startReferenceWebhook(config: ReferenceConfig): Promise<ReferenceWebhook> {
  const cipher = config.encodingAESKey ? new WechatCipher(config.encodingAESKey, config.appId) : undefined;
  const timers = new Set<NodeJS.Timeout>();
  const hook: ReferenceWebhook = {
    url: '',
    received: [],
    respond: () => ({ body: 'success' }),
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const q = url.searchParams;
      const body = Buffer.concat(chunks).toString('utf8');
      const problems: string[] = [];
      const ts = q.get('timestamp') ?? '';
      const nonce = q.get('nonce') ?? '';
      if (!verifySignature(q.get('signature') ?? undefined, config.token, ts, nonce)) problems.push('bad signature');
      if (!q.get('openid')) problems.push('no openid');
      const outer = xmlFields(body);
      let plainXml = body;
      if (q.get('encrypt_type') === 'aes') {
        const enc = outer.Encrypt ?? '';
        if (q.get('msg_signature') !== computeSignature(config.token, ts, nonce, enc)) problems.push('bad msg_signature');
        try {
          plainXml = cipher ? cipher.decrypt(enc).message : '';
        } catch (e) {
          problems.push(`decrypt: ${(e as Error).message}`);
        }
      } else if (q.has('msg_signature')) problems.push('msg_signature without encrypt_type');
      const msg: Received = {
        query: q,
        contentType: req.headers['content-type'] ?? '',
        body,
        outer,
        fields: xmlFields(plainXml),
        plainXml,
        problems,
      };
      const index = hook.received.push(msg) - 1;
      const answer = hook.respond(msg, index);
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status ?? 200, { 'content-type': 'text/xml' });
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, answer.delayMs);
        timers.add(t);
      } else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wechat`;
  hook.close = () =>
    new Promise<void>((resolve) => {
      for (const t of timers) clearTimeout(t);
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return hook;
}

/** Reply options for {@link replyXml}. */
export interface ReplyShape {
  /** Defaults: To = the push's FromUserName, From = its ToUserName. */
  to?: string;
  from?: string;
  /** Default: now in seconds. */
  createTime?: number;
  /** Inner XML after MsgType. */
  msgType?: string;
  payload?: string;
}

/** A passive reply to `msg` (To/From swapped unless overridden). */
export function replyXml(msg: Received, shape: ReplyShape = {}): string {
  const to = shape.to ?? msg.fields.FromUserName;
  const from = shape.from ?? msg.fields.ToUserName;
  const ct = shape.createTime ?? Math.floor(Date.now() / 1000);
  const type = shape.msgType ?? 'text';
  const payload = shape.payload ?? '<Content><![CDATA[echo]]></Content>';
  return `<xml><ToUserName><![CDATA[${to}]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName><CreateTime>${ct}</CreateTime><MsgType><![CDATA[${type}]]></MsgType>${payload}</xml>`;
}

/** The encrypted envelope of `plain`, signed with `token` (or a wrong signature when `badSignature`). */
export function encryptedReply(plain: string, cipher: WechatCipher, token: string, opts: { badSignature?: boolean; timestamp?: string } = {}): string {
  const enc = cipher.encrypt(plain);
  const ts = opts.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = '1320562132';
  let sig = computeSignature(token, ts, nonce, enc);
  if (opts.badSignature) sig = sig.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  return `<xml><Encrypt><![CDATA[${enc}]]></Encrypt><MsgSignature><![CDATA[${sig}]]></MsgSignature><TimeStamp>${ts}</TimeStamp><Nonce><![CDATA[${nonce}]]></Nonce></xml>`;
}
