/**
 * The raw request body as text, read with raw-body under a size limit whatever the Content-Type
 * (WeChat's Content-Type is not to be trusted, docs/protocol.md section 4). When a body parser mounted
 * earlier already read the stream, the `ctx.request.rawBody` string it kept is used instead.
 */
import type Koa from 'koa';
import getRawBody from 'raw-body';
import { WebhookRequestError } from './request-error.js';

/** The 400 reason when a body parser read the body and kept no `ctx.request.rawBody`. */
export const CONSUMED_REASON =
  'request body was already consumed by a body parser: mount the webhook before the body parser, or use one that keeps ctx.request.rawBody (e.g. @koa/bodyparser with enableTypes including xml or text)';

/**
 * Read the body as UTF-8 text.
 * @throws {WebhookRequestError} 413 above `limit` bytes; 400 when the body cannot be read.
 */
export async function readBody(ctx: Koa.Context, limit: number): Promise<string> {
  const req = ctx.req;
  const kept = (ctx.request as { rawBody?: unknown }).rawBody;
  if (typeof kept === 'string') {
    if (Buffer.byteLength(kept, 'utf8') > limit) throw new WebhookRequestError('WMP_ERR_BODY_TOO_LARGE', `body exceeds ${limit} bytes`);
    return kept;
  }
  // A body parser mounted earlier consumed the stream without keeping it; raw-body would wait forever.
  if (req.readableEnded) throw new WebhookRequestError('WMP_ERR_XML', CONSUMED_REASON);
  let buf: Buffer;
  try {
    // No `encoding` option: decoding the Buffer ourselves skips raw-body's iconv-lite decoder.
    buf = await getRawBody(req, { limit, length: ctx.request.length });
  } catch (err) {
    if ((err as { type?: unknown }).type === 'entity.too.large') {
      throw new WebhookRequestError('WMP_ERR_BODY_TOO_LARGE', `body exceeds ${limit} bytes`);
    }
    throw new WebhookRequestError('WMP_ERR_XML', 'could not read the request body', { cause: err });
  }
  return buf.toString('utf8');
}
