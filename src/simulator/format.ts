/**
 * Human-readable rendering of a simulation for the CLI.
 */
import type { ParsedReply } from './validate-reply.js';
import type { SimulationResult } from './simulate.js';

const quote = (s: string | undefined): string => (s === undefined ? '-' : JSON.stringify(s));

/** The reply's content, one fact per line, indented. */
export function formatReply(reply: ParsedReply): string[] {
  const lines = [
    `${reply.msgType} reply${reply.encrypted ? ' (encrypted; MsgSignature and AppID verified)' : ''}`,
    `  to ${reply.toUserName} from ${reply.fromUserName} at ${new Date(reply.createTime * 1000).toISOString()}`,
  ];
  switch (reply.msgType) {
    case 'text':
      lines.push(...reply.content.split('\n').map((l) => `  | ${l}`));
      break;
    case 'image':
    case 'voice':
      lines.push(`  MediaId ${reply.mediaId}`);
      break;
    case 'video':
      lines.push(`  MediaId ${reply.mediaId}, Title ${quote(reply.title)}, Description ${quote(reply.description)}`);
      break;
    case 'music':
      lines.push(`  ${quote(reply.title)} ${quote(reply.description)}`, `  MusicUrl ${quote(reply.musicUrl)}, HQMusicUrl ${quote(reply.hqMusicUrl)}, ThumbMediaId ${reply.thumbMediaId}`);
      break;
    case 'news':
      reply.articles.forEach((a, i) => lines.push(`  ${i + 1}. ${quote(a.title)} ${a.url ?? ''}`.trimEnd(), ...(a.description ? [`     ${a.description}`] : [])));
      break;
    case 'transfer_customer_service':
      lines.push(`  to customer service${reply.kfAccount ? ` account ${reply.kfAccount}` : ''}`);
      break;
  }
  return lines;
}

/** The whole outcome, for the terminal. */
export function formatResult(result: SimulationResult, url: string): string {
  const head = `POST ${url} (${result.mode} mode)${result.msgId ? ` MsgId ${result.msgId}` : ''}`;
  const answer = `answered HTTP ${result.status} in ${result.latencyMs.toFixed(0)} ms after ${result.attempts} attempt${result.attempts === 1 ? '' : 's'}`;
  const body = result.reply ? formatReply(result.reply) : [`no reply (${result.rawBody.trim() === '' ? 'empty body' : '"success"'})`];
  return [head, answer, ...body].join('\n');
}
