/**
 * Customer-service messages (docs/protocol.md sections 3 and 9): `wechat.message.sendCustom(message)`,
 * and {@link customMessageOf}, which turns a passive reply that missed WeChat's 5-second window into
 * the message that delivers it later.
 */
import { InvalidOptionError } from '../../errors.js';
import type { Reply } from '../../webhook/replies.js';
import type { ApiContext } from './context.js';

/** Fields every customer-service message may carry. */
interface CustomMessageBase {
  /** The user's OpenID. */
  touser: string;
  /** Send as this customer-service account. */
  customservice?: { kf_account: string };
}

/** Body of `POST /cgi-bin/message/custom/send`, one variant per `msgtype`. */
export type CustomMessage = CustomMessageBase &
  (
    | { msgtype: 'text'; text: { content: string } }
    | { msgtype: 'image'; image: { media_id: string } }
    | { msgtype: 'voice'; voice: { media_id: string } }
    | { msgtype: 'video'; video: { media_id: string; thumb_media_id?: string; title?: string; description?: string } }
    | { msgtype: 'music'; music: { title?: string; description?: string; musicurl?: string; hqmusicurl?: string; thumb_media_id: string } }
    | { msgtype: 'news'; news: { articles: Array<{ title: string; description?: string; url?: string; picurl?: string }> } }
    | { msgtype: 'mpnews'; mpnews: { media_id: string } }
    | { msgtype: 'mpnewsarticle'; mpnewsarticle: { article_id: string } }
    | { msgtype: 'msgmenu'; msgmenu: { head_content?: string; list: Array<{ id: string; content: string }>; tail_content?: string } }
    | { msgtype: 'wxcard'; wxcard: { card_id: string } }
    | { msgtype: 'miniprogrampage'; miniprogrampage: { title: string; appid: string; pagepath: string; thumb_media_id: string } }
  );

/** The customer-service message API. */
export interface MessageApi {
  /**
   * `POST /cgi-bin/message/custom/send`. Not retried on transient failures (the user could get it
   * twice). `msgid` is a string (it exceeds 2^53).
   */
  sendCustom(message: CustomMessage): Promise<{ msgid?: string }>;
}

/** The message area of one client. */
export function messageApi({ request }: ApiContext): MessageApi {
  return {
    async sendCustom(message) {
      if (!message || typeof message.touser !== 'string' || message.touser.length === 0 || typeof message.msgtype !== 'string' || message.msgtype.length === 0) {
        throw new InvalidOptionError('message', '{ touser, msgtype, ... }');
      }
      const res = await request<{ msgid?: unknown }>('POST', '/cgi-bin/message/custom/send', { body: message });
      return res.msgid === undefined || res.msgid === null ? {} : { msgid: String(res.msgid) };
    },
  };
}

/**
 * The customer-service message that delivers `reply` to `openId`, or null when it has none
 * (transfer_customer_service only makes sense as a passive reply).
 */
export function customMessageOf(openId: string, reply: Reply): CustomMessage | null {
  const touser = openId;
  switch (reply.type) {
    case 'text':
      return { touser, msgtype: 'text', text: { content: reply.content } };
    case 'image':
      return { touser, msgtype: 'image', image: { media_id: reply.mediaId } };
    case 'voice':
      return { touser, msgtype: 'voice', voice: { media_id: reply.mediaId } };
    case 'video':
      return { touser, msgtype: 'video', video: { media_id: reply.mediaId, title: reply.title, description: reply.description } };
    case 'music':
      return {
        touser,
        msgtype: 'music',
        music: { title: reply.title, description: reply.description, musicurl: reply.musicUrl, hqmusicurl: reply.hqMusicUrl, thumb_media_id: reply.thumbMediaId },
      };
    case 'news':
      return {
        touser,
        msgtype: 'news',
        news: { articles: reply.articles.map((a) => ({ title: a.title, description: a.description, url: a.url, picurl: a.picUrl })) },
      };
    case 'transfer_customer_service':
      return null;
    default:
      return null;
  }
}
