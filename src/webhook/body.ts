/**
 * The raw request body as text, read with raw-body under a size limit whatever the Content-Type
 * (WeChat's Content-Type is not to be trusted, docs/protocol.md section 4).
 */
import type Koa from 'koa';
import getRawBody from 'raw-body';
import { WebhookRequestError } from './request-error.js';

/**
 * Read the body as UTF-8 text.
 * @throws {WebhookRequestError} 413 above `limit` bytes; 400 when the body cannot be read.
 */
export async function readBody(ctx: Koa.Context, limit: number): Promise<string> {
  const req = ctx.req;
  // A body parser mounted earlier may have consumed the stream; raw-body would then wait forever.
  if (req.readableEnded) throw new WebhookRequestError('WMP_ERR_XML', 'request body was already consumed');
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
