/**
 * Passive replies: the {@link Reply} types, the {@link reply} builders, and rendering to WeChat's XML
 * (docs/protocol.md section 4) with precompiled string templates.
 *
 * Text goes into CDATA sections; `]]>` inside a value is split across two sections so it round-trips,
 * and characters XML 1.0 forbids are removed (they would make the whole reply unreadable to WeChat).
 * CreateTime is in seconds (co-wechat writes milliseconds). To/From are swapped by the caller passing
 * the message's FromUserName as `toUser`.
 */
import { WechatMpError } from '../errors.js';

/** A text reply. */
export interface TextReply {
  readonly type: 'text';
  readonly content: string;
}
/** An image reply (a media id uploaded beforehand). */
export interface ImageReply {
  readonly type: 'image';
  readonly mediaId: string;
}
/** A voice reply. */
export interface VoiceReply {
  readonly type: 'voice';
  readonly mediaId: string;
}
/** A video reply. */
export interface VideoReply {
  readonly type: 'video';
  readonly mediaId: string;
  readonly title?: string;
  readonly description?: string;
}
/** A music reply. */
export interface MusicReply {
  readonly type: 'music';
  readonly title?: string;
  readonly description?: string;
  readonly musicUrl?: string;
  readonly hqMusicUrl?: string;
  /** Thumbnail media id (WeChat requires it). */
  readonly thumbMediaId: string;
}
/** One article of a news reply. */
export interface NewsArticle {
  readonly title: string;
  readonly description?: string;
  readonly picUrl?: string;
  readonly url?: string;
}
/** A news (图文) reply: 1 article for a user message, up to 8 otherwise. */
export interface NewsReply {
  readonly type: 'news';
  readonly articles: readonly NewsArticle[];
}
/** Hand the conversation to customer service, optionally to one account (`kf2001@gh_...`). */
export interface TransferCustomerServiceReply {
  readonly type: 'transfer_customer_service';
  readonly kfAccount?: string;
}

/** Every passive reply. */
export type Reply = TextReply | ImageReply | VoiceReply | VideoReply | MusicReply | NewsReply | TransferCustomerServiceReply;

/** Most articles any news reply may carry. */
export const MAX_NEWS_ARTICLES = 8;

function replyError(message: string): WechatMpError {
  return new WechatMpError('WMP_ERR_REPLY', message);
}

function nonEmpty(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw replyError(`${name} must be a non-empty string`);
  return value;
}

function optional(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw replyError(`${name} must be a string`);
  return value;
}

/** Reply builders; each validates its arguments and throws `WMP_ERR_REPLY` on bad ones. */
export const reply = Object.freeze({
  text(content: string): TextReply {
    if (typeof content !== 'string') throw replyError('text content must be a string');
    return { type: 'text', content };
  },
  image(mediaId: string): ImageReply {
    return { type: 'image', mediaId: nonEmpty('mediaId', mediaId) };
  },
  voice(mediaId: string): VoiceReply {
    return { type: 'voice', mediaId: nonEmpty('mediaId', mediaId) };
  },
  video(video: { mediaId: string; title?: string; description?: string }): VideoReply {
    return { type: 'video', mediaId: nonEmpty('mediaId', video.mediaId), title: optional('title', video.title), description: optional('description', video.description) };
  },
  music(music: { thumbMediaId: string; title?: string; description?: string; musicUrl?: string; hqMusicUrl?: string }): MusicReply {
    return {
      type: 'music',
      thumbMediaId: nonEmpty('thumbMediaId', music.thumbMediaId),
      title: optional('title', music.title),
      description: optional('description', music.description),
      musicUrl: optional('musicUrl', music.musicUrl),
      hqMusicUrl: optional('hqMusicUrl', music.hqMusicUrl),
    };
  },
  news(articles: readonly NewsArticle[]): NewsReply {
    if (!Array.isArray(articles) || articles.length === 0 || articles.length > MAX_NEWS_ARTICLES) {
      throw replyError(`news needs 1 to ${MAX_NEWS_ARTICLES} articles`);
    }
    return {
      type: 'news',
      articles: articles.map((a, i) => ({
        title: nonEmpty(`articles[${i}].title`, a.title),
        description: optional(`articles[${i}].description`, a.description),
        picUrl: optional(`articles[${i}].picUrl`, a.picUrl),
        url: optional(`articles[${i}].url`, a.url),
      })),
    };
  },
  transferCustomerService(kfAccount?: string): TransferCustomerServiceReply {
    return kfAccount === undefined ? { type: 'transfer_customer_service' } : { type: 'transfer_customer_service', kfAccount: nonEmpty('kfAccount', kfAccount) };
  },
});

// XML 1.0 Char production minus what WeChat text can hold; lone surrogates are also not characters.
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text made safe for `<![CDATA[...]]>`: `]]>` split across sections, forbidden characters removed. */
export function cdata(value: string): string {
  let v = value;
  INVALID_XML_CHARS_RE.lastIndex = 0;
  if (INVALID_XML_CHARS_RE.test(v)) v = v.replace(INVALID_XML_CHARS_RE, '');
  return v.indexOf(']]>') === -1 ? v : v.replaceAll(']]>', ']]]]><![CDATA[>');
}

function el(name: string, value: string | undefined): string {
  return value === undefined ? '' : `<${name}><![CDATA[${cdata(value)}]]></${name}>`;
}

/** Where and when a reply is rendered. */
export interface ReplyTarget {
  /** The user's OpenID (the message's FromUserName). */
  readonly toUser: string;
  /** The account id (the message's ToUserName). */
  readonly fromUser: string;
  /** Seconds since the epoch. */
  readonly createTime: number;
  /** Largest number of news articles allowed here. @default 8 */
  readonly newsLimit?: number;
}

/**
 * Render a reply as WeChat's passive-reply XML.
 * @throws {WechatMpError} `WMP_ERR_REPLY` for a reply that breaks WeChat's rules (e.g. too many articles).
 */
export function renderReply(r: Reply, target: ReplyTarget): string {
  return renderReplyXml(r, target.toUser, target.fromUser, target.createTime, target.newsLimit ?? MAX_NEWS_ARTICLES);
}

/** {@link renderReply} with positional arguments (the webhook's hot path: no target object). */
export function renderReplyXml(r: Reply, toUser: string, fromUser: string, createTime: number, newsLimit: number): string {
  const head =
    `<xml><ToUserName><![CDATA[${cdata(toUser)}]]></ToUserName><FromUserName><![CDATA[${cdata(fromUser)}]]></FromUserName>` +
    `<CreateTime>${Math.floor(createTime)}</CreateTime><MsgType><![CDATA[`;
  switch (r?.type) {
    case 'text':
      if (typeof r.content !== 'string') throw replyError('text content must be a string');
      return `${head}text]]></MsgType><Content><![CDATA[${cdata(r.content)}]]></Content></xml>`;
    case 'image':
      return `${head}image]]></MsgType><Image>${el('MediaId', nonEmpty('mediaId', r.mediaId))}</Image></xml>`;
    case 'voice':
      return `${head}voice]]></MsgType><Voice>${el('MediaId', nonEmpty('mediaId', r.mediaId))}</Voice></xml>`;
    case 'video':
      return `${head}video]]></MsgType><Video>${el('MediaId', nonEmpty('mediaId', r.mediaId))}${el('Title', r.title)}${el('Description', r.description)}</Video></xml>`;
    case 'music':
      return (
        `${head}music]]></MsgType><Music>${el('Title', r.title)}${el('Description', r.description)}${el('MusicUrl', r.musicUrl)}` +
        `${el('HQMusicUrl', r.hqMusicUrl)}${el('ThumbMediaId', nonEmpty('thumbMediaId', r.thumbMediaId))}</Music></xml>`
      );
    case 'news': {
      const limit = Math.min(newsLimit, MAX_NEWS_ARTICLES);
      const n = Array.isArray(r.articles) ? r.articles.length : 0;
      if (n === 0 || n > limit) throw replyError(`news reply has ${n} articles; 1 to ${limit} allowed here`);
      let items = '';
      for (const a of r.articles) {
        items += `<item>${el('Title', nonEmpty('title', a.title))}${el('Description', a.description)}${el('PicUrl', a.picUrl)}${el('Url', a.url)}</item>`;
      }
      return `${head}news]]></MsgType><ArticleCount>${n}</ArticleCount><Articles>${items}</Articles></xml>`;
    }
    case 'transfer_customer_service':
      return `${head}transfer_customer_service]]></MsgType>${r.kfAccount ? `<TransInfo>${el('KfAccount', r.kfAccount)}</TransInfo>` : ''}</xml>`;
    default:
      throw replyError('unknown reply type');
  }
}

/** The encrypted reply envelope (TimeStamp in seconds). */
export function renderEncryptedReply(encrypt: string, msgSignature: string, timestamp: number, nonce: string): string {
  return (
    `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt><MsgSignature><![CDATA[${msgSignature}]]></MsgSignature>` +
    `<TimeStamp>${timestamp}</TimeStamp><Nonce><![CDATA[${nonce}]]></Nonce></xml>`
  );
}
