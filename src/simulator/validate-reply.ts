/**
 * Validation of a passive reply the way WeChat reads it (docs/protocol.md sections 4
 * and 5): root `<xml>`; ToUserName = the user's OpenID and FromUserName = the account id (swapped
 * from the push); CreateTime in seconds near now; a known MsgType with its required fields. An
 * encrypted reply (`<Encrypt>`) must carry a MsgSignature valid over [Token, TimeStamp, Nonce,
 * Encrypt] and decrypt, with our AppID, to a valid plain reply. Safe mode accepts encrypted replies only.
 * Every failure throws `WMP_ERR_SIMULATOR` with the precise reason.
 */
import { WechatMpError } from '../errors.js';
import { WechatCipher } from '../webhook/crypto.js';
import { computeSignature } from '../webhook/signature.js';
import { safeEqual } from '../util/safe-equal.js';
import type { MessageMode } from '../webhook/options.js';
import { childElement, children, childText, parseXmlDocument } from './xml-tree.js';

/** What a reply is checked against. */
export interface ReplyContext {
  /** The user's OpenID (the push's FromUserName); the reply's ToUserName must equal it. */
  openId: string;
  /** The account id (the push's ToUserName); the reply's FromUserName must equal it. */
  accountId: string;
  /** The webhook Token, for MsgSignature. */
  token: string;
  /** Our AppID, checked after decryption. */
  appId: string;
  /** Needed to read an encrypted reply. */
  encodingAESKey?: string;
  mode: MessageMode;
  /** Now, in seconds since the epoch. */
  nowSeconds: number;
  /** How far CreateTime may be from now. @default 300 */
  maxSkewSeconds?: number;
}

/** Default of {@link ReplyContext.maxSkewSeconds}. */
export const DEFAULT_MAX_SKEW_SECONDS = 300;
/** MsgTypes of passive replies. */
export const REPLY_MSG_TYPES = ['text', 'image', 'voice', 'video', 'music', 'news', 'transfer_customer_service'] as const;
/** Most articles a news reply may carry. */
export const MAX_NEWS_ARTICLES = 8;

/** One article of a news reply. */
export interface NewsArticle {
  title?: string;
  description?: string;
  picUrl?: string;
  url?: string;
}

/** Fields of every reply. */
export interface ReplyBase {
  toUserName: string;
  fromUserName: string;
  /** Seconds. */
  createTime: number;
  /** The reply came as `<Encrypt>` and was verified and decrypted. */
  encrypted: boolean;
}

/** A validated passive reply. */
export type ParsedReply = ReplyBase &
  (
    | { msgType: 'text'; content: string }
    | { msgType: 'image'; mediaId: string }
    | { msgType: 'voice'; mediaId: string }
    | { msgType: 'video'; mediaId: string; title?: string; description?: string }
    | { msgType: 'music'; title?: string; description?: string; musicUrl?: string; hqMusicUrl?: string; thumbMediaId: string }
    | { msgType: 'news'; articles: NewsArticle[] }
    | { msgType: 'transfer_customer_service'; kfAccount?: string }
  );

const invalid = (reason: string): never => {
  throw new WechatMpError('WMP_ERR_SIMULATOR', `invalid reply: ${reason}`);
};

function text(node: Record<string, unknown>, name: string, where: string, required: true): string;
function text(node: Record<string, unknown>, name: string, where: string, required: false): string | undefined;
function text(node: Record<string, unknown>, name: string, where: string, required: boolean): string | undefined {
  const v = childText(node, name);
  if (typeof v === 'object') return invalid(`${where}${v.error}`);
  if (v === undefined && required) return invalid(`${where}<${name}> is missing`);
  if (required && (v as string).trim() === '') return invalid(`${where}<${name}> is empty`);
  return v;
}

function element(node: Record<string, unknown>, name: string, where: string): Record<string, unknown> {
  const v = childElement(node, name);
  if (v === undefined) return invalid(`${where}<${name}> is missing`);
  if ('error' in v) return invalid(`${where}${v.error}`);
  return v.element;
}

function optional<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function parseRoot(body: string, where: string): Record<string, unknown> {
  const doc = parseXmlDocument(body);
  if ('error' in doc) return invalid(`${where}${doc.error}`);
  if (doc.rootName !== 'xml') return invalid(`${where}root element is <${doc.rootName}>, expected <xml>`);
  return doc.root;
}

function validatePlain(root: Record<string, unknown>, ctx: ReplyContext, encrypted: boolean): ParsedReply {
  const where = encrypted ? 'decrypted reply: ' : '';
  const toUserName = text(root, 'ToUserName', where, true);
  if (toUserName !== ctx.openId) {
    invalid(`${where}ToUserName is "${toUserName}", expected the user's OpenID "${ctx.openId}" (To and From swapped from the push?)`);
  }
  const fromUserName = text(root, 'FromUserName', where, true);
  if (fromUserName !== ctx.accountId) invalid(`${where}FromUserName is "${fromUserName}", expected the account id "${ctx.accountId}"`);
  const ct = text(root, 'CreateTime', where, true).trim();
  if (!/^\d{1,13}$/.test(ct)) invalid(`${where}CreateTime "${ct}" is not a whole number of seconds`);
  const createTime = Number(ct);
  if (createTime > 99_999_999_999) invalid(`${where}CreateTime ${ct} looks like milliseconds; WeChat expects seconds`);
  const skew = ctx.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS;
  if (Math.abs(createTime - ctx.nowSeconds) > skew) {
    invalid(`${where}CreateTime ${ct} is ${Math.abs(createTime - ctx.nowSeconds)} s away from now (more than ${skew} s)`);
  }
  const msgType = text(root, 'MsgType', where, true);
  const base: ReplyBase = { toUserName, fromUserName, createTime, encrypted };
  switch (msgType) {
    case 'text':
      return { ...base, msgType, content: text(root, 'Content', where, true) };
    case 'image':
      return { ...base, msgType, mediaId: text(element(root, 'Image', where), 'MediaId', `${where}<Image>: `, true) };
    case 'voice':
      return { ...base, msgType, mediaId: text(element(root, 'Voice', where), 'MediaId', `${where}<Voice>: `, true) };
    case 'video': {
      const v = element(root, 'Video', where);
      const w = `${where}<Video>: `;
      return optional({ ...base, msgType, mediaId: text(v, 'MediaId', w, true), title: text(v, 'Title', w, false), description: text(v, 'Description', w, false) });
    }
    case 'music': {
      const m = element(root, 'Music', where);
      const w = `${where}<Music>: `;
      return optional({
        ...base,
        msgType,
        title: text(m, 'Title', w, false),
        description: text(m, 'Description', w, false),
        musicUrl: text(m, 'MusicUrl', w, false),
        hqMusicUrl: text(m, 'HQMusicUrl', w, false),
        thumbMediaId: text(m, 'ThumbMediaId', w, true),
      });
    }
    case 'news': {
      const countText = text(root, 'ArticleCount', where, true).trim();
      if (!/^\d+$/.test(countText)) invalid(`${where}ArticleCount "${countText}" is not a number`);
      const items = children(element(root, 'Articles', where), 'item');
      const count = Number(countText);
      if (count !== items.length) invalid(`${where}ArticleCount is ${count} but <Articles> holds ${items.length} <item>`);
      if (count < 1 || count > MAX_NEWS_ARTICLES) invalid(`${where}a news reply needs 1 to ${MAX_NEWS_ARTICLES} articles, got ${count}`);
      const articles = items.map((it, i) => {
        if (typeof it !== 'object' || it === null) return invalid(`${where}<Articles> item ${i + 1} is empty`);
        const item = it as Record<string, unknown>;
        const w = `${where}article ${i + 1}: `;
        const a = optional<NewsArticle>({
          title: text(item, 'Title', w, false),
          description: text(item, 'Description', w, false),
          picUrl: text(item, 'PicUrl', w, false),
          url: text(item, 'Url', w, false),
        });
        if (!a.title && !a.url) invalid(`${w}needs a Title or a Url`);
        return a;
      });
      return { ...base, msgType, articles };
    }
    case 'transfer_customer_service': {
      if (root.TransInfo === undefined) return { ...base, msgType };
      const kfAccount = text(element(root, 'TransInfo', where), 'KfAccount', `${where}<TransInfo>: `, true);
      return { ...base, msgType, kfAccount };
    }
    default:
      return invalid(`${where}unknown MsgType "${msgType}" (expected one of ${REPLY_MSG_TYPES.join(', ')})`);
  }
}

/**
 * Validate a passive reply body. `success` and an empty body mean "no reply" and are not passed here.
 * @throws {WechatMpError} `WMP_ERR_SIMULATOR` with the precise reason.
 */
export function validateReply(body: string, ctx: ReplyContext): ParsedReply {
  const root = parseRoot(body, '');
  const encrypt = childText(root, 'Encrypt');
  if (encrypt === undefined) {
    if (ctx.mode === 'safe') invalid('safe mode needs an encrypted reply (<Encrypt>, <MsgSignature>, <TimeStamp>, <Nonce>)');
    return validatePlain(root, ctx, false);
  }
  if (typeof encrypt === 'object') return invalid(encrypt.error);
  if (!ctx.encodingAESKey) return invalid('the reply is encrypted but no EncodingAESKey is configured');
  const msgSignature = text(root, 'MsgSignature', '', true);
  const timeStamp = text(root, 'TimeStamp', '', true).trim();
  const nonce = text(root, 'Nonce', '', true);
  if (!/^\d{1,13}$/.test(timeStamp)) invalid(`TimeStamp "${timeStamp}" is not a whole number of seconds`);
  if (Number(timeStamp) > 99_999_999_999) invalid(`TimeStamp ${timeStamp} looks like milliseconds; WeChat expects seconds`);
  if (!safeEqual(msgSignature.toLowerCase(), computeSignature(ctx.token, timeStamp, nonce, encrypt))) {
    invalid('MsgSignature does not match sha1(sort([Token, TimeStamp, Nonce, Encrypt]))');
  }
  let inner: string;
  try {
    inner = new WechatCipher(ctx.encodingAESKey, ctx.appId).decrypt(encrypt).message;
  } catch (err) {
    if (err instanceof WechatMpError && err.code === 'WMP_ERR_APPID_MISMATCH') {
      return invalid(`the decrypted reply names a different AppID than "${ctx.appId}"`);
    }
    return invalid(`<Encrypt> does not decrypt with our EncodingAESKey (${err instanceof Error ? err.message : String(err)})`);
  }
  const innerRoot = parseRoot(inner, 'decrypted reply: ');
  if (innerRoot.Encrypt !== undefined) invalid('decrypted reply: is encrypted again');
  return validatePlain(innerRoot, ctx, true);
}
