/**
 * A passive reply turned into a customer-service message (`POST /cgi-bin/message/custom/send` body),
 * for replies that arrive after the deadline and must be pushed instead.
 */
import type { Reply } from './replies.js';

/** Body of `message/custom/send`. */
export type CustomMessage =
  | { touser: string; msgtype: 'text'; text: { content: string } }
  | { touser: string; msgtype: 'image'; image: { media_id: string } }
  | { touser: string; msgtype: 'voice'; voice: { media_id: string } }
  | { touser: string; msgtype: 'video'; video: { media_id: string; thumb_media_id?: string; title?: string; description?: string } }
  | {
      touser: string;
      msgtype: 'music';
      music: { title?: string; description?: string; musicurl?: string; hqmusicurl?: string; thumb_media_id: string };
    }
  | { touser: string; msgtype: 'news'; news: { articles: Array<{ title: string; description?: string; url?: string; picurl?: string }> } };

/**
 * The customer-service message for `reply`, or null when it has none (transfer_customer_service only
 * makes sense as a passive reply).
 */
export function toCustomMessage(openId: string, reply: Reply): CustomMessage | null {
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
