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

/** The data of a template or subscription message: `{ keyword1: { value: '...' } }`. */
export type TemplateData = Record<string, { value: string; color?: string }>;

/** Body of `POST /cgi-bin/message/template/send`. */
export interface TemplateMessage {
  touser: string;
  template_id: string;
  data: TemplateData;
  /** Opened when the user taps the message. */
  url?: string;
  /** Opens a mini program instead of `url` (when the user's WeChat can). */
  miniprogram?: { appid: string; pagepath?: string };
  /**
   * A resend with the same id for the same user within 10 minutes is not delivered twice: set it to
   * make a retry after a timeout safe.
   */
  client_msg_id?: string;
}

/** Body of `POST /cgi-bin/message/subscribe/bizsend`. */
export interface SubscriptionMessage {
  touser: string;
  template_id: string;
  data: TemplateData;
  /** A URL (http/https) opened on tap. */
  page?: string;
  miniprogram?: { appid: string; pagepath?: string };
}

/** A private template of the account. */
export interface PrivateTemplate {
  template_id: string;
  title: string;
  primary_industry?: string;
  deputy_industry?: string;
  content: string;
  example?: string;
}

/** The message API. */
export interface MessageApi {
  /**
   * `POST /cgi-bin/message/custom/send`. Not retried on transient failures (the user could get it
   * twice). `msgid` is a string (it exceeds 2^53).
   * @throws {WechatApiError} 45015 outside the 48-hour window, 45047 after 20 in a row.
   */
  sendCustom(message: CustomMessage): Promise<{ msgid?: string }>;
  /** `POST /cgi-bin/message/custom/typing`: show (or with `false`, cancel) "typing..." to the user. */
  typing(openId: string, typing?: boolean): Promise<void>;
  /**
   * `POST /cgi-bin/message/template/send`: `msgid` as a string. Retried on transient failures only
   * when `client_msg_id` is set (WeChat then drops the duplicate).
   * @throws {WechatApiError} 40037 unknown template, 40003 unknown user, 43004 not following.
   */
  sendTemplate(message: TemplateMessage): Promise<{ msgid: string }>;
  /** `GET /cgi-bin/template/get_all_private_template`. */
  listTemplates(): Promise<PrivateTemplate[]>;
  /** `POST /cgi-bin/template/del_private_template`. */
  deleteTemplate(templateId: string): Promise<void>;
  /** `POST /cgi-bin/message/subscribe/bizsend`: a subscription notice the user agreed to. */
  sendSubscription(message: SubscriptionMessage): Promise<void>;
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function checkTemplateBody(m: { touser?: unknown; template_id?: unknown; data?: unknown }, name: string): void {
  if (!m || typeof m !== 'object') throw new InvalidOptionError(name, '{ touser, template_id, data }');
  if (!nonEmpty(m.touser)) throw new InvalidOptionError(`${name}.touser`, "the user's OpenID");
  if (!nonEmpty(m.template_id)) throw new InvalidOptionError(`${name}.template_id`, 'a template id');
  const data = m.data as Record<string, unknown> | undefined;
  if (!data || typeof data !== 'object' || !Object.values(data).every((d) => typeof d === 'object' && d !== null && typeof (d as { value?: unknown }).value === 'string')) {
    throw new InvalidOptionError(`${name}.data`, "{ key: { value: 'text' } }");
  }
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
    async typing(openId, typing = true) {
      if (!nonEmpty(openId)) throw new InvalidOptionError('openId', "the user's OpenID");
      await request('POST', '/cgi-bin/message/custom/typing', { body: { touser: openId, command: typing ? 'Typing' : 'CancelTyping' }, retry: true });
    },
    async sendTemplate(message) {
      checkTemplateBody(message, 'message');
      if (message.client_msg_id !== undefined && !nonEmpty(message.client_msg_id)) throw new InvalidOptionError('message.client_msg_id', 'a non-empty string');
      const res = await request<{ msgid?: unknown }>('POST', '/cgi-bin/message/template/send', { body: message, retry: message.client_msg_id !== undefined });
      return { msgid: String(res.msgid ?? '') };
    },
    async listTemplates() {
      const res = await request<{ template_list?: PrivateTemplate[] }>('GET', '/cgi-bin/template/get_all_private_template');
      return Array.isArray(res.template_list) ? res.template_list : [];
    },
    async deleteTemplate(templateId) {
      if (!nonEmpty(templateId)) throw new InvalidOptionError('templateId', 'a template id');
      await request('POST', '/cgi-bin/template/del_private_template', { body: { template_id: templateId }, retry: true });
    },
    async sendSubscription(message) {
      checkTemplateBody(message, 'message');
      await request('POST', '/cgi-bin/message/subscribe/bizsend', { body: message });
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
